/**
 * Coalescing socket writes: a WebSocket's underlying socket is corked on its first send and
 * uncorked as soon as the current synchronous run ends (process.nextTick), so all the frames
 * one run sends to that peer (e.g. the answers to every request applied by one Ready) leave in
 * one `writev` instead of one system call each, without waiting for another event-loop turn.
 */
import type {Socket} from 'node:net'
import type {WebSocket} from 'ws'

const corked = new Set<Socket>()

function uncorkAll(): void {
  for (const socket of corked) if (!socket.destroyed) socket.uncork()
  corked.clear()
}

/**
 * Hold `ws`'s writes until the current synchronous run ends. Safe to call any number of times
 * per turn; a socket that is not open is left alone. Relies on ws's `_socket` (stable across
 * ws 8; without it, writes simply go out at once).
 */
export function corkForRun(ws: WebSocket): void {
  const socket = (ws as unknown as {_socket?: Socket | null})._socket
  if (!socket || corked.has(socket) || socket.destroyed) return
  socket.cork()
  corked.add(socket)
  if (corked.size === 1) process.nextTick(uncorkAll)
}
