/**
 * A hole the relay cannot fill — entries pruned by a mailbox TTL (or withheld) before a later
 * entry that is still stored — is reported once as a gap, and the device does not ask for the
 * same catch-up again in a loop (before this, every caughtUp asked again at network speed).
 */
import assert from 'node:assert/strict'
import type { DefenceEvent } from './client.ts'
import { adminAndNurse, sleep, until } from './test-world.ts'

const DAY = 24 * 60 * 60 * 1000

Deno.test('a catch-up that cannot move past a pruned hole is reported as a gap, not retried in a loop', async () => {
  let skew = 0
  const w = await adminAndNurse({ now: () => Date.now() + skew, limits: { mailboxTtlMs: DAY, pruneEveryMs: 0 } })
  const { ben, benId } = w
  try {
    const conv = await w.admin.createConversation([benId.userId])
    await until(() => ben.conversations.has(conv), 'conversation reaches ben')
    ben.connection.stop()
    for (const i of [1, 2, 3]) await w.admin.sendMessage(conv, `old ${i}`, `o${i}`)
    await until(() => w.admin.queuedCount() === 0, 'admin sent')
    skew = DAY + 1000
    assert.ok((await w.relay.pruneNow()) >= 3)
    skew = 0
    await w.admin.sendMessage(conv, 'new', 'n1')
    await until(() => w.admin.queuedCount() === 0, 'admin sent the new one')

    const gaps: DefenceEvent[] = []
    ben.watchDefences((e) => e.kind === 'gap' && gaps.push(e))
    const subscribes = () => w.relay.metrics.get('wardline_frames_in_total', 'subscribe')
    const before = subscribes()
    ben.connection.start()
    await until(() => gaps.length > 0, 'the hole is reported')
    await sleep(1000)
    assert.ok(subscribes() - before <= 4, `${subscribes() - before} subscribes in a second`)
  } finally {
    await w.close()
  }
})
