// raftctl dashboard: the page. Plain JavaScript, no dependencies, no network but its own server.
// It receives status snapshots and node events over one WebSocket (the frames of
// src/dashboard/protocol.ts) and sends controls back on the same socket.
'use strict'
;(() => {
  const TOKEN = new URLSearchParams(location.search).get('token') || ''
  const SVG_NS = 'http://www.w3.org/2000/svg'
  const HISTORY_MAX = 3000
  const EVENTS_MAX = 500
  const LOG_MAX = 120
  const MAX_FLYING = 140
  const SPARK_WINDOW = 60000

  const $ = (sel) => document.querySelector(sel)

  /** An HTML element with attributes (`text` sets textContent, `on*` adds listeners). */
  function h(tag, attrs, ...children) {
    const e = document.createElement(tag)
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue
      if (k === 'text') e.textContent = v
      else if (k === 'class') e.className = v
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v)
      else e.setAttribute(k, v === true ? '' : String(v))
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c)
    return e
  }

  /** An SVG element, appended to `parent` when given. */
  function s(tag, attrs, parent) {
    const e = document.createElementNS(SVG_NS, tag)
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue
      if (k === 'text') e.textContent = v
      else e.setAttribute(k, String(v))
    }
    if (parent) parent.appendChild(e)
    return e
  }

  function tip(e, text) {
    let t = e.querySelector(':scope > title')
    if (!t) t = s('title', {}, e)
    if (t.textContent !== text) t.textContent = text
  }

  const fmt = {
    n: (v) => (v === null || v === undefined ? '–' : String(v)),
    ms(v) {
      if (v === null || v === undefined || !Number.isFinite(v)) return '–'
      if (v < 1) return v === 0 ? '0 ms' : '<1 ms'
      if (v < 10) return `${v.toFixed(1)} ms`
      if (v < 1000) return `${Math.round(v)} ms`
      if (v < 60000) return `${(v / 1000).toFixed(1)} s`
      return `${Math.floor(v / 60000)}m${String(Math.round((v % 60000) / 1000)).padStart(2, '0')}s`
    },
    clock(t) {
      const d = new Date(t)
      return `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}`
    },
    ago(ms) {
      if (ms < 1000) return 'now'
      if (ms < 120000) return `-${Math.round(ms / 1000)}s`
      const m = ms / 60000
      return `-${Number.isInteger(Math.round(m * 2) / 2) ? Math.round(m) : (Math.round(m * 2) / 2).toFixed(1)}m`
    },
  }

  // ------------------------------------------------------------------ state

  const state = {
    cluster: '',
    timing: {tickMs: 5, electionTicks: 30, heartbeatTicks: 6, electionTimeoutMs: 150},
    pollMs: 300,
    status: null,
    offset: 0, // server clock - page clock
    history: [],
    events: [],
    latency: [],
    lastHeard: {}, // node -> server time it last heard from a leader (approximation)
    campaignAt: {}, // node -> server time its last election started
    knownLeader: {}, // node -> the leader it knows of (status and leaderChanged events)
    ids: [],
    pos: {},
    chaos: 'unknown',
    pending: new Map(),
    nextId: 1,
    windowMs: 60000,
    ws: null,
    connected: false,
    retryMs: 1000,
    lastDraw: 0,
    builder: {}, // node -> group index
  }
  const now = () => Date.now() + state.offset

  // ------------------------------------------------------------------ connection

  function connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
    const ws = new WebSocket(`${proto}//${location.host}/ws?token=${encodeURIComponent(TOKEN)}`)
    state.ws = ws
    ws.addEventListener('open', () => {
      state.connected = true
      state.retryMs = 1000
      setConn(true)
    })
    ws.addEventListener('message', (m) => {
      let frame
      try {
        frame = JSON.parse(m.data)
      } catch {
        return
      }
      handle(frame)
    })
    ws.addEventListener('close', (e) => {
      state.connected = false
      setConn(false, e.code === 1008 || e.code === 4401 ? 'unauthorized' : 'reconnecting…')
      for (const [, p] of state.pending) p.resolve({ok: false, code: 'UNAVAILABLE', message: 'the connection to the dashboard server closed'})
      state.pending.clear()
      setTimeout(connect, state.retryMs)
      state.retryMs = Math.min(10000, state.retryMs * 2)
    })
  }

  function setConn(on, text) {
    const c = $('#conn')
    c.className = `conn ${on ? 'conn-on' : 'conn-off'}`
    c.textContent = on ? 'live' : text || 'connecting…'
  }

  /** Send a control; resolves with the reply frame. */
  function send(op, params) {
    return new Promise((resolve) => {
      if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
        resolve({ok: false, code: 'UNAVAILABLE', message: 'not connected to the dashboard server'})
        return
      }
      const id = state.nextId++
      state.pending.set(id, {resolve})
      state.ws.send(JSON.stringify({id, op, ...params}))
    })
  }

  /** Run a control from a button: busy while it runs, a toast and a log line after. */
  async function control(button, op, params, label) {
    if (button) {
      button.disabled = true
      button.classList.add('busy')
    }
    logLine({cls: 'you', node: 'you', text: `${label}…`})
    const reply = await send(op, params)
    if (button) {
      button.disabled = false
      button.classList.remove('busy')
    }
    const text = reply.ok ? reply.message : `${label} failed${reply.code ? ` [${reply.code}]` : ''}: ${reply.message}`
    toast(text, reply.ok ? 'ok' : 'err')
    logLine({cls: reply.ok ? 'you' : 'bad', node: 'you', text})
    return reply
  }

  function handle(f) {
    switch (f.type) {
      case 'hello':
        state.cluster = f.cluster
        state.timing = f.timing
        state.pollMs = f.pollMs
        state.offset = f.time - Date.now()
        state.history = f.history.slice(-HISTORY_MAX)
        state.events = f.events.slice(-EVENTS_MAX)
        state.latency = f.latency.slice()
        $('#events').replaceChildren(h('li', {class: 'muted placeholder', text: 'waiting for events: elections, leader and role changes, transfers, your actions'}))
        for (const e of state.events.slice(-40)) logEvent(e.node, e.event, e.time)
        document.title = `raftctl dashboard · ${f.cluster}`
        $('#cluster').textContent = f.cluster
        break
      case 'status':
        onStatus(f)
        break
      case 'event':
        onEvent(f.node, f.event, f.time)
        break
      case 'latency':
        state.latency.push(f.sample)
        if (state.latency.length > 600) state.latency.splice(0, state.latency.length - 600)
        break
      case 'link':
        break
      case 'reply': {
        const p = state.pending.get(f.id)
        if (p) {
          state.pending.delete(f.id)
          p.resolve(f)
        }
        break
      }
      case 'notice':
        toast(f.message, f.level === 'warn' ? 'err' : 'info')
        break
      default:
        break
    }
  }

  // ------------------------------------------------------------------ status

  function onStatus(f) {
    state.offset = f.time - Date.now()
    state.status = f
    state.chaos = f.chaos
    const ids = f.nodes.map((n) => n.id)
    if (ids.join(',') !== state.ids.join(',')) {
      state.ids = ids
      buildTopology()
      buildCards()
      buildBuilder()
    }
    const roles = {}
    const faults = new Set()
    for (const n of f.nodes) {
      if (n.reachable) state.knownLeader[n.id] = n.leader
      roles[n.id] = n.role === 'down' ? n.health : n.role
      for (const x of n.faults) faults.add(x.id)
    }
    const leader = f.nodes.find((n) => n.id === f.leader)
    state.history.push({t: f.time, term: f.term, leader: f.leader, commit: leader ? leader.commitIndex : null, roles, faults: [...faults]})
    if (state.history.length > HISTORY_MAX) state.history.splice(0, state.history.length - HISTORY_MAX)
    // Approximate election timers: the leader heard from a follower lastContactMs ago, so the
    // follower heard from the leader at least that recently.
    if (leader) {
      for (const p of leader.progress) {
        if (p.id === leader.id) continue
        const t = f.time - p.lastContactMs
        if (!(state.lastHeard[p.id] >= t)) state.lastHeard[p.id] = t
      }
    }
    renderHeader(f)
    updateCards(f)
    updateTopology(f)
    renderFaults(f)
    updateBuilder(f)
  }

  function renderHeader(f) {
    const leader = f.nodes.find((n) => n.id === f.leader)
    const lead = $('#leader')
    lead.textContent = f.leader || 'none'
    lead.dataset.leader = f.leader || ''
    $('#term').textContent = String(leader ? leader.term : f.term)
    const up = f.nodes.filter((n) => n.reachable).length
    const voters = leader ? leader.progress.length || f.nodes.length : f.nodes.filter((n) => n.voter !== false).length
    const quorum = Math.floor(voters / 2) + 1
    $('#up').textContent = `${up}/${f.nodes.length} · quorum ${quorum}`
    $('#commit').textContent = leader ? String(leader.commitIndex) : '–'
    $('#alarm').hidden = !f.alarm
    $('#alarm-text').textContent = f.alarm ? `replicas differ at ${f.alarm.index} (${f.alarm.nodes.join(', ')})` : ''
  }

  // ------------------------------------------------------------------ events

  function onEvent(node, e, time) {
    if (e.type === 'message') {
      const fromLeader = (state.status && e.from === state.status.leader) || state.knownLeader[e.to] === e.from
      if (fromLeader && (e.kind === 'append' || e.kind === 'heartbeat' || e.kind === 'snapshot')) {
        if (!(state.lastHeard[e.to] >= time)) state.lastHeard[e.to] = time
      }
      fly(e)
      return
    }
    state.events.push({node, event: e, time})
    if (state.events.length > EVENTS_MAX) state.events.splice(0, state.events.length - EVENTS_MAX)
    if (e.type === 'electionStarted') state.campaignAt[node] = time
    if (e.type === 'roleChanged' && e.to === 'follower') state.lastHeard[node] = time
    if (e.type === 'leaderChanged') {
      state.knownLeader[node] = e.leader
      if (e.leader !== null) state.lastHeard[node] = time
    }
    logEvent(node, e, time)
  }

  const CAUSES = {timeout: 'timeout', transfer: 'transfer', manual: 'manual', checkQuorum: 'check-quorum', higherTerm: 'higher term', won: 'won', lost: 'lost', removed: 'removed', restart: 'restart'}
  const recentLeaderLines = new Map()

  function logEvent(node, e, time) {
    let text
    let cls = ''
    switch (e.type) {
      case 'roleChanged':
        text = `${e.from} → ${e.to} (term ${e.term}, ${CAUSES[e.cause] || e.cause})`
        cls = e.to === 'leader' ? 'lead' : e.cause === 'checkQuorum' ? 'bad' : ''
        break
      case 'leaderChanged': {
        const key = `${e.leader}@${e.term}`
        const prev = recentLeaderLines.get(key)
        if (prev && time - prev.time < 3000) {
          prev.nodes.push(node)
          prev.span.textContent = `${e.leader === null ? 'lost its leader' : `leader is ${e.leader}`} (term ${e.term}) · seen by ${prev.nodes.join(', ')}`
          return
        }
        text = `${e.leader === null ? 'lost its leader' : `leader is ${e.leader}`} (term ${e.term})`
        cls = e.leader === null ? 'bad' : 'lead'
        const li = logLine({cls, node, text, time})
        recentLeaderLines.set(key, {time, nodes: [node], span: li.querySelector('.ev-text')})
        if (recentLeaderLines.size > 50) recentLeaderLines.delete(recentLeaderLines.keys().next().value)
        return
      }
      case 'electionStarted':
        text = `starts a ${e.pre ? 'pre-vote' : 'real'} election for term ${e.term} (${CAUSES[e.cause] || e.cause})`
        cls = 'elect'
        break
      case 'confChanged':
        text = `configuration at index ${e.index}: voters ${e.conf.voters.join(' ')}${e.conf.learners.length ? `, learners ${e.conf.learners.join(' ')}` : ''}`
        break
      case 'transferStarted':
        text = `transfers leadership to ${e.to} (term ${e.term})`
        cls = 'elect'
        break
      case 'transferAborted':
        text = `transfer to ${e.to} aborted (term ${e.term})`
        cls = 'bad'
        break
      default:
        text = e.type
    }
    logLine({cls, node, text, time})
  }

  function logLine({cls, node, text, time}) {
    const list = $('#events')
    const placeholder = list.querySelector('.placeholder')
    if (placeholder) placeholder.remove()
    const li = h('li', {class: cls || ''},
      h('time', {text: fmt.clock(time || now()).slice(0, 12)}),
      h('span', {class: 'ev-node', text: node}),
      h('span', {class: 'ev-text', text}))
    list.prepend(li)
    while (list.childElementCount > LOG_MAX) list.lastElementChild.remove()
    return li
  }

  // ------------------------------------------------------------------ topology

  const topo = {root: null, links: null, flying: null, nodes: null, el: {}, linkEl: {}, flights: []}

  function buildTopology() {
    const svg = $('#topology')
    svg.replaceChildren()
    const defs = s('defs', {}, svg)
    for (const k of ['append', 'heartbeat', 'vote', 'prevote', 'snapshot', 'timeoutnow', 'reject']) {
      const size = k === 'heartbeat' ? 5 : k === 'snapshot' ? 10 : 8
      const m = s('marker', {id: `arrow-${k}`, viewBox: '0 0 10 10', refX: 7, refY: 5, markerWidth: size, markerHeight: size, markerUnits: 'userSpaceOnUse', orient: 'auto'}, defs)
      s('path', {d: 'M0,0 L10,5 L0,10 z', class: `mk-${k}`}, m)
    }
    topo.links = s('g', {class: 'links'}, svg)
    topo.nodes = s('g', {class: 'nodes'}, svg)
    topo.flying = s('g', {class: 'flying'}, svg)
    topo.el = {}
    topo.linkEl = {}
    topo.flights = []
    const n = state.ids.length
    const cx = 210
    const cy = n <= 2 ? 170 : 180
    const r = n <= 1 ? 0 : n === 2 ? 120 : n <= 5 ? 118 : 128
    state.pos = {}
    state.ids.forEach((id, i) => {
      const a = -Math.PI / 2 + (i * 2 * Math.PI) / Math.max(1, n)
      state.pos[id] = {x: cx + r * Math.cos(a), y: cy + r * Math.sin(a)}
    })
    const R = n > 5 ? 30 : 40
    topo.radius = R
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const a = state.pos[state.ids[i]]
        const b = state.pos[state.ids[j]]
        const g = s('g', {}, topo.links)
        const line = s('line', {class: 'link', x1: a.x, y1: a.y, x2: b.x, y2: b.y}, g)
        const x = s('text', {class: 'link-x', x: (a.x + b.x) / 2, y: (a.y + b.y) / 2, text: '✕'}, g)
        x.setAttribute('visibility', 'hidden')
        topo.linkEl[`${state.ids[i]}|${state.ids[j]}`] = {g, line, x, a: state.ids[i], b: state.ids[j]}
      }
    }
    const C = 2 * Math.PI * (R + 8)
    for (const id of state.ids) {
      const p = state.pos[id]
      const g = s('g', {class: 'node role-down', transform: `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`, 'data-node': id}, topo.nodes)
      s('circle', {class: 'timer-track', r: R + 8}, g)
      const timer = s('circle', {class: 'timer', r: R + 8, transform: 'rotate(-90)', 'stroke-dasharray': `0 ${C}`}, g)
      s('circle', {class: 'under', r: R}, g)
      s('circle', {class: 'body', r: R}, g)
      s('text', {class: 'nid', y: -2, text: id}, g)
      const role = s('text', {class: 'nrole', y: 15, text: ''}, g)
      const crown = s('text', {class: 'crown', x: ((R + 12) * 0.72).toFixed(1), y: (-(R + 12) * 0.72 + 6).toFixed(1), text: '★'}, g)
      crown.setAttribute('visibility', 'hidden')
      const vote = s('text', {class: 'nvote', y: R + 23, text: ''}, g)
      const fault = s('text', {class: 'nfault', y: R + 37, text: ''}, g)
      topo.el[id] = {g, timer, role, crown, vote, fault, C}
    }
  }

  function updateTopology(f) {
    for (const n of f.nodes) {
      const el = topo.el[n.id]
      if (!el) continue
      const role = n.role === 'down' ? 'down' : n.role
      el.g.setAttribute('class', `node role-${role}`)
      el.role.textContent = n.role === 'down' ? n.health : `${n.role === 'precandidate' ? 'pre-cand.' : n.role} · t${n.term}`
      el.crown.setAttribute('visibility', n.id === f.leader ? 'visible' : 'hidden')
      el.vote.textContent = n.reachable ? (n.vote ? `voted ${n.vote}` : 'no vote') : ''
      el.fault.textContent = n.faults.length ? `⚡ ${n.faults.length} fault${n.faults.length > 1 ? 's' : ''}` : ''
      tip(el.g, nodeTip(n, f))
    }
    const faults = activeFaults(f)
    for (const link of Object.values(topo.linkEl)) {
      const ab = blocked(faults, link.a, link.b)
      const ba = blocked(faults, link.b, link.a)
      const other = faults.filter((x) => x.kind !== 'partition' && inScope(x, link.a, link.b))
      const cut = ab.length > 0 || ba.length > 0
      link.line.setAttribute('class', `link${cut ? ' cut' : other.length ? ' faulty' : ''}`)
      link.x.setAttribute('visibility', cut ? 'visible' : 'hidden')
      let text = `${link.a} ↔ ${link.b}: `
      if (!cut && !other.length) text += 'no fault'
      if (ab.length && ba.length) text += `cut both ways by ${[...new Set([...ab, ...ba].map((x) => x.id))].join(', ')}`
      else if (ab.length) text += `${link.a} → ${link.b} cut by ${ab.map((x) => x.id).join(', ')} (one-way)`
      else if (ba.length) text += `${link.b} → ${link.a} cut by ${ba.map((x) => x.id).join(', ')} (one-way)`
      if (other.length) text += `${cut ? '; ' : ''}${other.map(faultText).join('; ')}`
      tip(link.g, text)
    }
  }

  function nodeTip(n, f) {
    const lines = [`${n.id} · ${n.role}${n.id === f.leader ? ' (leader)' : ''} · ${n.health}`, n.address]
    if (n.reachable) {
      lines.push(`term ${n.term} · voted for ${n.vote || 'nobody'} · knows leader ${n.leader || 'none'}`)
      lines.push(`commit ${n.commitIndex} · applied ${n.appliedIndex} · last ${n.lastIndex}`)
      lines.push(`lag ${fmt.n(n.lag)} · last contact ${fmt.ms(n.lastContactMs)} · pid ${n.pid}`)
      if (n.uptimeMs !== null) lines.push(`up ${fmt.ms(n.uptimeMs)}`)
    } else {
      lines.push(n.health === 'paused' ? `paused (SIGSTOP), pid ${n.pid}` : n.health === 'down' ? 'no process' : 'running but not answering')
    }
    for (const x of n.faults) lines.push(`fault: ${faultText(x)}`)
    lines.push(`event stream: ${n.subscribed ? 'subscribed' : 'not subscribed'}`)
    return lines.join('\n')
  }

  function activeFaults(f) {
    const byId = new Map()
    for (const n of f.nodes) {
      for (const x of n.faults) {
        const e = byId.get(x.id) || {...x, on: [], hits: 0}
        e.on.push(n.id)
        if (typeof x.hits === 'number') e.hits += x.hits
        else e.hits = undefined
        byId.set(x.id, e)
      }
    }
    return [...byId.values()]
  }

  function blocked(faults, from, to) {
    return faults.filter((x) => {
      if (x.kind !== 'partition' || !Array.isArray(x.groups)) return false
      const gf = x.groups.findIndex((g) => g.includes(from))
      const gt = x.groups.findIndex((g) => g.includes(to))
      if (gf < 0 || gt < 0 || gf === gt) return false
      return x.oneWay ? gf > gt : true
    })
  }

  /** True when a link fault (drop, delay, …) acts on a→b or b→a: it acts on what the nodes that have it send, to `peers` (none: all). */
  function inScope(x, a, b) {
    if (x.kind === 'disk') return false
    const peers = Array.isArray(x.peers) && x.peers.length ? x.peers : null
    const on = x.on || []
    return (on.includes(a) && (!peers || peers.includes(b))) || (on.includes(b) && (!peers || peers.includes(a)))
  }

  function faultText(x) {
    const peers = Array.isArray(x.peers) && x.peers.length ? ` to ${x.peers.join(' ')}` : ''
    const left = typeof x.remainingMs === 'number' ? ` · heals in ${fmt.ms(x.remainingMs)}` : ''
    const hits = typeof x.hits === 'number' ? ` · ${x.hits} hits` : ''
    let what
    switch (x.kind) {
      case 'partition':
        what = `partition ${x.id}: ${(x.groups || []).map((g) => g.join(' ')).join(x.oneWay ? ' → ' : ' | ')}${x.oneWay ? ' (one-way)' : ''}`
        break
      case 'drop':
        what = `drop ${x.id}: ${Math.round((x.rate || 0) * 100)}%${peers}`
        break
      case 'delay':
        what = `delay ${x.id}: ${x.ms} ms${x.jitter ? ` ± ${x.jitter}` : ''}${peers}`
        break
      case 'duplicate':
        what = `duplicate ${x.id}: ${Math.round((x.rate || 0) * 100)}%${peers}`
        break
      case 'reorder':
        what = `reorder ${x.id}: ${Math.round((x.rate || 0) * 100)}% within ${x.ms} ms${peers}`
        break
      case 'disk':
        what = `disk ${x.id}: fsync +${x.fsyncDelayMs} ms`
        break
      default:
        what = `${x.kind} ${x.id}`
    }
    return `${what}${left}${hits}`
  }

  /** Start a message arrow from e.from to e.to. */
  function fly(e) {
    const a = state.pos[e.from]
    const b = state.pos[e.to]
    if (!a || !b || !topo.flying || document.hidden) return
    if (topo.flights.length >= MAX_FLYING) return
    let kind
    if (e.kind === 'vote' || e.kind === 'voteResp') kind = e.pre ? 'prevote' : 'vote'
    else if (e.kind === 'append' || e.kind === 'appendResp') kind = 'append'
    else if (e.kind === 'heartbeat' || e.kind === 'heartbeatResp') kind = 'heartbeat'
    else if (e.kind === 'snapshot') kind = 'snapshot'
    else kind = 'timeoutnow'
    const resp = e.kind.endsWith('Resp')
    const reject = resp && !e.ok
    const dx = b.x - a.x
    const dy = b.y - a.y
    const d = Math.hypot(dx, dy) || 1
    const ux = dx / d
    const uy = dy / d
    // Offset to the right of the direction of travel, so A→B and B→A use separate lanes.
    const off = 7
    const ox = -uy * off
    const oy = ux * off
    const R = topo.radius + 10
    const x1 = a.x + ux * R + ox
    const y1 = a.y + uy * R + oy
    const x2 = b.x - ux * R + ox
    const y2 = b.y - uy * R + oy
    const dropped = state.status ? blocked(activeFaults(state.status), e.from, e.to).length > 0 : false
    const cls = `msg msg-${kind}${resp ? ' resp' : ''}${reject ? ' reject' : ''}${e.kind === 'append' && e.entries > 0 ? ' entries' : ''}${dropped ? ' dropped' : ''}`
    const line = s('line', {class: cls, x1, y1, x2: x1, y2: y1, 'marker-end': `url(#arrow-${reject ? 'reject' : kind})`}, topo.flying)
    const label = `${e.from} → ${e.to}: ${e.pre ? 'pre-' : ''}${e.kind}${e.kind === 'append' ? ` (${e.entries} entries)` : ''} · term ${e.term}${resp ? (e.ok ? ' · ok' : ' · rejected') : ''}${dropped ? ' · dropped by a partition' : ''}`
    s('title', {text: label}, line)
    const dur = kind === 'heartbeat' ? 520 : kind === 'snapshot' ? 900 : 700
    // A message across a cut link is sent, then lost halfway.
    const end = dropped ? 0.5 : 1
    topo.flights.push({line, x1, y1, x2: x1 + (x2 - x1) * end, y2: y1 + (y2 - y1) * end, ux, uy, start: performance.now(), dur: dur * end, len: kind === 'snapshot' ? 30 : 22})
  }

  function animateFlights(t) {
    const keep = []
    for (const f of topo.flights) {
      const p = (t - f.start) / f.dur
      if (p >= 1) {
        f.line.remove()
        continue
      }
      const e = p < 0 ? 0 : 1 - (1 - p) * (1 - p) // ease out
      const hx = f.x1 + (f.x2 - f.x1) * e
      const hy = f.y1 + (f.y2 - f.y1) * e
      const dist = Math.hypot(hx - f.x1, hy - f.y1)
      const len = Math.min(f.len, dist)
      f.line.setAttribute('x1', (hx - f.ux * len).toFixed(1))
      f.line.setAttribute('y1', (hy - f.uy * len).toFixed(1))
      f.line.setAttribute('x2', hx.toFixed(1))
      f.line.setAttribute('y2', hy.toFixed(1))
      f.line.setAttribute('opacity', p > 0.8 ? ((1 - p) / 0.2).toFixed(2) : '1')
      keep.push(f)
    }
    topo.flights = keep
  }

  /**
   * The election timer of a node as a fraction of the election timeout T (it fires somewhere
   * in [T, 2T)). Exact when the daemon reports it; otherwise approximated from the last
   * message seen from the leader and the leader's lastContactMs.
   */
  function timerOf(n, t) {
    const f = state.status
    if (!n.reachable) return null
    if (n.role === 'leader') return {frac: 1, cls: 'lead', text: 'leading (no election timer)'}
    const T = n.electionTimeoutMs || state.timing.electionTimeoutMs
    let elapsed
    let exact = false
    if (typeof n.electionElapsedMs === 'number') {
      elapsed = n.electionElapsedMs + (t - f.time)
      exact = true
    } else if (n.role === 'candidate' || n.role === 'precandidate') {
      elapsed = t - (state.campaignAt[n.id] || t)
    } else {
      const heard = state.lastHeard[n.id]
      elapsed = heard ? t - heard : T
    }
    elapsed = Math.max(0, elapsed)
    const frac = Math.min(1, elapsed / T)
    const cls = elapsed >= T ? 'hot' : frac > 0.6 ? 'warm' : ''
    const text = `election timer ${exact ? '' : '≈ '}${fmt.ms(elapsed)} of T = ${fmt.ms(T)} (fires in [T, 2T))${exact ? '' : ' — approximated from the messages seen'}`
    return {frac, cls, text}
  }

  function animateTimers(t) {
    const f = state.status
    if (!f) return
    for (const n of f.nodes) {
      const el = topo.el[n.id]
      const tm = timerOf(n, t)
      if (el) {
        el.timer.setAttribute('stroke-dasharray', tm ? `${(tm.frac * el.C).toFixed(1)} ${el.C.toFixed(1)}` : `0 ${el.C.toFixed(1)}`)
        el.timer.setAttribute('class', `timer ${tm ? tm.cls : ''}`)
      }
      const card = cards[n.id]
      if (card) {
        card.timer.style.width = tm ? `${(tm.frac * 100).toFixed(1)}%` : '0%'
        card.timer.className = tm ? tm.cls : ''
        if (tm) card.timerWrap.title = tm.text
      }
    }
  }

  // ------------------------------------------------------------------ node cards

  const cards = {}

  function buildCards() {
    const root = $('#cards')
    root.replaceChildren()
    for (const k of Object.keys(cards)) delete cards[k]
    for (const id of state.ids) {
      const fact = (label, key, title) => {
        const dd = h('dd', {class: `f-${key}`, text: '–'})
        return [h('div', {title}, h('dt', {text: label}), dd), dd]
      }
      const [termBox, term] = fact('term', 'term', 'The node\'s current term')
      const [voteBox, vote] = fact('vote', 'vote', 'Whom the node voted for in its current term')
      const [leaderBox, leader] = fact('leader', 'leader', 'The leader this node knows of')
      const [commitBox, commit] = fact('commit', 'commit', 'Commit index: the highest entry known committed')
      const [appliedBox, applied] = fact('applied', 'applied', 'Applied index: the highest entry applied to the key-value store')
      const [lastBox, last] = fact('last', 'last', 'Last index of the node\'s log')
      const [lagBox, lag] = fact('lag', 'lag', 'Entries behind the leader\'s last index')
      const [contactBox, contact] = fact('contact', 'contact', 'How long ago the leader last heard from this node')
      const [pidBox, pid] = fact('pid', 'pid', 'Process id of the daemon')
      const badge = h('span', {class: 'badge role', text: '…'})
      const star = h('span', {class: 'leader-star', text: '★', title: 'the leader', hidden: true})
      const health = h('span', {class: 'badge health', text: '…'})
      const timer = h('i')
      const timerWrap = h('div', {class: 'timerbar', title: 'election timer'}, timer)
      const chips = h('div', {class: 'chips'})
      const btn = (act, text, title, cls) => h('button', {type: 'button', 'data-act': act, class: cls || '', title, text, onclick: (ev) => act && onAction(id, act, ev.currentTarget)})
      const actions = {
        campaign: btn('campaign', 'Trigger election', 'Make this node start an election now (a forced campaign: no pre-vote, past the leader lease), as "raftctl election trigger"'),
        transfer: btn('transfer', 'Make leader', 'Transfer leadership to this node, as "raftctl leader transfer"'),
        stepaside: btn('stepaside', 'Step aside', 'Transfer leadership to the most caught-up follower'),
        pause: btn('pause', 'Pause', 'SIGSTOP the daemon (asks for confirmation)', 'danger'),
        resume: btn('resume', 'Resume', 'SIGCONT the daemon'),
        restart: btn('restart', 'Restart', 'Stop gracefully, then start (asks for confirmation)', 'danger'),
        kill: btn('kill', 'Kill', 'SIGKILL the daemon: a crash (asks for confirmation)', 'danger'),
        start: btn('start', 'Start', 'Start the daemon again (it rejoins with its data)', 'primary'),
      }
      const card = h('article', {class: 'card', 'data-node': id, 'data-role': 'down'},
        h('div', {class: 'card-head'}, h('span', {class: 'card-id', text: id}), star, badge, health),
        h('dl', {class: 'facts'}, termBox, voteBox, leaderBox, commitBox, appliedBox, lastBox, lagBox, contactBox, pidBox),
        timerWrap, chips,
        h('div', {class: 'actions'}, ...Object.values(actions)))
      root.append(card)
      cards[id] = {card, badge, star, health, term, vote, leader, commit, applied, last, lag, contact, pid, timer, timerWrap, chips, actions}
    }
  }

  function updateCards(f) {
    for (const n of f.nodes) {
      const c = cards[n.id]
      if (!c) continue
      const isLeader = n.id === f.leader
      c.card.dataset.role = n.role
      c.card.dataset.health = n.health
      c.card.dataset.term = n.term === null ? '' : String(n.term)
      c.card.dataset.leader = isLeader ? 'true' : 'false'
      c.badge.textContent = n.role === 'precandidate' ? 'pre-candidate' : n.role === 'down' ? n.health : n.role
      c.star.hidden = !isLeader
      c.health.textContent = n.health
      c.health.className = `badge health h-${n.health}`
      c.health.title = {
        ok: 'answers status and is caught up',
        lagging: 'more than 1000 entries behind the leader',
        rebuilding: 'lost its data: catching up again, no votes until then',
        down: 'no daemon process',
        paused: 'the daemon is stopped (SIGSTOP)',
        unreachable: 'the process runs but does not answer',
      }[n.health] || n.health
      c.term.textContent = fmt.n(n.term)
      c.vote.textContent = n.reachable ? n.vote || 'none' : '–'
      c.leader.textContent = n.reachable ? n.leader || 'none' : '–'
      c.commit.textContent = fmt.n(n.commitIndex)
      c.applied.textContent = fmt.n(n.appliedIndex)
      c.last.textContent = fmt.n(n.lastIndex)
      c.lag.textContent = fmt.n(n.lag)
      c.contact.textContent = isLeader ? 'self' : fmt.ms(n.lastContactMs)
      c.pid.textContent = fmt.n(n.pid)
      c.card.title = nodeTip(n, f)
      c.chips.replaceChildren(...n.faults.map((x) => h('span', {class: `chip${x.kind === 'partition' ? '' : ' sub'}`, text: `${x.kind} ${x.id}`, title: faultText(x)})))
      if (!n.subscribed && n.reachable) c.chips.append(h('span', {class: 'chip sub', text: 'no event stream', title: 'The dashboard is (re)subscribing to this node\'s events'}))
      const running = n.pid !== null
      const paused = n.health === 'paused'
      const a = c.actions
      a.campaign.hidden = !n.reachable || isLeader || n.voter === false
      a.transfer.hidden = !n.reachable || isLeader || n.voter === false || !f.leader
      a.stepaside.hidden = !isLeader
      a.pause.hidden = !running || paused
      a.resume.hidden = !paused
      a.restart.hidden = !running || paused
      a.kill.hidden = !running
      a.start.hidden = running
    }
  }

  async function onAction(id, act, button) {
    const f = state.status
    const n = f && f.nodes.find((x) => x.id === id)
    switch (act) {
      case 'campaign':
        return control(button, 'campaign', {node: id}, `trigger election on ${id}`)
      case 'transfer':
        return control(button, 'transfer', {to: id}, `transfer leadership to ${id}`)
      case 'stepaside':
        return control(button, 'transfer', {to: null}, `transfer leadership away from ${id}`)
      case 'resume':
        return control(button, 'resume', {node: id}, `resume ${id}`)
      case 'start':
        return control(button, 'start', {node: id}, `start ${id}`)
      case 'pause':
      case 'restart':
      case 'kill': {
        const leaderNote = f && f.leader === id ? ` ${id} is the leader: the cluster will elect another one.` : ''
        const quorumNote = quorumWarning(f, id)
        const texts = {
          pause: [`Pause ${id}?`, `SIGSTOP freezes the daemon (pid ${n ? n.pid : '?'}) until you resume it.${leaderNote}${quorumNote}`, 'Pause'],
          restart: [`Restart ${id}?`, `The daemon stops gracefully (SIGTERM) and starts again with its data.${leaderNote}${quorumNote}`, 'Restart'],
          kill: [`Kill ${id}?`, `SIGKILL crashes the daemon (pid ${n ? n.pid : '?'}) at once; start it again from its card.${leaderNote}${quorumNote}`, 'Kill'],
        }[act]
        if (!(await confirmAction(...texts))) return undefined
        return control(button, act, {node: id}, `${act} ${id}`)
      }
      default:
        return undefined
    }
  }

  function quorumWarning(f, id) {
    if (!f) return ''
    const voters = f.nodes.filter((x) => x.voter !== false)
    const up = voters.filter((x) => x.reachable && x.id !== id).length
    const quorum = Math.floor(voters.length / 2) + 1
    return up < quorum ? ` Without it only ${up} of ${voters.length} voters answer: below the quorum of ${quorum}, the cluster stops making progress.` : ''
  }

  // ------------------------------------------------------------------ confirmation

  let confirmResolve = null

  function confirmAction(title, body, ok) {
    const d = $('#confirm')
    $('#confirm-title').textContent = title
    $('#confirm-body').textContent = body
    $('#confirm-ok').textContent = ok || 'Confirm'
    if (confirmResolve) confirmResolve(false)
    return new Promise((resolve) => {
      confirmResolve = resolve
      d.showModal()
      $('#confirm-cancel').focus()
    })
  }

  function closeConfirm(answer) {
    const d = $('#confirm')
    if (d.open) d.close()
    if (confirmResolve) {
      const r = confirmResolve
      confirmResolve = null
      r(answer)
    }
  }

  // ------------------------------------------------------------------ chaos

  function renderFaults(f) {
    const panel = $('.chaos-panel')
    const st = $('#chaos-state')
    st.textContent = f.chaos === 'available' ? 'live chaos on' : f.chaos === 'unavailable' ? 'unavailable: these daemons do not serve chaos.*' : 'checking…'
    panel.classList.toggle('unavailable', f.chaos === 'unavailable')
    for (const b of ['#partition', '#heal-all', '#isolate-leader']) $(b).disabled = f.chaos === 'unavailable'
    const list = $('#faults')
    const faults = activeFaults(f)
    const key = JSON.stringify(faults.map((x) => [x.id, x.on]))
    if (list.dataset.key === key) return
    list.dataset.key = key
    if (faults.length === 0) {
      list.replaceChildren(h('li', {class: 'muted', text: 'no active faults'}))
      return
    }
    list.replaceChildren(...faults.map((x) => h('li', {},
      h('span', {class: 'chip', text: x.kind}),
      h('span', {class: 'what', title: faultText(x), text: faultText(x).replace(/^\w+ /, '')}),
      h('span', {class: 'where', text: `on ${x.on.join(' ')}`}),
      h('button', {type: 'button', text: 'Heal', title: `Remove ${x.id} from every node`, onclick: (ev) => control(ev.currentTarget, 'heal', {fault: x.id}, `heal ${x.id}`)}))))
  }

  const GROUPS = ['A', 'B', 'C']

  function buildBuilder() {
    const rows = $('#builder-rows')
    rows.replaceChildren()
    state.ids.forEach((id, i) => {
      if (state.builder[id] === undefined) state.builder[id] = i === 0 ? 0 : 1
      const seg = h('span', {class: 'seg', role: 'radiogroup', 'aria-label': `group of ${id}`})
      GROUPS.forEach((g, gi) => {
        const input = h('input', {type: 'radio', name: `grp-${id}`, value: String(gi), 'aria-label': `${id} in group ${g}`, onchange: () => (state.builder[id] = gi)})
        input.checked = state.builder[id] === gi
        seg.append(h('label', {class: `g-${g.toLowerCase()}`, title: `${id} in group ${g}`}, input, g))
      })
      rows.append(h('div', {class: 'builder-row', 'data-node': id}, h('span', {class: 'bid', text: id}), seg))
    })
  }

  function updateBuilder() {
    for (const id of state.ids) {
      for (const input of document.querySelectorAll(`input[name="grp-${CSS.escape(id)}"]`)) input.checked = Number(input.value) === state.builder[id]
    }
  }

  function partitionGroups() {
    const groups = GROUPS.map((_, gi) => state.ids.filter((id) => state.builder[id] === gi)).filter((g) => g.length > 0)
    return groups
  }

  async function onPartition(button) {
    const groups = partitionGroups()
    if (groups.length < 2) {
      toast('Put the nodes in at least two groups first.', 'err')
      return
    }
    const oneWay = $('#oneway').checked
    const forValue = $('#fault-for').value
    const forMs = forValue ? Number(forValue) : null
    const text = groups.map((g) => g.join(' ')).join(oneWay ? ' → ' : ' | ')
    const ok = await confirmAction('Partition the cluster?',
      `Cut the links between ${groups.map((g) => `{${g.join(', ')}}`).join(' and ')}${oneWay ? ' in one direction (later groups cannot reach earlier ones)' : ''}${forMs ? ` for ${forMs / 1000} s` : ' until you heal it'}. A minority side loses its leader.`,
      'Partition')
    if (!ok) return
    await control(button, 'partition', {groups, oneWay, forMs}, `partition ${text}`)
  }

  // ------------------------------------------------------------------ timeline

  function drawTimeline() {
    const svg = $('#timeline')
    const w = Math.max(200, Math.round(svg.clientWidth || svg.getBoundingClientRect().width || 600))
    const lanes = state.ids.length
    const laneTop = 66
    const laneH = 12
    const hgt = Math.max(120, laneTop + lanes * (laneH + 4) + 18)
    svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`)
    svg.style.height = `${hgt}px`
    svg.replaceChildren()
    const t1 = now()
    const t0 = t1 - state.windowMs
    const left = 44
    const right = w - 30
    const x = (t) => left + ((t - t0) / state.windowMs) * (right - left)
    const pts = state.history.filter((p, i, a) => p.t >= t0 || (a[i + 1] && a[i + 1].t >= t0))
    const gap = Math.max(2000, state.pollMs * 6)
    // grid and axis
    for (let k = 0; k <= 4; k++) {
      const t = t0 + (k * state.windowMs) / 4
      s('line', {class: 'tl-grid', x1: x(t), x2: x(t), y1: 4, y2: hgt - 14}, svg)
      s('text', {class: 'tl-axis', x: x(t), y: hgt - 3, 'text-anchor': k === 0 ? 'start' : k === 4 ? 'end' : 'middle', text: k === 4 ? 'now' : fmt.ago(t1 - t)}, svg)
    }
    // fault shading
    forSpans(pts, (p) => (p.faults.length ? p.faults.join(', ') : null), gap, t1, (a, b, v) => {
      const r = s('rect', {class: 'tl-fault', x: x(Math.max(a, t0)), y: 2, width: Math.max(1, x(b) - x(Math.max(a, t0))), height: hgt - 16}, svg)
      s('title', {text: `fault active: ${v}`}, r)
    })
    // term step line with leader labels
    const terms = pts.map((p) => p.term)
    const tMin = terms.length ? Math.min(...terms) : 0
    const tMax = terms.length ? Math.max(...terms) : 1
    const yTop = 10
    const yBot = 52
    const y = (term) => (tMax === tMin ? (yTop + yBot) / 2 : yBot - ((term - tMin) / (tMax - tMin)) * (yBot - yTop))
    s('text', {class: 'tl-lane-label', x: 2, y: (yTop + yBot) / 2 + 3, text: 'term'}, svg)
    s('text', {class: 'tl-axis', x: left - 4, y: yTop + 3, 'text-anchor': 'end', text: String(tMax)}, svg)
    if (tMax !== tMin) s('text', {class: 'tl-axis', x: left - 4, y: yBot + 3, 'text-anchor': 'end', text: String(tMin)}, svg)
    let d = ''
    let prev = null
    let lastLabelX = -100
    for (const p of pts) {
      const px = Math.max(left, x(p.t))
      if (!prev || p.t - prev.t > gap) d += `M${px.toFixed(1)},${y(p.term).toFixed(1)}`
      else d += `H${px.toFixed(1)}V${y(p.term).toFixed(1)}`
      if (p.leader && (!prev || prev.leader !== p.leader || prev.term !== p.term) && px - lastLabelX > 22) {
        const lt = s('text', {class: 'tl-leader-label', x: px + 2, y: y(p.term) - 3, text: p.leader}, svg)
        s('title', {text: `leader ${p.leader} in term ${p.term} from ${fmt.clock(p.t)}`}, lt)
        lastLabelX = px
      }
      prev = p
    }
    if (prev && t1 - prev.t < gap) d += `H${x(t1).toFixed(1)}`
    if (d) {
      const path = s('path', {class: 'tl-term', d}, svg)
      s('title', {text: 'term of the leader (highest term when there is none)'}, path)
    }
    if (prev) s('text', {class: 'tl-term-label', x: right + 3, y: y(prev.term) + 3, text: `t${prev.term}`}, svg)
    // role lanes
    state.ids.forEach((id, i) => {
      const ly = laneTop + i * (laneH + 4)
      s('text', {class: 'tl-lane-label', x: 2, y: ly + 10, text: id}, svg)
      forSpans(pts, (p) => p.roles[id] || null, gap, t1, (a, b, role) => {
        const r = s('rect', {class: `lane-${role}`, x: x(Math.max(a, t0)), y: ly, width: Math.max(1, x(b) - x(Math.max(a, t0))), height: laneH, rx: 2}, svg)
        s('title', {text: `${id}: ${role} from ${fmt.clock(a)} for ${fmt.ms(b - a)}`}, r)
      })
    })
    // election markers: real elections (one per term) and check-quorum step-downs
    const marks = new Map()
    for (const ev of state.events) {
      if (ev.time < t0) continue
      const e = ev.event
      if (e.type === 'electionStarted' && !e.pre) {
        const key = `e${e.term}`
        const m = marks.get(key)
        if (m) m.nodes.push(ev.node)
        else marks.set(key, {time: ev.time, letter: e.cause === 'transfer' ? 'X' : e.cause === 'manual' ? 'M' : e.cause === 'checkQuorum' ? 'Q' : 'T', cause: e.cause, term: e.term, nodes: [ev.node], q: false})
      } else if (e.type === 'roleChanged' && e.from === 'leader' && e.cause === 'checkQuorum') {
        marks.set(`q${e.term}${ev.node}`, {time: ev.time, letter: 'Q', cause: 'checkQuorum', term: e.term, nodes: [ev.node], q: true})
      }
    }
    // markers closer than 14 px go to a second and third row
    const rowEnd = [-Infinity, -Infinity, -Infinity]
    for (const m of [...marks.values()].sort((a, b) => a.time - b.time)) {
      const mx = x(m.time)
      let row = rowEnd.findIndex((end) => mx - end >= 14)
      if (row < 0) row = 0
      rowEnd[row] = mx
      const my = 8 + row * 14
      const g = s('g', {}, svg)
      s('line', {class: 'tl-el-line', x1: mx, x2: mx, y1: my, y2: laneTop + lanes * (laneH + 4)}, g)
      s('circle', {class: `tl-el-dot${m.q ? ' q' : ''}`, cx: mx, cy: my, r: 6.5}, g)
      s('text', {class: 'tl-el-text', x: mx, y: my + 0.5, text: m.letter}, g)
      s('title', {text: m.q
        ? `${fmt.clock(m.time)} · ${m.nodes.join(', ')} stepped down in term ${m.term}: no quorum heard (check-quorum)`
        : `${fmt.clock(m.time)} · election for term ${m.term} (${CAUSES[m.cause] || m.cause}) by ${m.nodes.join(', ')}`}, g)
    }
  }

  /** Call `draw(from, to, value)` for every run of equal non-null values in the points. */
  function forSpans(pts, valueOf, gap, t1, draw) {
    let start = null
    let value = null
    let last = null
    for (const p of pts) {
      const v = valueOf(p)
      const broken = last && p.t - last.t > gap
      if (start !== null && (v !== value || broken)) {
        draw(start, broken ? last.t : p.t, value)
        start = null
      }
      if (start === null && v !== null) {
        start = p.t
        value = v
      }
      last = p
    }
    if (start !== null && last) draw(start, t1 - last.t > gap ? last.t : t1, value)
  }

  // ------------------------------------------------------------------ sparklines

  function drawSparks() {
    const t1 = now()
    const t0 = t1 - SPARK_WINDOW
    const H = 44
    const W = Math.max(60, Math.round($('#spark-tput').clientWidth || 240))
    for (const id of ['#spark-tput', '#spark-lat']) $(id).setAttribute('viewBox', `0 0 ${W} ${H}`)
    // throughput: rate of the leader's commit index over ~1 s
    const pts = state.history.filter((p) => p.t >= t0 - 1500 && p.commit !== null)
    const rates = []
    let j = 0
    for (let i = 0; i < pts.length; i++) {
      while (j < i && pts[i].t - pts[j + 1].t >= 1000) j++
      const dt = pts[i].t - pts[j].t
      if (pts[i].t < t0 || dt < 200) continue
      rates.push({t: pts[i].t, v: Math.max(0, ((pts[i].commit - pts[j].commit) * 1000) / dt)})
    }
    const tput = $('#spark-tput')
    tput.replaceChildren()
    const maxRate = Math.max(5, ...rates.map((r) => r.v))
    if (rates.length > 1) {
      const xs = (t) => ((t - t0) / SPARK_WINDOW) * W
      const ys = (v) => H - 3 - (v / maxRate) * (H - 8)
      const line = rates.map((r, i) => `${i ? 'L' : 'M'}${xs(r.t).toFixed(1)},${ys(r.v).toFixed(1)}`).join('')
      s('path', {class: 'sp-area', d: `${line}L${xs(rates[rates.length - 1].t).toFixed(1)},${H}L${xs(rates[0].t).toFixed(1)},${H}Z`}, tput)
      s('path', {class: 'sp-line', d: line}, tput)
    }
    const cur = rates.length ? rates[rates.length - 1].v : null
    $('#tput-now').textContent = cur === null ? '–' : `${cur < 10 ? cur.toFixed(1) : Math.round(cur)} /s`
    $('#tput-now').title = `peak ${Math.round(maxRate)} entries/s in the last minute`
    // latency
    const lat = $('#spark-lat')
    lat.replaceChildren()
    const samples = state.latency.filter((x) => x.time >= t0)
    if (samples.length === 0) {
      s('text', {class: 'sp-empty', x: 6, y: 26, text: 'no writes in the last minute'}, lat)
      $('#lat-now').textContent = '–'
    } else {
      // scale to the 95th percentile so that one outlier does not flatten the rest (it is clamped at the top)
      const sorted = samples.map((x) => x.ms).sort((a, b) => a - b)
      const maxMs = Math.max(5, sorted[sorted.length - 1])
      const scale = Math.max(5, sorted[Math.floor(sorted.length * 0.95)] * 1.3)
      const xs = (t) => ((t - t0) / SPARK_WINDOW) * W
      const ys = (v) => H - 3 - (Math.min(v, scale) / scale) * (H - 8)
      // a line through the median of each second, over dots for the samples
      const buckets = new Map()
      for (const x of samples) {
        const k = Math.floor(x.time / 1000)
        if (!buckets.has(k)) buckets.set(k, [])
        buckets.get(k).push(x.ms)
      }
      const medians = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => {
        v.sort((a, b) => a - b)
        return {t: k * 1000 + 500, v: v[Math.floor(v.length / 2)]}
      })
      if (medians.length > 1) s('path', {class: 'sp-lat', d: medians.map((m, i) => `${i ? 'L' : 'M'}${xs(m.t).toFixed(1)},${ys(m.v).toFixed(1)}`).join('')}, lat)
      for (const x of samples.slice(-300)) {
        if (x.source === 'put') s('rect', {class: 'sp-dot put', x: xs(x.time) - 1.6, y: ys(x.ms) - 1.6, width: 3.2, height: 3.2}, lat)
        else s('circle', {class: 'sp-dot', cx: xs(x.time), cy: ys(x.ms), r: 1.4}, lat)
      }
      const recent = samples.filter((x) => x.time >= t1 - 10000).map((x) => x.ms).sort((a, b) => a - b)
      const med = recent.length ? recent[Math.floor(recent.length / 2)] : null
      $('#lat-now').textContent = med === null ? '–' : `p50 ${fmt.ms(med)}`
      $('#lat-now').title = `median of the last 10 s (${recent.length} samples); max ${fmt.ms(maxMs)} in the last minute`
    }
  }

  // ------------------------------------------------------------------ toasts

  function toast(text, kind) {
    const box = $('#toasts')
    const t = h('div', {class: `toast ${kind || 'ok'}`, role: kind === 'err' ? 'alert' : 'status', text})
    box.append(t)
    while (box.childElementCount > 4) box.firstElementChild.remove()
    setTimeout(() => t.remove(), kind === 'err' ? 9000 : 5000)
  }

  // ------------------------------------------------------------------ main loop and wiring

  function frame(t) {
    animateFlights(t)
    animateTimers(now())
    if (t - state.lastDraw > 250) {
      state.lastDraw = t
      if (state.status) {
        drawTimeline()
        drawSparks()
      }
    }
    requestAnimationFrame(frame)
  }

  function wire() {
    $('#window').addEventListener('change', (e) => {
      state.windowMs = Number(e.target.value) || 60000
      state.lastDraw = 0
    })
    $('#confirm-ok').addEventListener('click', () => closeConfirm(true))
    $('#confirm-cancel').addEventListener('click', () => closeConfirm(false))
    $('#confirm').addEventListener('close', () => closeConfirm(false))
    $('#partition').addEventListener('click', (e) => onPartition(e.currentTarget))
    $('#heal-all').addEventListener('click', (e) => control(e.currentTarget, 'heal', {fault: null}, 'heal every fault'))
    $('#isolate-leader').addEventListener('click', () => {
      const leader = state.status && state.status.leader
      if (!leader) {
        toast('There is no leader to isolate.', 'err')
        return
      }
      for (const id of state.ids) state.builder[id] = id === leader ? 0 : 1
      updateBuilder()
      toast(`Groups set: ${leader} | the others. Press Partition to cut.`, 'info')
    })
    const put = async (button) => {
      const key = $('#put-key').value
      const value = $('#put-value').value
      if (!key) {
        toast('A key is needed.', 'err')
        return
      }
      const r = await control(button, 'put', {key, value}, `put ${key}`)
      const out = $('#put-result')
      out.textContent = r.ok ? r.message : `${r.code || 'FAILED'}: ${r.message}`
      out.className = `put-result ${r.ok ? 'ok' : 'err'}`
    }
    $('#put').addEventListener('click', (e) => put(e.currentTarget))
    for (const input of [$('#put-key'), $('#put-value')]) {
      input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') put($('#put'))
      })
    }
    $('#burst').addEventListener('click', async (e) => {
      const b = e.currentTarget
      const key = $('#put-key').value || 'key'
      const value = $('#put-value').value
      b.disabled = true
      const started = performance.now()
      let ok = 0
      let failed = ''
      for (let i = 1; i <= 50; i++) {
        const r = await send('put', {key: `${key}-${i}`, value})
        if (r.ok) ok++
        else failed = `${r.code}: ${r.message}`
      }
      b.disabled = false
      const text = `${ok}/50 puts in ${fmt.ms(performance.now() - started)}${failed ? ` (last error ${failed})` : ''}`
      const out = $('#put-result')
      out.textContent = text
      out.className = `put-result ${failed ? 'err' : 'ok'}`
      logLine({cls: failed ? 'bad' : 'you', node: 'you', text})
    })
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) {
        for (const f of topo.flights) f.line.remove()
        topo.flights = []
      }
    })
  }

  wire()
  connect()
  requestAnimationFrame(frame)
})()
