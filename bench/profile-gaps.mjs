/**
 * For bench/stall-probe.ts: the CPU profile samples (node --cpu-prof) that fall inside each ping
 * gap of at least MIN ms (default 40), by function: self time (top 8) and inclusive (top 14).
 * A gap with few samples is time the process was not running (a busy machine), not work.
 * Usage: node bench/profile-gaps.mjs PROFILE.cpuprofile GAPS.json [MIN]
 */
import {readFileSync} from 'node:fs'
const prof = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const gaps = JSON.parse(readFileSync(process.argv[3], 'utf8')).map((g) => ({from: Number(BigInt(g.from) / 1000n), to: Number(BigInt(g.to) / 1000n)}))
const minGap = Number(process.argv[4] ?? 40)
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const parent = new Map()
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const name = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`
let t = prof.startTime
const times = prof.timeDeltas.map((d) => (t += d))
for (const g of gaps) {
  const ms = (g.to - g.from) / 1000
  if (ms < minGap) continue
  const self = new Map(); const incl = new Map(); let n = 0
  prof.samples.forEach((id, k) => {
    if (times[k] < g.from || times[k] > g.to) return
    n++
    const node = byId.get(id); self.set(name(node), (self.get(name(node)) ?? 0) + 1)
    const seen = new Set(); let cur = id
    while (cur !== undefined) { const nm = name(byId.get(cur)); if (!seen.has(nm)) { seen.add(nm); incl.set(nm, (incl.get(nm) ?? 0) + 1) } cur = parent.get(cur) }
  })
  console.log(`\nGAP ${ms.toFixed(1)} ms, ${n} samples`)
  console.log('  self: ' + [...self].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${v} ${k}`).join('\n        '))
  console.log('  incl: ' + [...incl].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([k, v]) => `${v} ${k}`).join('\n        '))
}
