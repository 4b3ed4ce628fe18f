/**
 * Planted state-machine bugs for tests of the simulator (the core's are `RaftOptions.bugs`):
 * wrappers around the real KvStateMachine that break one of its promises, so a test can show
 * that the simulator's checks see the breakage.
 */
import {decodeCommand, encodeCommand, type KvCommand} from '../kv/index.js'
import type {StateMachine} from '../replica/ports.js'

/** Bugs the simulator can plant in its state machines. */
export interface PlantedKvBugs {
  /** Every write is applied as if it carried no session: a retried write takes effect again. */
  readonly ignoreSessions?: boolean
}

/** `sm`, or `sm` with the planted bugs of `bugs`. */
export function withKvBugs(sm: StateMachine, bugs: PlantedKvBugs): StateMachine {
  if (!bugs.ignoreSessions) return sm
  return {
    apply: (index, data) => sm.apply(index, withoutSession(data)),
    snapshot: () => sm.snapshot(),
    restore: (data) => sm.restore(data),
  }
}

/** The command without its session (malformed data unchanged). */
function withoutSession(data: Uint8Array): Uint8Array {
  let command: KvCommand
  try {
    command = decodeCommand(data)
  } catch {
    return data
  }
  if (command.op === 'get' || command.session === undefined) return data
  const {session: _session, ...bare} = command
  return encodeCommand(bare)
}
