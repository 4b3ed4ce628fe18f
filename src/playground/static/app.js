// raftctl playground: the page. An ES module with no dependencies: it imports the real Raft core
// (dist/raft, through dist/playground/engine.js) from its own server and runs it on a virtual
// clock. Everything is derived from one scenario (seed, settings, timed actions): going back in
// time is a replay, and a link carries the scenario.
import {Engine, describeAction} from '../engine.js'
import {GUIDED, guided} from '../guided.js'
import {DEFAULT_SETTINGS, SCENARIO_LIMITS, ScenarioError, decodeLink, encodeLink, parseScenario, scenario as makeScenario} from '../scenario.js'
import {TraceView} from '../trace.js'

const SVG_NS = 'http://www.w3.org/2000/svg'
/** Virtual ms per real ms at 1×. */
const PACE = 0.1
/** Redraw the logs and events at most this often (real ms). */
const PANEL_EVERY_MS = 120
/** How far past the furthest time reached the scrubber reaches (virtual ms): dragging there runs ahead. */
const SCRUB_AHEAD_MS = 3000
const TERM_COLOURS = ['#60a5fa', '#22c55e', '#f97316', '#a78bfa', '#eab308', '#f472b6', '#2dd4bf', '#ef4444']

const $ = (sel) => document.querySelector(sel)

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

const fmtMs = (ms) => (ms < 10000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`)
const termColour = (term) => TERM_COLOURS[(term - 1 + TERM_COLOURS.length) % TERM_COLOURS.length]

// ------------------------------------------------------------------ state

const state = {
  /** The scenario being played (seed, settings, actions). */
  scenario: null,
  /** The guided scenario it came from, if any. */
  guided: null,
  engine: null,
  /** Virtual time shown (fractional while playing; the engine runs to its floor). */
  vt: 0,
  /** Furthest virtual time reached: the scrubber's end. */
  horizon: 0,
  playing: false,
  speed: 1,
  lastFrame: 0,
  lastPanels: 0,
  panelsKey: '',
  /** A simulator trace being shown instead of a playground run. */
  trace: null,
}

function toast(text, kind) {
  const t = h('div', {class: `toast ${kind === 'error' ? 'err' : 'info'}`, text})
  $('#toasts').append(t)
  setTimeout(() => t.remove(), 4000)
}

/** A message at the top of the page (bad links, unknown scenarios); empty hides it. */
function showMessage(text) {
  const m = $('#message')
  m.textContent = text
  m.hidden = text === ''
}

// ------------------------------------------------------------------ runs

/** Start playing `sc` from time 0 (paused unless `play`). */
function load(sc, g, play) {
  state.scenario = sc
  state.guided = g || null
  state.engine = new Engine(sc)
  state.vt = 0
  state.horizon = g ? g.endsAt : 0
  state.playing = Boolean(play)
  $('#run-name').textContent = g ? g.title : `seed ${sc.seed}, ${sc.nodes} node${sc.nodes === 1 ? '' : 's'}`
  const cap = $('#caption')
  cap.hidden = !g
  cap.textContent = g ? `${g.title}: ${g.caption}` : ''
  fillSettings(sc)
  updateLink()
  drawAll(true)
}

/** Go to virtual time `t`: forward runs on, backward replays from the start. */
function seek(t) {
  t = Math.max(0, Math.floor(t))
  if (t < state.engine.now) state.engine = new Engine(state.scenario)
  state.engine.runUntil(t)
  state.vt = t
  drawAll(true)
}

/** Apply a user action now and record it in the scenario (the link follows). */
function act(action) {
  if (state.trace) return
  const e = state.engine
  e.runUntil(Math.floor(state.vt))
  let timed
  try {
    timed = e.act(action)
  } catch (err) {
    toast(`${describeAction({...action, at: 0})}: ${err.message}`, 'error')
    return
  }
  const actions = [...state.scenario.actions]
  let i = actions.length
  while (i > 0 && actions[i - 1].at > timed.at) i--
  actions.splice(i, 0, timed)
  state.scenario = {...state.scenario, actions}
  updateLink()
  drawAll(true)
}

function updateLink() {
  if (state.trace) return
  history.replaceState(null, '', `${location.pathname}${location.search}#${encodeLink(state.scenario)}`)
}

