/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), in pure TypeScript (src/kv does no
 * I/O and imports no node:* module): the checksum of the KV snapshot format. Same result as
 * zlib's crc32. Slicing-by-8 (eight 256-entry tables, eight bytes per step): a snapshot restore
 * checks the whole snapshot, 128 MB at a million 100-byte keys, so this is on the restart path;
 * it is about 2.5 times faster than the one-table byte loop it replaced.
 */

/** zlib's CRC-32 (same polynomial and result), when the host installed it: see {@link useNativeCrc32}. */
let nativeCrc32: ((bytes: Uint8Array, previous: number) => number) | null = null

/**
 * Compute {@link crc32} with `native` from now on (the daemon passes `node:zlib`'s `crc32`; src/kv
 * imports no node:* module itself). A 256 MB snapshot of 256 KiB values cost each daemon about
 * 0.4 s of CPU in the table loop below, and zlib's is several times faster (issue 23).
 * `native(bytes, previous)` must equal `crc32(bytes, 0, bytes.length, previous)`; null: the table loop again.
 */
export function useNativeCrc32(native: ((bytes: Uint8Array, previous: number) => number) | null): void {
  nativeCrc32 = native
}

/** TABLES[k][b]: the CRC of byte b followed by k zero bytes. TABLES[0] is the classic table. */
const TABLES: Uint32Array[] = makeTables()

function makeTables(): Uint32Array[] {
  const tables = Array.from({length: 8}, () => new Uint32Array(256))
  const t0 = tables[0]!
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t0[n] = c >>> 0
  }
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1]!
    const table = tables[k]!
    for (let n = 0; n < 256; n++) table[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!
  }
  return tables
}

/**
 * CRC-32 of `bytes` (optionally only `bytes[start, end)`), as an unsigned 32-bit integer.
 * `crc32(utf8("123456789")) === 0xcbf43926`. `previous` continues a checksum over pieces:
 * `crc32(b, 0, b.length, crc32(a)) === crc32(a ‖ b)` (as zlib's second argument).
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
  if (nativeCrc32 !== null) return nativeCrc32(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), previous)
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array]
  let crc = (previous ^ 0xffffffff) >>> 0
  let i = start
  for (const last = end - 8; i <= last; i += 8) {
    const lo = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))
    crc = t7[lo & 0xff]! ^ t6[(lo >>> 8) & 0xff]! ^ t5[(lo >>> 16) & 0xff]! ^ t4[lo >>> 24]!
      ^ t3[bytes[i + 4]!]! ^ t2[bytes[i + 5]!]! ^ t1[bytes[i + 6]!]! ^ t0[bytes[i + 7]!]!
  }
  for (; i < end; i++) crc = t0[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}
