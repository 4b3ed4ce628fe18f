/**
 * A shared leaf (src/common): which replicas' state hashes are the odd ones out. The daemon's
 * scheduled consistency check and `raftctl check consistency` both name nodes by this rule.
 */

/**
 * The ids whose hash differs from the most common one (a tie: the hash seen first in `hashes`
 * wins), sorted. Empty when all agree (or none answered).
 */
export function oddOnesOut(hashes: Readonly<Record<string, string>>): string[] {
  const counts = new Map<string, number>()
  for (const h of Object.values(hashes)) counts.set(h, (counts.get(h) ?? 0) + 1)
  if (counts.size <= 1) return []
  let best = ''
  let bestCount = -1
  for (const [h, c] of counts) {
    if (c > bestCount) {
      best = h
      bestCount = c
    }
  }
  return Object.keys(hashes).filter((id) => hashes[id] !== best).sort()
}