function settingsFromForm() {
  const [minDelayMs, maxDelayMs] = $('#s-delay').value.split('-').map(Number)
  return {
    electionTicks: Number($('#s-election').value), heartbeatTicks: Number($('#s-heartbeat').value),
    preVote: $('#s-prevote').checked, checkQuorum: $('#s-checkquorum').checked, minDelayMs, maxDelayMs,
  }
}

function fillSettings(sc) {
  const st = sc.settings
  ensureOption($('#s-election'), String(st.electionTicks), `${st.electionTicks * 10}–${st.electionTicks * 20} ms`)
  ensureOption($('#s-heartbeat'), String(st.heartbeatTicks), `${st.heartbeatTicks * 10} ms`)
  ensureOption($('#s-delay'), `${st.minDelayMs}-${st.maxDelayMs}`, `${st.minDelayMs}–${st.maxDelayMs} ms`)
  $('#s-prevote').checked = st.preVote
  $('#s-checkquorum').checked = st.checkQuorum
  $('#s-nodes').value = String(sc.nodes)
  $('#s-seed').value = String(sc.seed)
}

function ensureOption(select, value, label) {
  if (![...select.options].some((o) => o.value === value)) select.append(h('option', {value, text: label}))
  select.value = value
}

/** Settings changed: same seed, nodes and actions, replayed from the start with the new settings. */
function onSettingsChanged() {
  let settings
  try {
    settings = {...state.scenario.settings, ...settingsFromForm()}
    if (settings.heartbeatTicks >= settings.electionTicks) throw new ScenarioError('the heartbeat must be shorter than the election timeout')
    parseScenario({...state.scenario, settings})
  } catch (err) {
    toast(err.message, 'error')
    fillSettings(state.scenario)
    return
  }
  load({...state.scenario, settings}, state.guided, state.playing)
  toast('Settings changed: the run replays from the start')
}

function newRun() {
  const nodes = Number($('#s-nodes').value)
  const seed = Number($('#s-seed').value)
  try {
    load(parseScenario({...makeScenario({seed, nodes, settings: settingsFromForm()})}), null, false)
  } catch (err) {
    toast(err.message, 'error')
  }
}

/** Open a link (a whole URL or its fragment) or a guided scenario's `scenario=NAME`; a problem is shown on the page. */
function openFragment(fragment, fallback) {
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment.includes('#') ? fragment.slice(fragment.indexOf('#') + 1) : fragment
  if (text.startsWith('scenario=')) {
    const name = decodeURIComponent(text.slice('scenario='.length))
    const g = guided(name)
    if (!g) {
      showMessage(`Unknown scenario "${name}". The guided scenarios are: ${GUIDED.map((x) => x.name).join(', ')}.`)
      if (fallback) load(fallback, null, false)
      return false
    }
    showMessage('')
    load(g.scenario, g, true)
    return true
  }
  try {
    const sc = decodeLink(text)
    showMessage('')
    load(sc, sc.name ? guided(sc.name) : null, false)
    return true
  } catch (err) {
    const why = err instanceof ScenarioError ? err.message : String(err && err.message)
    showMessage(`This link cannot be replayed: ${why}.${fallback ? ' A fresh run was started instead.' : ''}`)
    if (fallback) load(fallback, null, false)
    return false
  }
}

// ------------------------------------------------------------------ drawing: topology

/** Node positions on a circle. */
function layout(ids) {
  const pos = new Map()
  const n = ids.length
  ids.forEach((id, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(n, 1)
    const r = n === 1 ? 0 : 145
    pos.set(id, {x: 240 + r * Math.cos(a), y: 200 + r * Math.sin(a)})
  })
  return pos
}

