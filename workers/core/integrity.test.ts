/**
 * Integrity against the relay: a device shown a different history than the other members (a
 * fork) catches it as soon as an envelope commits to a view that disagrees with its own, reads the
 * conversation again and ends in the members' order; a withheld entry shows as a gap; idle
 * members' heartbeats commit to their view without showing anything.
 */
import assert from 'node:assert/strict'
import type { DefenceEvent, WardlineClient } from './client.ts'
import { adminAndNurse, until } from './test-world.ts'

const bodies = (client: WardlineClient, id: string) => client.listMessages(id).map((m) => m.body)

Deno.test('a relay that swaps two entries for one member is caught as a fork, and that member repairs to the true order', async () => {
  const w = await adminAndNurse()
  const caraId = await w.enroll('Cara Doctor')
  const cara = w.make(caraId)
  await cara.start()
  await until(() => [w.admin, w.ben, cara].every((x) => x.people().length === 3), 'directory')
  const conv = await w.admin.createConversation([w.benId.userId, caraId.userId])
  await until(() => w.ben.conversations.has(conv) && cara.conversations.has(conv), 'joined')
  w.ben.connection.stop() // the hostile relay now feeds Ben by hand
  await w.admin.sendMessage(conv, 'm1 from admin', 'f1')
  await until(() => bodies(cara, conv).length === 1, 'cara has m1')
  await cara.sendMessage(conv, 'm2 from cara', 'f2')
  await until(() => bodies(w.admin, conv).length === 2, 'admin has m2')
  await w.admin.sendMessage(conv, 'm3 from admin', 'f3')
  await until(() => bodies(cara, conv).length === 3, 'cara has m3')
  const log = await w.storage.envelopesSince(conv, 0, 100)
  assert.equal(log.length, 3)
  const caught: DefenceEvent[] = []
  // Ben is shown m2 at seq 1 and m1 at seq 2: a history nobody else has.
  const forged = [log[1]!, log[0]!, log[2]!]
  const stop = watchDefences(w.ben, caught)
  for (let i = 0; i < forged.length; i++) {
    await w.ben.receiveFrame({ type: 'envelope', conversationId: conv, seq: i + 1, envelope: forged[i]!.envelope })
  }
  assert.ok(caught.some((e) => e.kind === 'fork' && e.conversationId === conv), JSON.stringify(caught))
  assert.ok(w.alerts.includes('sync/fork'))
  w.ben.connection.start() // the relay behaves again: Ben reads the conversation from the start
  await until(() => bodies(w.ben, conv).length === 3, 'ben repaired')
  assert.deepEqual(bodies(w.ben, conv), bodies(w.admin, conv))
  assert.deepEqual(bodies(w.ben, conv), ['m1 from admin', 'm2 from cara', 'm3 from admin'])
  stop()
  await w.close()
})

Deno.test('a withheld entry shows as a gap and is repaired; an idle member’s heartbeat commits to its view and shows nothing', async () => {
  const w = await adminAndNurse()
  const conv = await w.admin.createConversation([w.benId.userId])
  await until(() => w.ben.conversations.has(conv), 'joined')
  const caught: DefenceEvent[] = []
  const stop = watchDefences(w.ben, caught)
  w.ben.connection.stop()
  await w.admin.sendMessage(conv, 'withheld', 'h1')
  await w.admin.sendMessage(conv, 'delivered', 'h2')
  await until(() => w.admin.conversations.get(conv)!.meta.lastSeq === 2, 'stored')
  const log = await w.storage.envelopesSince(conv, 0, 10)
  await w.ben.receiveFrame({ type: 'envelope', conversationId: conv, seq: 2, envelope: log[1]!.envelope })
  assert.ok(caught.some((e) => e.kind === 'gap'))
  w.ben.connection.start()
  await until(() => bodies(w.ben, conv).length === 2, 'repaired')
  assert.deepEqual(bodies(w.ben, conv), ['withheld', 'delivered'])
  await w.ben.heartbeatNow()
  await until(() => w.admin.conversations.get(conv)!.meta.lastSeq === 3, 'heartbeat stored')
  assert.deepEqual(bodies(w.admin, conv), ['withheld', 'delivered'])
  assert.equal(caught.filter((e) => e.kind !== 'gap').length, 0)
  stop()
  await w.close()
})

/** Collects a client's defence events for the length of a test. */
function watchDefences(client: WardlineClient, into: DefenceEvent[]): () => void {
  return client.watchDefences((e) => into.push(e))
}
