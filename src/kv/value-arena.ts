/**
 * Small values' UTF-8 bytes, held outside the JavaScript heap in fixed-size slots. Why: a key's
 * value as a string is one more object for V8's full collections to mark and move, and an
 * overwritten one is garbage in the old generation; with a million 100-byte keys, a node's heap
 * held ~245 MB and its full collections paused it for 150–250 ms on a busy machine, long enough
 * to lose its leadership. Here a value is bytes in a chunk (a Buffer, whose memory V8 neither
 * marks nor moves), found by a number. Overwriting frees the old slot for the next value of its
 * size, so an overwrite leaves no garbage.
 *
 * Slots come in {@link ARENA_SIZE_CLASSES}; a value takes the smallest that holds it (at most a
 * third of a slot is wasted). Chunks are allocated as a class fills, growing from
 * {@link ARENA_FIRST_CHUNK_BYTES} to {@link ARENA_CHUNK_BYTES}, and are kept (a freed slot is
 * reused, never returned to the system). Values over {@link ARENA_MAX_VALUE_BYTES} do not go
 * here: the store keeps them as strings (one object per value is small against its bytes, and a
 * copy of a large value would cost more than it saves).
 */

/**
 * Slot sizes in bytes, each at most 1.5 × the one before (closer around 100 bytes, the common
 * small value): a value takes the smallest that fits. Sixteen at most (a handle has 4 bits for it).
 */
export const ARENA_SIZE_CLASSES: readonly number[] = [16, 24, 32, 48, 64, 80, 96, 112, 128, 160, 192, 256, 384, 512, 768, 1024]

/** Largest value, in UTF-8 bytes, the arena holds: 1 KiB (the largest slot). */
export const ARENA_MAX_VALUE_BYTES = 1024

/** Bytes of the largest chunk of slots: 1 MiB. */
export const ARENA_CHUNK_BYTES = 1024 * 1024

/**
 * Bytes of a class's first chunk: 4 KiB; each next chunk is twice the one before, up to
 * {@link ARENA_CHUNK_BYTES}, so a store of a few keys holds a few KiB, not megabytes.
 */
export const ARENA_FIRST_CHUNK_BYTES = 4 * 1024

/**
 * A handle is `(chunk × SLOTS_PER_CHUNK + slot in chunk) × CLASSES + class`, a safe integer (held
 * in a Float64Array by the records): a 1 MiB chunk holds at most 65,536 slots of 16 bytes, and
 * there is no limit on chunks but memory (a fixed-width handle would make the arena "full" at some
 * count, which a store with a large `maxDataBytes` could reach in the middle of an apply).
 */
const CLASSES = 16
const SLOTS_PER_CHUNK = ARENA_CHUNK_BYTES / 16

if (ARENA_SIZE_CLASSES.length > CLASSES) throw new Error(`at most ${CLASSES} size classes`)

/** The size class of `handle`. */
function classOf(handle: number): number {
  return handle % CLASSES
}

/** The place (`chunk × SLOTS_PER_CHUNK + slot`) of `handle`. */
function placeOf(handle: number): number {
  return Math.floor(handle / CLASSES)
}

/** Size class index for each byte count 0..ARENA_MAX_VALUE_BYTES. */
const CLASS_OF_BYTES: Uint8Array = (() => {
  const table = new Uint8Array(ARENA_MAX_VALUE_BYTES + 1)
  let cls = 0
  for (let bytes = 0; bytes <= ARENA_MAX_VALUE_BYTES; bytes++) {
    while (ARENA_SIZE_CLASSES[cls]! < bytes) cls++
    table[bytes] = cls
  }
  return table
})()

/** A growable stack of safe integers outside the JavaScript heap. */
export class NumberStack {
  private items = new Float64Array(64)
  private length = 0

  push(item: number): void {
    if (this.length === this.items.length) {
      const grown = new Float64Array(this.items.length * 2)
      grown.set(this.items)
      this.items = grown
    }
    this.items[this.length++] = item
  }