function roleOf(v) {
  if (v.state !== 'up') return 'down'
  if (!v.status.voter && v.status.role === 'follower') return 'learner'
  return v.status.role
}

function msgClass(m) {
  const base = {append: 'm-append', appendResp: 'm-append', heartbeat: 'm-heartbeat', heartbeatResp: 'm-heartbeat', snapshot: 'm-snapshot', timeoutNow: 'm-timeoutnow'}[m.type]
  if (m.type === 'vote' || m.type === 'voteResp') return `${m.pre ? 'm-prevote' : 'm-vote'}${m.type === 'voteResp' ? ' resp' : ''}${m.type === 'voteResp' && !m.granted ? ' reject' : ''}`
  const resp = m.type.endsWith('Resp') ? ' resp' : ''
  const reject = m.type === 'appendResp' && !m.success ? ' reject' : ''
  const entries = m.type === 'append' && m.entries.length > 0 ? ' entries' : ''
  return `${base}${resp}${reject}${entries}`
}

function describeMsg(m) {
  switch (m.type) {
    case 'vote': return `${m.pre ? 'pre-vote' : 'vote'} request, term ${m.term}, last ${m.lastIndex}/${m.lastTerm}`
    case 'voteResp': return `${m.pre ? 'pre-vote' : 'vote'} ${m.granted ? 'granted' : 'refused'}, term ${m.term}`
    case 'append': return `append ${m.entries.length} entr${m.entries.length === 1 ? 'y' : 'ies'} after ${m.prevIndex}/${m.prevTerm}, commit ${m.commit}, term ${m.term}`
    case 'appendResp': return `append ${m.success ? `ok, match ${m.index}` : `rejected at ${m.index}`}, term ${m.term}`
    case 'heartbeat': return `heartbeat, term ${m.term}, commit ${m.commit}`
    case 'heartbeatResp': return `heartbeat answer, term ${m.term}`
    case 'timeoutNow': return `TimeoutNow, term ${m.term}`
    default: return `${m.type}, term ${m.term}`
  }
}

