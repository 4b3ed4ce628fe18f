/**
 * The `--id` help of every fault-adding chaos command shows an example id of the kind that
 * command adds (`chaos partition` and `chaos isolate` add partitions: `partition-3fa2c1`).
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import Delay from '../../src/commands/chaos/delay.js'
import Disk from '../../src/commands/chaos/disk.js'
import Drop from '../../src/commands/chaos/drop.js'
import Duplicate from '../../src/commands/chaos/duplicate.js'
import Isolate from '../../src/commands/chaos/isolate.js'
import Partition from '../../src/commands/chaos/partition.js'
import Reorder from '../../src/commands/chaos/reorder.js'

const COMMANDS = [
  {name: 'partition', command: Partition, kind: 'partition'},
  {name: 'isolate', command: Isolate, kind: 'partition'},
  {name: 'drop', command: Drop, kind: 'drop'},
  {name: 'delay', command: Delay, kind: 'delay'},
  {name: 'duplicate', command: Duplicate, kind: 'duplicate'},
  {name: 'reorder', command: Reorder, kind: 'reorder'},
  {name: 'disk', command: Disk, kind: 'disk'},
]

for (const {name, command, kind} of COMMANDS) {
  test(`chaos ${name} --id: the example id is a ${kind} id`, () => {
    const description = (command.flags as {id: {description?: string}}).id.description ?? ''
    assert.match(description, new RegExp(`e\\.g\\. ${kind}-[0-9a-f]{6}\\)`))
  })
}