  /** The last item pushed, removed; -1 when empty. */
  pop(): number {
    return this.length === 0 ? -1 : this.items[--this.length]!
  }
}

/** The slots of one size. */
class SizeClass {
  readonly chunks: Buffer[] = []
  /** Freed places (`chunk × SLOTS_PER_CHUNK + slot`), reused first. */
  readonly free = new NumberStack()
  /** Slots handed out of the last chunk. */
  private usedInLast = 0
  /** Slots the last chunk holds. */
  private lastSlots = 0

  constructor(readonly slotBytes: number) {}

  /** A free place, `chunk × SLOTS_PER_CHUNK + slot`. */
  take(): number {
    const place = this.free.pop()
    if (place !== -1) return place
    if (this.usedInLast === this.lastSlots) this.addChunk()
    return (this.chunks.length - 1) * SLOTS_PER_CHUNK + this.usedInLast++
  }

  /** The chunk of `place`. */
  chunkOf(place: number): Buffer {
    return this.chunks[Math.floor(place / SLOTS_PER_CHUNK)]!
  }

  /** Where in its chunk `place` starts. */
  offsetOf(place: number): number {
    return (place % SLOTS_PER_CHUNK) * this.slotBytes
  }

  private addChunk(): void {
    const bytes = Math.min(ARENA_FIRST_CHUNK_BYTES * 2 ** this.chunks.length, ARENA_CHUNK_BYTES)
    this.lastSlots = Math.max(1, Math.floor(bytes / this.slotBytes))
    this.usedInLast = 0
    this.chunks.push(Buffer.allocUnsafeSlow(this.lastSlots * this.slotBytes))
  }
}

/** Where values of at most {@link ARENA_MAX_VALUE_BYTES} UTF-8 bytes are kept (see the file's header). */
export class ValueArena {
  private readonly classes = ARENA_SIZE_CLASSES.map((bytes) => new SizeClass(bytes))

  /** Bytes of chunks allocated (held whether or not their slots are in use). */
  get allocatedBytes(): number {
    let total = 0
    for (const cls of this.classes) for (const chunk of cls.chunks) total += chunk.length
    return total
  }

  /**
   * Store the well-formed `text`, whose UTF-8 length is `bytes` (at most
   * {@link ARENA_MAX_VALUE_BYTES}); returns its handle, a small non-negative integer.
   */
  put(text: string, bytes: number): number {
    const index = CLASS_OF_BYTES[bytes]!
    const cls = this.classes[index]!
    const place = cls.take()
    if (bytes > 0) cls.chunkOf(place).write(text, cls.offsetOf(place), bytes, 'utf8')
    return place * CLASSES + index
  }

  /** The text stored under `handle`, whose UTF-8 length is `bytes`. */
  get(handle: number, bytes: number): string {
    if (bytes === 0) return ''
    const cls = this.classes[classOf(handle)]!
    const place = placeOf(handle)
    const at = cls.offsetOf(place)
    return cls.chunkOf(place).toString('utf8', at, at + bytes)
  }

  /**
   * Store `bytes` bytes of `source` from `start`, which the caller checked are valid UTF-8 (at
   * most {@link ARENA_MAX_VALUE_BYTES}); returns the handle. A restore's path: no string made.
   */
  putBytes(source: Buffer, start: number, bytes: number): number {
    const index = CLASS_OF_BYTES[bytes]!
    const cls = this.classes[index]!
    const place = cls.take()
    source.copy(cls.chunkOf(place), cls.offsetOf(place), start, start + bytes)
    return place * CLASSES + index
  }

  /** Copy the `bytes` bytes stored under `handle` into `target` at `at`. A snapshot's path: no string made. */
  copy(handle: number, bytes: number, target: Uint8Array, at: number): void {
    const cls = this.classes[classOf(handle)]!
    const place = placeOf(handle)
    const from = cls.offsetOf(place)
    cls.chunkOf(place).copy(target, at, from, from + bytes)
  }

  /** Free the slot of `handle`: the next value of its size class may take it. */
  release(handle: number): void {
    this.classes[classOf(handle)]!.free.push(placeOf(handle))
  }
}