function drawTopology(views, flights, faults, vt, highlight) {
  const svg = $('#topology')
  const keepLasso = svg.querySelector('.pg-lasso')
  svg.replaceChildren()
  const pos = layout(views.map((v) => v.id))
  const faultOf = new Map(faults.map((f) => [`${f.from}>${f.to}`, f]))
  const links = s('g', {class: 'links'}, svg)
  const ids = views.filter((v) => v.state !== 'removed').map((v) => v.id)
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const a = pos.get(ids[i]), b = pos.get(ids[j])
      const fab = faultOf.get(`${ids[i]}>${ids[j]}`), fba = faultOf.get(`${ids[j]}>${ids[i]}`)
      const cut = (fab && fab.drop) || (fba && fba.drop)
      const slow = !cut && (fab || fba)
      const line = s('line', {x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: `link${cut ? ' cut' : slow ? ' faulty' : ''}`, 'data-link': `${ids[i]}-${ids[j]}`}, links)
      const what = [fab && `${ids[i]} → ${ids[j]}: ${fab.drop ? 'cut' : `+${fab.delayMs} ms`}`, fba && `${ids[j]} → ${ids[i]}: ${fba.drop ? 'cut' : `+${fba.delayMs} ms`}`].filter(Boolean).join('; ')
      s('title', {text: `link ${ids[i]} ↔ ${ids[j]}${what ? ` — ${what}` : ''} (click for actions)`}, line)
      // A wide transparent line makes the link easy to click.
      s('line', {x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'pg-link-hit', 'data-link': `${ids[i]}-${ids[j]}`}, links)
      if (cut) {
        const one = !(fab && fab.drop) || !(fba && fba.drop)
        s('text', {x: (a.x + b.x) / 2, y: (a.y + b.y) / 2, class: 'link-x', text: one ? '⇥' : '✕'}, links)
      }
    }
  }
  const msgs = s('g', {class: 'msgs'}, svg)
  for (const f of flights) {
    const a = pos.get(f.msg.from), b = pos.get(f.msg.to)
    if (!a || !b || vt < f.sent) continue
    let p = (vt - f.sent) / Math.max(1, f.arrives - f.sent)
    let opacity = 1
    if (f.lost) {
      if (p > 1) continue
      opacity = Math.max(0, 1 - p)
      p = Math.min(p, 0.5)
    } else if (p > 1) continue
    const x = a.x + (b.x - a.x) * p, y = a.y + (b.y - a.y) * p
    const c = s('circle', {cx: x, cy: y, r: f.msg.type === 'append' && f.msg.entries.length > 0 ? 7 : f.msg.type.startsWith('heartbeat') ? 3.5 : 5.5, class: `pg-msg ${msgClass(f.msg)}${f.lost ? ' lost' : ''}`, opacity, 'data-type': f.msg.type}, msgs)
    s('title', {text: `${f.msg.from} → ${f.msg.to}: ${describeMsg(f.msg)}${f.lost ? ' (lost)' : ''}`}, c)
  }
  const nodes = s('g', {class: 'nodes'}, svg)
  for (const v of views) {
    const p = pos.get(v.id)
    const role = v.state === 'removed' ? 'down' : roleOf(v)
    const st = v.status
    const g = s('g', {class: `node role-${role}${v.state === 'removed' ? ' removed' : ''}${highlight && highlight.has(v.id) ? ' pg-offender' : ''}`, transform: `translate(${p.x},${p.y})`, 'data-node': v.id, 'data-role': role, 'data-term': st.term, tabindex: 0}, nodes)
    s('title', {text: `${v.id}: ${v.state === 'up' ? st.role : v.state}, term ${st.term}, voted for ${st.vote ?? 'nobody'}, leader ${st.leader ?? 'unknown'}, commit ${st.commitIndex}, last ${st.lastIndex} (click for actions)`}, g)
    s('circle', {r: 38, class: 'under'}, g)
    s('circle', {r: 36, class: 'timer-track'}, g)
    const ring = 2 * Math.PI * 36
    if (v.state === 'up' && st.role !== 'leader') {
      const frac = Math.min(1, st.electionElapsed / Math.max(1, st.electionTimeout))
      s('circle', {r: 36, class: `timer${frac > 0.85 ? ' hot' : frac > 0.6 ? ' warm' : ''}`, 'stroke-dasharray': `${frac * ring} ${ring}`, transform: 'rotate(-90)'}, g)
    } else if (v.state === 'up') {
      s('circle', {r: 36, class: 'timer lead'}, g)
    }
    s('circle', {r: 30, class: 'body'}, g)
    if (role === 'leader') s('text', {y: -44, class: 'crown', text: '★'}, g)
    s('text', {y: -4, class: 'nid', text: v.id}, g)
    s('text', {y: 12, class: 'nrole', text: v.state === 'up' ? `${role} · t${st.term}` : v.state === 'removed' ? 'removed' : `stopped · t${st.term}`}, g)
    s('text', {y: 52, class: 'nvote', text: st.vote ? `voted ${st.vote}` : ''}, g)
  }
  if (keepLasso) svg.append(keepLasso)
}

// ------------------------------------------------------------------ drawing: panels

