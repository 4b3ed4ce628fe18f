/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), table driven, in pure TypeScript:
 * the checksum of the KV snapshot format. Same result as zlib's crc32.
 */

const TABLE: Uint32Array = makeTable()

function makeTable(): Uint32Array {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
}

/**
 * CRC-32 of `bytes` (optionally only `bytes[start, end)`), as an unsigned 32-bit integer.
 * `crc32(utf8("123456789")) === 0xcbf43926`. `previous` continues a checksum over pieces:
 * `crc32(b, 0, b.length, crc32(a)) === crc32(a ‖ b)` (as zlib's second argument).
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
  let crc = (previous ^ 0xffffffff) >>> 0
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}
