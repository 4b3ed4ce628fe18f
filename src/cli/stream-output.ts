/**
 * Line-by-line output for commands whose output can be large (`wal dump`): each write waits
 * while the pipe is full instead of piling text up in memory, and once the reader has gone
 * (`| head` closed the pipe: EPIPE) further writes are dropped instead of crashing the command.
 */

/** A writer over a stream (default stdout). Call {@link StreamOutput.close} when done. */
export class StreamOutput {
  #gone = false
  readonly #onError = (): void => {
    this.#gone = true
  }

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on('error', this.#onError)
  }

  /** True once the reader has closed the stream: the caller may stop producing output. */
  get gone(): boolean {
    return this.#gone
  }

  /** Write `text`; resolves once the stream can take more (at once unless its buffer is full). */
  async write(text: string): Promise<void> {
    if (this.#gone || this.stream.write(text)) return
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done)
        this.stream.off('error', done)
        this.stream.off('close', done)
        resolve()
      }
      this.stream.once('drain', done)
      this.stream.once('error', done)
      this.stream.once('close', done)
    })
  }

  /** Stop listening to the stream's errors. */
  close(): void {
    this.stream.off('error', this.#onError)
  }
}