function drawLogs(views) {
  const rows = views.map((v) => {
    const st = v.status
    const cells = v.log.map((e) => {
      const committed = e.index <= st.commitIndex
      const cell = h('span', {
        class: `pg-entry${committed ? ' committed' : ''} kind-${e.kind}`,
        title: `index ${e.index}, term ${e.term}: ${e.text}${committed ? ' (committed)' : ' (not committed)'}`,
        'data-index': e.index, 'data-term': e.term,
        text: e.kind === 'config' ? 'c' : e.kind === 'noop' ? '·' : String(e.term),
      })
      cell.style.setProperty('--term', termColour(e.term)) // CSSOM: the CSP forbids style attributes
      return cell
    })
    const role = v.state === 'removed' ? 'down' : roleOf(v)
    return h('div', {class: 'pg-log-row', 'data-node': v.id},
      h('span', {class: `pg-log-id role-${role}`, text: v.id}),
      h('span', {class: 'pg-log-meta mono', text: `t${st.term} c${st.commitIndex}`}),
      h('span', {class: 'pg-log-cells'}, ...(st.snapshotIndex > 0 ? [h('span', {class: 'pg-entry snap', title: `snapshot up to ${st.snapshotIndex}`, text: '…'})] : []), ...cells))
  })
  $('#logs').replaceChildren(...rows)
}

function drawEvents(lines) {
  const items = lines.slice(-120).reverse().map((l) => h('li', {class: `pg-ev ev-${l.kind}`}, h('time', {text: fmtMs(l.t)}), ' ', l.text))
  $('#events').replaceChildren(...items)
}

function drawHeader(views, vt) {
  let leader = null
  let term = 0
  for (const v of views) {
    if (v.state !== 'up') continue
    term = Math.max(term, v.status.term)
    if (v.status.role === 'leader' && (!leader || v.status.term > leader.status.term)) leader = v
  }
  const l = $('#leader')
  l.textContent = leader ? leader.id : 'none'
  l.dataset.leader = leader ? leader.id : ''
  $('#term').textContent = String(term)
  $('#commit').textContent = leader ? String(leader.status.commitIndex) : '–'
  $('#vtime').textContent = fmtMs(vt)
}

function drawTransport() {
  const end = Math.max(state.horizon, state.vt, state.trace ? state.trace.end : 0)
  const sc = $('#scrubber')
  sc.max = String(Math.ceil(state.trace ? end : end + SCRUB_AHEAD_MS))
  if (document.activeElement !== sc) sc.value = String(Math.floor(state.vt))
  $('#scrub-label').textContent = `${fmtMs(state.vt)} / ${fmtMs(end)}`
  $('#play').textContent = state.playing ? '❚❚ Pause' : '▶ Play'
  drawMarks(end)
}

/** Action marks (or a trace's violation) on the time line. */
function drawMarks(end) {
  const svg = $('#marks')
  const width = svg.clientWidth || 600
  const marks = state.trace ? state.trace.marks() : state.scenario.actions.map((a) => ({at: a.at, text: describeAction(a), kind: 'action'}))
  const key = `${end}|${width}|${marks.length}`
  if (svg.dataset.key === key) return
  svg.dataset.key = key
  svg.replaceChildren()
  for (const m of marks) {
    const x = (m.at / Math.max(1, end)) * width
    const r = s('rect', {x: x - 1.5, y: 0, width: 3, height: 10, class: `pg-mark pg-mark-${m.kind}`}, svg)
    s('title', {text: `${fmtMs(m.at)}: ${m.text}`}, r)
  }
}

function drawAll(force) {
  const views = state.trace ? state.trace.views() : state.engine.views()
  const flights = state.trace ? state.trace.inFlight() : state.engine.inFlight()
  const faults = state.trace ? state.trace.faults() : state.engine.faults()
  drawTopology(views, flights, faults, state.vt, state.trace ? state.trace.offenders() : null)
  drawHeader(views, state.vt)
  drawTransport()
  const now = performance.now()
  const lines = state.trace ? state.trace.lines() : state.engine.lines
  const key = `${lines.length}|${lines.length ? lines[lines.length - 1].t : 0}|${state.trace ? state.trace.position() : state.engine.eventCount}`
  if (force || (now - state.lastPanels > PANEL_EVERY_MS && key !== state.panelsKey)) {
    state.lastPanels = now
    state.panelsKey = key
    drawLogs(views)
    drawEvents(lines)
  }
}

// ------------------------------------------------------------------ the clock

