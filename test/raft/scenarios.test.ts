/**
 * Scenario scripts for the Raft core (DESIGN.md §3): every `test/raft/scenarios/*.txt` file is a
 * script of directives, each followed by the exact output it must produce. One file is one test.
 *
 * FORMAT
 *
 *     # comment lines (kept on rewrite, attached to the next directive)
 *     <directive> <args...>
 *     ----
 *     <expected output, one or more lines; none at all is allowed>
 *     <blank line ends the block>
 *
 * Nodes are `n<k>`; a bare number `k` means `n<k>`. Every file starts from an empty network.
 *
 * DIRECTIVES
 *
 *   add-nodes N [prevote=B] [checkquorum=B] [election=T] [heartbeat=H] [maxappendbytes=X]
 *             [maxinflight=X] [learners=L] [seed=S]
 *                         founding cluster n1..nN (plus L founding learners), bootstrapped and
 *                         persisted; prints the bootstrap (applied config entries)
 *   add-node K            a blank node that can join later (no membership until it learns it)
 *   campaign K            operator election: `ok` or `error CODE: message`
 *   propose K TEXT        `ok index=I term=T` or `error CODE: message (leader L)`
 *   add-learner K | add-voter K | promote K | remove K   [via J]
 *                         membership change proposed on J (default: the current leader);
 *                         add-learner / add-voter create the blank node K if it does not exist
 *   transfer FROM TO      leadership transfer
 *   read K [ID]           ReadIndex on K (IDs count up from 1 when omitted)
 *   compact K INDEX [KEEP] snapshot K's state machine at INDEX, keep log entries after
 *                         INDEX-KEEP (default KEEP 0)
 *   tick N [K...] [verbose]  tick every live node (or only K...) N times, stabilizing after each;
 *                         prints events (role / conf changes, applies, reads, snapshots) and with
 *                         `verbose` the messages too
 *   stabilize             deliver until quiescent; prints every message and event
 *   deliver [N]           N rounds (default 1): handle every Ready, deliver what was queued
 *   partition A B | C ... symmetric partition (replaces earlier partitions and cuts)
 *   isolate K | cut A B (one-way A->B) | heal
 *   drop [from=K] [to=K] [type=T] [term=X] [accepted]   drop matching messages from now on:
 *                         term=X matches appends carrying an entry of term X; `accepted` only
 *                         those the receiver would accept (it holds prevIndex/prevTerm)
 *   drop off              stop dropping
 *   crash K | restart K   crash loses everything not persisted; restart recovers from storage
 *   status [K...]         the status table
 *   log [K...]            each node's log: index/term:data
 *
 * OUTPUT LINES
 *
 *   n1->n2 prevote term=2 last=3/1            message delivered (`DROP ` prefix: dropped)
 *   n1->n2 append term=2 prev=3/1 commit=3 entries=[4/2:noop]
 *   n2->n1 appendResp term=2 reject index=7 hint=5/4
 *   n1: follower -> precandidate term=1 (manual)      role change (cause in parentheses)
 *   n2: apply 4/2:noop 5/2:x=1                 committed entries applied in one Ready
 *   n3: install snapshot 8/2 voters=(n1,n2,n3) | n1: read 1 ready index=5 | n2: conf ... @5
 *
 * REWRITE
 *
 *   REWRITE=1 node --import tsx --test test/raft/scenarios.test.ts
 *
 * rewrites every expected block with the actual output instead of comparing. Commit a rewrite
 * only when the diff is understood.
 */
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {ConfChange, Message, NodeId} from '../../src/raft/index.js'
import {Harness, fmtEntry, fmtStatus, ids, nid, type NodeOptions} from './harness.js'

const DIR = fileURLToPath(new URL('./scenarios/', import.meta.url))
const SEP = '----'

interface Block {
  readonly comments: string[]
  readonly directive: string
  readonly expected: string[] | null
}

/** Parse a scenario file into blocks. Throws on a directive without its `----` line. */
export function parse(text: string, file = 'scenario'): Block[] {
  const lines = text.split('\n')
  const blocks: Block[] = []
  let comments: string[] = []
  let i = 0
  while (i < lines.length) {
    const line = lines[i]!
    if (line.trim() === '') {
      i++
      continue
    }
    if (line.startsWith('#')) {
      comments.push(line)
      i++
      continue
    }
    const directive = line.trim()
    i++
    let expected: string[] | null = null
    if (lines[i] === SEP) {
      i++
      expected = []
      while (i < lines.length && lines[i] !== '') expected.push(lines[i++]!)
    } else if (process.env.REWRITE !== '1') {
      throw new Error(`${file}:${i}: directive "${directive}" must be followed by a ${SEP} line`)
    }
    blocks.push({comments, directive, expected})
    comments = []
  }
  if (comments.length > 0) blocks.push({comments, directive: '', expected: null})
  return blocks
}

