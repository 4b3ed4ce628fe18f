/**
 * The client library's frames carry an all-zero mask (src/client/connection.ts): ws then sends
 * the payload without a copy and without its per-byte JavaScript XOR loop (about 1 ms of CPU per
 * 256 KiB value on each side, issue 23), and the daemon's ws skips unmasking. Read off the raw
 * bytes a real server socket receives.
 */
import assert from 'node:assert/strict'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {test} from 'node:test'
import {WebSocketServer} from 'ws'
import {Connection} from '../../src/client/connection.js'

test('request frames are sent with an all-zero mask, so neither side copies or XORs the payload', async (t) => {
  const http = createServer()
  const wss = new WebSocketServer({server: http})
  const raw: Buffer[] = []
  wss.on('connection', (ws, req) => {
    req.socket.on('data', (chunk: Buffer) => raw.push(chunk))
    ws.on('message', () => ws.send('{"v":1,"id":1,"ok":true,"node":"n1","time":1}'))
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => {
    wss.close()
    http.close(() => resolve())
  }))
  const {port} = http.address() as AddressInfo
  const connection = await Connection.open({url: `ws://127.0.0.1:${port}/client`, secret: 's'})
  try {
    await connection.request('ping', {})
  } finally {
    await connection.close()
  }
  const frame = Buffer.concat(raw)
  assert.ok(frame.length > 6, 'a frame arrived')
  assert.equal(frame[0]! & 0x0f, 1, 'a text frame')
  assert.equal(frame[1]! & 0x80, 0x80, 'masked, as RFC 6455 requires of a client')
  const length = frame[1]! & 0x7f
  const maskAt = length === 126 ? 4 : length === 127 ? 10 : 2
  assert.deepEqual([...frame.subarray(maskAt, maskAt + 4)], [0, 0, 0, 0], 'the mask is all zero')
  assert.match(frame.subarray(maskAt + 4).toString('utf8'), /"type":"ping"/, 'so the payload is sent as it is')
})