function frame(now) {
  const dt = state.lastFrame === 0 ? 0 : Math.min(100, now - state.lastFrame)
  state.lastFrame = now
  if (state.playing) {
    state.vt += dt * PACE * state.speed
    if (state.trace) {
      state.trace.runUntil(state.vt)
      if (state.vt >= state.trace.end) {
        state.vt = state.trace.end
        state.playing = false
      }
    } else {
      state.engine.runUntil(Math.floor(state.vt))
    }
    state.horizon = Math.max(state.horizon, state.vt)
    drawAll(false)
  }
  requestAnimationFrame(frame)
}

function step() {
  state.playing = false
  if (state.trace) state.trace.step()
  else state.engine.step()
  state.vt = state.trace ? state.trace.now : state.engine.now
  state.horizon = Math.max(state.horizon, state.vt)
  drawAll(true)
}

// ------------------------------------------------------------------ clicks on nodes and links

function closeMenu() {
  $('#node-menu').hidden = true
}

function openMenu(title, buttons) {
  const menu = $('#node-menu')
  menu.replaceChildren(h('div', {class: 'pg-menu-title', text: title}), ...buttons.map(([label, fn, cls]) => h('button', {type: 'button', class: cls, text: label, onclick: () => {
    closeMenu()
    fn()
  }})), h('button', {type: 'button', text: 'Close', onclick: closeMenu}))
  menu.hidden = false
}

function nodeMenu(id) {
  if (state.trace) return
  const v = state.engine.views().find((x) => x.id === id)
  if (!v) return
  const buttons = []
  if (v.state === 'up') buttons.push(['Stop', () => act({do: 'stop', node: id}), 'danger'])
  if (v.state === 'up' && v.status.role !== 'leader') buttons.push(['Time out now', () => act({do: 'timeout', node: id})])
  if (v.state === 'down') buttons.push(['Restart', () => act({do: 'restart', node: id}), 'primary'])
  if (v.state === 'up' && v.status.role !== 'leader') buttons.push(['Make leader (transfer)', () => act({do: 'transfer', node: id})])
  if (v.state !== 'removed') buttons.push(['Remove from the cluster', () => act({do: 'remove', node: id}), 'danger'])
  openMenu(`${id} (${v.state === 'up' ? v.status.role : v.state})`, buttons)
}

function linkMenu(a, b) {
  if (state.trace) return
  const link = (from, to, drop, delayMs, both) => () => act({do: 'link', from, to, drop, delayMs, both})
  openMenu(`link ${a} ↔ ${b}`, [
    [`Drop ${a} ↔ ${b}`, link(a, b, true, 0, true), 'danger'],
    [`Drop ${a} → ${b} only`, link(a, b, true, 0, false)],
    [`Drop ${b} → ${a} only`, link(b, a, true, 0, false)],
    ['Delay +100 ms both ways', link(a, b, false, 100, true)],
    ['Repair this link', link(a, b, false, 0, true), 'primary'],
  ])
}

/** The groups of the (two-way) partition in force now, or null (none, or healed since). */
function partitionInForce() {
  let groups = null
  for (const a of state.scenario.actions) {
    if (a.at > state.engine.now) break
    if (a.do === 'partition') groups = a.oneWay ? null : a.groups
    else if (a.do === 'heal') groups = null
  }
  return groups
}