/** Render blocks with the given outputs back into file text. */
export function render(blocks: readonly Block[], outputs: readonly string[][]): string {
  const parts: string[] = []
  blocks.forEach((b, i) => {
    const lines = [...b.comments]
    if (b.directive !== '') lines.push(b.directive, SEP, ...outputs[i]!)
    parts.push(lines.join('\n'))
  })
  return parts.join('\n\n') + '\n'
}

/** Interprets directives against one harness. */
class Interpreter {
  h: Harness | null = null
  private nextRead = 1

  private get net(): Harness {
    if (this.h === null) throw new Error('no nodes yet: start with add-nodes')
    return this.h
  }

  run(directive: string): string[] {
    const [cmd, ...args] = directive.split(/\s+/)
    try {
      return this.exec(cmd!, args)
    } catch (e) {
      return [`panic: ${(e as Error).message}`]
    }
  }

  private exec(cmd: string, args: string[]): string[] {
    switch (cmd) {
      case 'add-nodes': return this.addNodes(args)
      case 'add-node': {
        const id = nid(args[0]!)
        this.net.addNode(id)
        return [`${id} created (blank)`]
      }
      case 'campaign': return [fmtResult(this.net.campaign(nid(args[0]!)))]
      case 'propose': return [fmtResult(this.net.propose(nid(args[0]!), args.slice(1).join(' ')))]
      case 'add-learner': return this.confChange('addLearner', args)
      case 'add-voter': return this.confChange('addVoter', args)
      case 'promote': return this.confChange('promote', args)
      case 'remove': return this.confChange('remove', args)
      case 'transfer': return [fmtResult(this.net.transfer(nid(args[0]!), nid(args[1]!)))]
      case 'read': {
        const id = args[1] !== undefined ? Number(args[1]) : this.nextRead++
        const r = this.net.readIndex(nid(args[0]!), id)
        return [r.ok ? `ok id=${id}` : fmtResult(r)]
      }
      case 'compact': {
        const id = nid(args[0]!)
        const index = Number(args[1])
        const keep = args[2] !== undefined ? Number(args[2]) : 0
        const s = this.net.compact(id, index, index - keep)
        return [`${id}: snapshot ${s.meta.index}/${s.meta.term} first=${this.net.status(id).firstIndex}`]
      }
      case 'tick': return this.tick(args)
      case 'stabilize': return this.traced(true, () => this.net.stabilize())
      case 'deliver': {
        const n = args[0] !== undefined ? Number(args[0]) : 1
        return this.traced(true, () => {
          for (let k = 0; k < n; k++) this.net.deliverRound()
        })
      }
      case 'partition': {
        const groups = args.join(' ').split('|').map((g) => g.trim().split(/\s+/).filter((x) => x !== '').map(nid))
        this.net.partition(...groups)
        return [`partition ${groups.map((g) => `(${g.join(',')})`).join(' | ')}`]
      }
      case 'isolate':
        this.net.isolate(nid(args[0]!))
        return [`isolate ${nid(args[0]!)}`]
      case 'cut':
        this.net.cut(nid(args[0]!), nid(args[1]!))
        return [`cut ${nid(args[0]!)}->${nid(args[1]!)}`]
      case 'heal':
        this.net.heal()
        return ['healed']
      case 'drop': return this.drop(args)
      case 'crash': return this.traced(false, () => this.net.crash(nid(args[0]!)))
      case 'restart': return this.traced(false, () => this.net.restart(nid(args[0]!)))
      case 'status': return fmtStatus(this.net, args.length > 0 ? args.map(nid) : this.net.nodeIds)
      case 'log': {
        const nodes = args.length > 0 ? args.map(nid) : this.net.liveIds
        return nodes.map((id) => {
          const s = this.net.status(id)
          const head = s.firstIndex > 1 ? `[snap ${s.snapshotIndex}/${this.net.node(id).termAt(s.snapshotIndex)}] ` : ''
          return `${id}: ${head}${this.net.log(id).map(fmtEntry).join(' ')}`
        })
      }
      default:
        throw new Error(`unknown directive ${cmd}`)
    }
  }

