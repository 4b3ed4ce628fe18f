/**
 * Human output of the `snapshot` commands: a snapshot file's summary (inspect, save, restore)
 * and the progress line of a save.
 */
import type {SnapshotInspectResult} from '../backup/inspect.js'

/** `1.5 MiB`, `320 B`: sizes for people (binary units, as the flags take them). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`
}

/** The progress of a save: `received 12.0 MiB of 40.0 MiB (30%)`. */
export function progressText(received: number, total: number): string {
  const percent = total === 0 ? 100 : Math.floor((received / total) * 100)
  return `received ${formatBytes(received)} of ${formatBytes(total)} (${percent}%)`
}

function memberList(members: SnapshotInspectResult['members']['voters']): string {
  return members.length === 0 ? 'none' : members.map((m) => (m.address ? `${m.id} (${m.address})` : m.id)).join(', ')
}

/** The lines describing a verified snapshot file. */
export function snapshotLines(s: SnapshotInspectResult): string[] {
  return [
    `  cluster id    ${s.clusterId ?? '(unknown)'}`,
    `  index         ${s.index} (term ${s.term})`,
    `  taken from    ${s.node} at ${s.createdAt} (raftctl ${s.version})`,
    `  voters        ${memberList(s.members.voters)}`,
    `  learners      ${memberList(s.members.learners)}`,
    `  keys          ${s.keys} (${s.sessions} client sessions)`,
    `  size          ${formatBytes(s.bytes)} (state ${formatBytes(s.dataBytes)})`,
    `  checksum      sha256 ${s.checksum} verified`,
    `  content hash  ${s.contentHash}`,
  ]
}