/** Drag on the empty area: a box; the nodes inside are partitioned from the rest. */
function setupTopologyInput() {
  const svg = $('#topology')
  let start = null
  /** A box was drawn: the click that ends it is not a click on a link. */
  let dragged = false
  const point = (ev) => {
    const r = svg.getBoundingClientRect()
    return {x: ((ev.clientX - r.left) / r.width) * 480, y: ((ev.clientY - r.top) / r.height) * 400}
  }
  svg.addEventListener('pointerdown', (ev) => {
    if (ev.target.closest('[data-node]') || state.trace) return
    start = point(ev)
    dragged = false
  })
  svg.addEventListener('pointermove', (ev) => {
    if (!start) return
    const p = point(ev)
    // Capture only once it is a drag: a short press stays a click on the link under it.
    if (!svg.hasPointerCapture(ev.pointerId)) {
      if (Math.abs(p.x - start.x) < 4 && Math.abs(p.y - start.y) < 4) return
      svg.setPointerCapture(ev.pointerId)
    }
    let box = svg.querySelector('.pg-lasso')
    if (!box) box = s('rect', {class: 'pg-lasso'}, svg)
    box.setAttribute('x', String(Math.min(start.x, p.x)))
    box.setAttribute('y', String(Math.min(start.y, p.y)))
    box.setAttribute('width', String(Math.abs(p.x - start.x)))
    box.setAttribute('height', String(Math.abs(p.y - start.y)))
  })
  svg.addEventListener('pointerup', (ev) => {
    if (!start) return
    const end = point(ev)
    const from = start
    start = null
    svg.querySelector('.pg-lasso')?.remove()
    if (Math.abs(end.x - from.x) < 8 && Math.abs(end.y - from.y) < 8) return
    dragged = true
    const views = state.engine.views().filter((v) => v.state !== 'removed')
    const pos = layout(state.engine.views().map((v) => v.id))
    const inside = views.filter((v) => {
      const p = pos.get(v.id)
      return p.x >= Math.min(from.x, end.x) && p.x <= Math.max(from.x, end.x) && p.y >= Math.min(from.y, end.y) && p.y <= Math.max(from.y, end.y)
    }).map((v) => v.id)
    const rest = views.map((v) => v.id).filter((id) => !inside.includes(id))
    if (inside.length === 0 || rest.length === 0) return toast('Draw a box around some nodes, not all of them', 'error')
    const mode = $('#partition-mode').value
    const groups = ev.shiftKey && mode === 'both' ? partitionInForce() : null
    // Shift: carve the box out of the partition in force, as one more group.
    if (groups) act({do: 'partition', groups: [...groups.map((g) => g.filter((id) => !inside.includes(id))).filter((g) => g.length > 0), inside], oneWay: false})
    // One-way cuts messages from the later group to the earlier one.
    else if (mode === 'both') act({do: 'partition', groups: [inside, rest], oneWay: false})
    else if (mode === 'deaf') act({do: 'partition', groups: [inside, rest], oneWay: true})
    else act({do: 'partition', groups: [rest, inside], oneWay: true})
  })
  svg.addEventListener('click', (ev) => {
    if (dragged) {
      dragged = false
      return
    }
    const node = ev.target.closest('[data-node]')
    if (node) return nodeMenu(node.dataset.node)
    const link = ev.target.closest('[data-link]')
    if (link) {
      const [a, b] = link.dataset.link.split('-')
      linkMenu(a, b)
    }
  })
}

// ------------------------------------------------------------------ share

function download() {
  const blob = new Blob([`${JSON.stringify(state.scenario, null, 2)}\n`], {type: 'application/json'})
  const a = h('a', {href: URL.createObjectURL(blob), download: `raft-${state.scenario.name || `seed-${state.scenario.seed}`}.json`})
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 1000)
}

async function openFile(file) {
  try {
    const sc = parseScenario(JSON.parse(await file.text()))
    showMessage('')
    load(sc, sc.name ? guided(sc.name) : null, false)
  } catch (err) {
    showMessage(`${file.name} cannot be opened: ${err instanceof SyntaxError ? 'it is not JSON' : err.message}.`)
  }
}

async function copyLink() {
  const link = location.href
  $('#link').value = link
  try {
    await navigator.clipboard.writeText(link)
    toast('Link copied: it replays this run (seed, settings and actions)')
  } catch {
    $('#link').select()
    toast('Link shown below: copy it from there')
  }
}

// ------------------------------------------------------------------ start