  private addNodes(args: string[]): string[] {
    if (this.h !== null) throw new Error('add-nodes may be used once per file')
    const n = Number(args[0])
    const kv = new Map(args.slice(1).map((a) => a.split('=') as [string, string]))
    const bool = (k: string): boolean | undefined => (kv.has(k) ? kv.get(k) === 'true' : undefined)
    const num = (k: string): number | undefined => (kv.has(k) ? Number(kv.get(k)) : undefined)
    const node: NodeOptions = {
      preVote: bool('prevote'), checkQuorum: bool('checkquorum'), electionTicks: num('election'),
      heartbeatTicks: num('heartbeat'), maxAppendBytes: num('maxappendbytes'), maxInflight: num('maxinflight'),
    }
    const h = new Harness({node, seed: num('seed') ?? 1})
    this.h = h
    const voters = ids(n)
    const learners = ids(num('learners') ?? 0, n + 1)
    for (const id of [...voters, ...learners]) h.addNode(id, {voters, learners})
    return this.traced(false, () => h.stabilize())
  }

  private confChange(type: ConfChange['type'], args: string[]): string[] {
    const node = nid(args[0]!)
    const viaAt = args.indexOf('via')
    const via = viaAt >= 0 ? nid(args[viaAt + 1]!) : this.net.leader()
    if (via === null) return ['error: no leader']
    if ((type === 'addLearner' || type === 'addVoter') && !this.net.nodeIds.includes(node)) this.net.addNode(node)
    return [fmtResult(this.net.proposeConfChange(via, {type, node} as ConfChange))]
  }

  private tick(args: string[]): string[] {
    const verbose = args.includes('verbose')
    const rest = args.filter((a) => a !== 'verbose')
    const n = Number(rest[0] ?? 1)
    const only = rest.length > 1 ? rest.slice(1).map(nid) : undefined
    return this.traced(verbose, () => this.net.tick(n, only))
  }

  private drop(args: string[]): string[] {
    if (args[0] === 'off') {
      this.net.dropIf = null
      return ['drop off']
    }
    const kv = new Map(args.filter((a) => a.includes('=')).map((a) => a.split('=') as [string, string]))
    const from = kv.has('from') ? nid(kv.get('from')!) : null
    const to = kv.has('to') ? nid(kv.get('to')!) : null
    const type = kv.get('type') ?? null
    const term = kv.has('term') ? Number(kv.get('term')) : null
    const accepted = args.includes('accepted')
    const h = this.net
    h.dropIf = (m: Message): boolean => {
      if (from !== null && m.from !== from) return false
      if (to !== null && m.to !== to) return false
      if (type !== null && m.type !== type) return false
      if (term !== null && !(m.type === 'append' && m.entries.some((e) => e.term === term))) return false
      if (accepted && !(m.type === 'append' && h.isUp(m.to) && h.node(m.to).termAt(m.prevIndex) === m.prevTerm)) return false
      return true
    }
    return [`drop ${args.join(' ')}`]
  }

  /** Run `f` with message tracing on or off and return the trace it produced. */
  private traced(messages: boolean, f: () => void): string[] {
    const h = this.net
    h.takeTrace()
    h.traceMessages = messages
    try {
      f()
    } finally {
      h.traceMessages = false
    }
    return h.takeTrace()
  }
}

function fmtResult(r: {ok: boolean; index?: number; term?: number; code?: string; message?: string; leader?: NodeId | null}): string {
  if (r.ok) return r.index !== undefined ? `ok index=${r.index} term=${r.term}` : 'ok'
  return `error ${r.code}: ${r.message}` + (r.leader ? ` (leader ${r.leader})` : '')
}

/** Run a scenario text; returns the text with the actual outputs. */
export function runScenario(text: string, file = 'scenario'): string {
  const blocks = parse(text, file)
  const interp = new Interpreter()
  const outputs = blocks.map((b) => (b.directive === '' ? [] : interp.run(b.directive)))
  return render(blocks, outputs)
}

describe('scenario scripts (test/raft/scenarios/*.txt)', () => {
  it('the parser round-trips a file and the renderer keeps comments', () => {
    const text = '# a comment\nadd-nodes 1\n----\nn1: apply 1/1:addVoter(n1)\n\nstatus\n----\nx\n\n# trailing\n'
    const blocks = parse(text)
    assert.deepEqual(blocks.map((b) => b.directive), ['add-nodes 1', 'status', ''])
    assert.equal(render(blocks, blocks.map((b) => b.expected ?? [])), text)
  })

  const files = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort()
  it('there are at least 8 scenario files', () => {
    assert.ok(files.length >= 8, `${files.length} files`)
  })
  for (const f of files) {
    it(`scenario ${f}`, () => {
      const path = join(DIR, f)
      const text = readFileSync(path, 'utf8')
      const actual = runScenario(text, f)
      if (process.env.REWRITE === '1') {
        if (actual !== text) writeFileSync(path, actual)
        return
      }
      assert.equal(actual, text, `${f}: output differs (REWRITE=1 regenerates it)`)
    })
  }
})
