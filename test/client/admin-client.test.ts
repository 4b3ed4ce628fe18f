/**
 * AdminClient against a fake node (test/client/fake-node.ts) on 127.0.0.1: typed requests and
 * validated results, errors with the leader hint, the event subscription (events, unsubscribe,
 * end on disconnect), reconnection on the next call, the secret, and a daemon that breaks the
 * protocol. Every node and client is closed at the end.
 */
import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'node:test'
import {AdminClient, ClientError, type AdminEvent} from '../../src/client/index.js'
import {unknownOutcomeText} from '../../src/client/errors.js'
import {FakeNode, SECRET} from './fake-node.js'

let node: FakeNode
let admin: AdminClient

beforeEach(async () => {
  node = await FakeNode.start('n1')
  admin = new AdminClient({url: node.address, secret: SECRET, timeoutMs: 1000})
})

afterEach(async () => {
  await admin.close()
  await node.stop()
})

/** Poll until `condition` holds; `timeoutMs` only bounds a hang (long enough for a busy machine). */
async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('AdminClient', () => {
  it('uses the /admin route and returns a validated status', async () => {
    assert.equal(admin.url, `${node.address}/admin`)
    const status = await admin.status()
    assert.equal(status.id, 'n1')
    assert.equal(status.role, 'leader')
    assert.equal(node.seen[0]!.route, 'admin')
    assert.equal((await admin.ping()).node, 'n1')
    assert.deepEqual(await admin.transfer('n3'), {leader: 'n3', term: 7})
    assert.deepEqual(node.requests('transfer')[0], {v: 1, id: 3, type: 'transfer', to: 'n3'})
  })

  it('throws the node error with its leader hint, not unknown', async () => {
    node.leader = false
    node.hint = {id: 'n2', address: 'ws://127.0.0.1:1'}
    const error = await admin.campaign().then(() => assert.fail('expected NOT_LEADER'), (e: unknown) => e)
    assert.ok(error instanceof ClientError)
    assert.equal(error.code, 'NOT_LEADER')
    assert.deepEqual(error.leader, {id: 'n2', address: 'ws://127.0.0.1:1'})
    assert.equal(error.unknown, false)
  })

  it('marks an admin write that timed out as unknown', async () => {
    node.misbehave = () => 'ignore'
    const error = await admin.campaign({timeoutMs: 30}).then(() => assert.fail('expected TIMEOUT'), (e: unknown) => e)
    assert.ok(error instanceof ClientError)
    assert.deepEqual([error.code, error.unknown], ['TIMEOUT', true])
    const read = await admin.status({timeoutMs: 30}).then(() => assert.fail('expected TIMEOUT'), (e: unknown) => e)
    assert.ok(read instanceof ClientError)
    assert.deepEqual([read.code, read.unknown], ['TIMEOUT', false])
  })

  it('words an unknown outcome for what was asked: a transfer, a membership change, a KV write', async () => {
    node.misbehave = () => 'ignore'
    const transfer = await admin.transfer('n2', {timeoutMs: 30}).then(() => assert.fail('expected TIMEOUT'), (e: unknown) => e)
    assert.ok(transfer instanceof ClientError)
    assert.match(transfer.message, /^no answer to transfer from \S+ within 30 ms; the leader transfer may or may not have happened$/)
    node.misbehave = () => ({error: {code: 'TIMEOUT', message: 'no answer within 5000 ms'}})
    const member = await admin.addMember('n4', 'ws://127.0.0.1:7004').then(() => assert.fail('expected TIMEOUT'), (e: unknown) => e)
    assert.ok(member instanceof ClientError)
    assert.deepEqual([member.unknown, member.request], [true, 'member.add'])
    assert.equal(member.message, 'no answer within 5000 ms; the membership change may or may not have been applied')
    assert.equal(unknownOutcomeText('put'), 'the write may or may not have been applied')
    const read = await admin.status().then(() => assert.fail('expected TIMEOUT'), (e: unknown) => e)
    assert.equal((read as Error).message, 'no answer within 5000 ms', 'a read has no outcome to doubt')
  })

  it('delivers events until unsubscribe', async () => {
    const events: AdminEvent[] = []
    const subscription = await admin.subscribe((event) => events.push(event))
    assert.equal(node.subscriberCount, 1)
    node.emit({type: 'electionStarted', term: 3, pre: false, cause: 'manual'})
    node.emit({type: 'leaderChanged', leader: 'n1', term: 3})
    await waitFor(() => events.length === 2)
    assert.deepEqual(events, [
      {type: 'electionStarted', term: 3, pre: false, cause: 'manual'},
      {type: 'leaderChanged', leader: 'n1', term: 3},
    ])
    await subscription.unsubscribe()
    assert.equal(node.subscriberCount, 0)
    node.emit({type: 'leaderChanged', leader: null, term: 4})
    await admin.ping() // a round trip after the emit: the event would have arrived by now
    assert.equal(events.length, 2)
  })

  it('ends a subscription when the connection drops, and reconnects on the next call', async () => {
    let ended: ClientError | undefined
    await admin.subscribe(() => undefined, (reason) => {
      ended = reason
    })
    node.dropConnections()
    await waitFor(() => ended !== undefined)
    assert.equal(ended!.code, 'UNAVAILABLE')
    assert.equal((await admin.status()).id, 'n1')
  })

  it('refuses a wrong secret with UNAUTHORIZED', async () => {
    const wrong = new AdminClient({url: node.address, secret: 'wrong'})
    try {
      const error = await wrong.status().then(() => assert.fail('expected UNAUTHORIZED'), (e: unknown) => e)
      assert.ok(error instanceof ClientError)
      assert.equal(error.code, 'UNAUTHORIZED')
    } finally {
      await wrong.close()
    }
  })

  it('maps an error code it does not know to FAILED', async () => {
    node.misbehave = () => ({error: {code: 'NOT_A_CODE' as never, message: 'weird'}})
    const mapped = await admin.status().then(() => assert.fail('expected an error'), (e: unknown) => e)
    assert.ok(mapped instanceof ClientError)
    assert.deepEqual([mapped.code, mapped.message], ['FAILED', '[NOT_A_CODE] weird'])
  })

  it('fails with BAD_RESPONSE when the node breaks the protocol', async () => {
    node.misbehave = (request) => ({raw: `{"v":1,"id":${request.id},"ok":true,"term":"x"}`})
    const bad = await admin.campaign().then(() => assert.fail('expected BAD_RESPONSE'), (e: unknown) => e)
    assert.ok(bad instanceof ClientError)
    assert.deepEqual([bad.code, bad.unknown], ['BAD_RESPONSE', true])
    assert.match(bad.message, /^term: /)

    node.misbehave = () => ({raw: 'not json'})
    const garbage = await admin.status().then(() => assert.fail('expected BAD_RESPONSE'), (e: unknown) => e)
    assert.ok(garbage instanceof ClientError)
    assert.deepEqual([garbage.code, garbage.unknown], ['BAD_RESPONSE', false])

    node.misbehave = () => ({raw: Buffer.from('{}')})
    const binary = await admin.status().then(() => assert.fail('expected BAD_RESPONSE'), (e: unknown) => e)
    assert.ok(binary instanceof ClientError)
    assert.equal(binary.code, 'BAD_RESPONSE')
    node.misbehave = () => undefined
    assert.equal((await admin.ping()).node, 'n1', 'a new connection after the broken one')
  })

  it('rejects calls after close', async () => {
    await admin.close()
    const error = await admin.ping().then(() => assert.fail('expected UNAVAILABLE'), (e: unknown) => e)
    assert.ok(error instanceof ClientError)
    assert.equal(error.code, 'UNAVAILABLE')
  })
})