function setup() {
  $('#play').addEventListener('click', () => {
    state.playing = !state.playing
    state.lastFrame = 0
    drawTransport()
  })
  $('#step').addEventListener('click', step)
  $('#speed').addEventListener('change', () => (state.speed = Number($('#speed').value)))
  $('#scrubber').addEventListener('input', () => {
    state.playing = false
    const t = Number($('#scrubber').value)
    if (state.trace) {
      state.trace.seek(t)
      state.vt = t
      drawAll(true)
    } else seek(t)
  })
  document.addEventListener('keydown', (ev) => {
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return
    if (ev.key === ' ') {
      ev.preventDefault()
      $('#play').click()
    } else if (ev.key === 'ArrowRight') step()
  })
  $('#request').addEventListener('click', () => act({do: 'request'}))
  $('#add-node').addEventListener('click', () => act({do: 'add'}))
  $('#heal').addEventListener('click', () => act({do: 'heal'}))
  for (const id of ['#s-election', '#s-heartbeat', '#s-delay', '#s-prevote', '#s-checkquorum']) $(id).addEventListener('change', onSettingsChanged)
  $('#new-run').addEventListener('click', newRun)
  $('#copy-link').addEventListener('click', copyLink)
  $('#download').addEventListener('click', download)
  $('#open-file').addEventListener('change', (ev) => ev.target.files[0] && openFile(ev.target.files[0]))
  $('#open-link').addEventListener('click', () => openFragment($('#link').value.trim(), null))
  $('#scenarios').replaceChildren(...GUIDED.map((g) => h('li', {},
    h('button', {type: 'button', 'data-scenario': g.name, onclick: () => {
      history.replaceState(null, '', `${location.pathname}${location.search}#scenario=${g.name}`)
      showMessage('')
      load(g.scenario, g, true)
    }, text: g.title}),
    h('span', {class: 'muted', text: ` ${g.caption}`}))))
  setupTopologyInput()
  window.addEventListener('hashchange', () => {
    if (!state.trace && location.hash !== `#${encodeLink(state.scenario)}`) openFragment(location.hash, null)
  })
}

async function main() {
  setup()
  const body = document.body.dataset
  const nodes = clampInt(body.nodes, SCENARIO_LIMITS.defaultNodes)
  const seed = clampInt(body.seed, 1)
  const fresh = makeScenario({seed, nodes, settings: DEFAULT_SETTINGS})
  if (body.trace) {
    const res = await fetch(`t/${body.token}/${body.trace}`)
    try {
      state.trace = new TraceView(await res.json())
    } catch (err) {
      showMessage(`The simulator trace cannot be shown: ${err.message}`)
      load(fresh, null, false)
      requestAnimationFrame(frame)
      return
    }
    document.body.classList.add('trace-mode')
    $('#run-name').textContent = state.trace.title
    $('#mode').textContent = 'simulator trace'
    const cap = $('#caption')
    cap.hidden = false
    cap.textContent = state.trace.caption
    if (state.trace.violation) cap.classList.add('pg-violation')
    state.vt = 0
    drawAll(true)
  } else if (location.hash.length > 1) {
    openFragment(location.hash, fresh)
  } else {
    load(fresh, null, false)
  }
  window.__playground = {snapshot, state}
  document.body.dataset.ready = 'true'
  requestAnimationFrame(frame)
}

function clampInt(text, dflt) {
  const n = Number(text)
  return text !== '' && Number.isInteger(n) && n >= 0 ? n : dflt
}

/** What tests compare: every node's state and log, and the time. */
function snapshot() {
  const views = state.trace ? state.trace.views() : state.engine.views()
  return {
    time: state.trace ? state.trace.now : state.engine.now,
    nodes: views.map((v) => ({id: v.id, state: v.state, role: v.status.role, term: v.status.term, commit: v.status.commitIndex, log: v.log.map((e) => [e.index, e.term, e.kind, e.text])})),
  }
}

main().catch((err) => showMessage(`The playground failed to start: ${err.message}`))
