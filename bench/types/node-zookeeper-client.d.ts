/** The parts of node-zookeeper-client (which ships no types) that bench/compare.ts uses. */
declare module 'node-zookeeper-client' {
  import type {EventEmitter} from 'node:events'

  export interface Stat {
    readonly version: number
  }

  export interface ClientOptions {
    readonly sessionTimeout?: number
    readonly spinDelay?: number
    readonly retries?: number
  }

  export interface Client extends EventEmitter {
    connect(): void
    close(): void
    create(path: string, data: Buffer | null, callback: (error: Error | null, path?: string) => void): void
    setData(path: string, data: Buffer | null, version: number, callback: (error: Error | null, stat?: Stat) => void): void
    getData(path: string, callback: (error: Error | null, data?: Buffer, stat?: Stat) => void): void
    mkdirp(path: string, callback: (error: Error | null, path?: string) => void): void
  }

  export function createClient(connectionString: string, options?: ClientOptions): Client

  const zookeeper: {createClient: typeof createClient}
  export default zookeeper
}
