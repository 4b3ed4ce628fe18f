/**
 * Contract checks of src/admin: the shapes re-declared from the Raft core stay in step with it
 * (compile-time assertions, checked by `tsc -p tsconfig.test.json`, plus a run-time check that
 * core events pass the event schema); no request parameter or result field collides with an
 * envelope field; and docs/errors.md lists every error code with its exit code and whether
 * the outcome is unknown.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'
import {EXIT_CODES, OUTCOME_UNKNOWN_CODES, type ErrorCode} from '../../src/common/errors.js'
import {formatEvent, parseResponse, type AdminEvent, type MessageEvent, type WatchEndEvent, type WatchEvent, type WatchProgressEvent, type Cause, type ProgressState, type RaftRole, type RequestParamsMap, type RequestType, type ResultMap} from '../../src/admin/protocol.js'
import type {ProgressStatus, RaftStatus} from '../../src/raft/node.js'
import type {Cause as CoreCause, RaftEvent, Role} from '../../src/raft/ready.js'

// ---------------------------------------------------------------------------------------------
// Compile-time assertions: a failure is a type error in this file.

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Assert<T extends true> = T

// The core's events, plus the daemon's sampled message events and the watch streams.
export type EventsMatchCore = Assert<Equal<RaftEvent, Exclude<AdminEvent, MessageEvent | WatchEvent | WatchEndEvent | WatchProgressEvent>>>
export type CausesMatchCore = Assert<Equal<CoreCause, Cause>>
export type RolesMatchCore = Assert<Equal<Role, RaftRole>>
export type ProgressStatesMatchCore = Assert<Equal<ProgressStatus['state'], ProgressState>>
/** Every index-like field of the core's status exists in NodeStatus under the same name. */
export type StatusFieldsExist = Assert<Equal<
  Extract<keyof RaftStatus, 'id' | 'role' | 'term' | 'vote' | 'leader' | 'commitIndex' | 'appliedIndex' | 'lastIndex' | 'lastTerm' | 'firstIndex' | 'snapshotIndex' | 'voter' | 'transferee' | 'progress' | 'rebuilding'>,
  Extract<keyof import('../../src/admin/protocol.js').NodeStatus, keyof RaftStatus>
>>

/** Parameters may not use the request envelope's names, results not the response envelope's. */
type ParamClash = {[T in RequestType]: Extract<keyof RequestParamsMap[T], 'v' | 'id' | 'type'>}[RequestType]
type ResultClash = {[T in RequestType]: Extract<keyof ResultMap[T], 'v' | 'id' | 'ok'>}[RequestType]
export type NoEnvelopeClash = Assert<Equal<ParamClash | ResultClash, never>>

describe('contracts', () => {
  it('core events pass the event schema unchanged', () => {
    const events: RaftEvent[] = [
      {type: 'roleChanged', from: 'leader', to: 'follower', term: 9, cause: 'checkQuorum'},
      {type: 'confChanged', conf: {voters: ['a'], learners: []}, index: 4},
    ]
    for (const event of events) {
      assert.deepEqual(parseResponse(formatEvent(event, 1)), {ok: true, message: {kind: 'event', event, time: 1}})
    }
  })

  it('outcome-unknown codes all exit with 3', () => {
    for (const code of OUTCOME_UNKNOWN_CODES) assert.equal(EXIT_CODES[code], 3, code)
  })

  it('docs/errors.md lists every code with its exit code and outcome', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    const rows = new Map<string, {exit: number; unknown: string}>()
    for (const match of doc.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| (\d) \| (yes|no) \|/gm)) {
      rows.set(match[1]!, {exit: Number(match[2]), unknown: match[3]!})
    }
    for (const code of Object.keys(EXIT_CODES) as ErrorCode[]) {
      const row = rows.get(code)
      assert.ok(row, `docs/errors.md has no row for ${code}`)
      assert.equal(row.exit, EXIT_CODES[code], `exit code of ${code}`)
      assert.equal(row.unknown, OUTCOME_UNKNOWN_CODES.has(code) ? 'yes' : 'no', `outcome column of ${code}`)
    }
    for (const code of rows.keys()) assert.ok(code in EXIT_CODES, `docs/errors.md lists unknown code ${code}`)
  })
})
