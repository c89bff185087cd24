/**
 * The engine under the relay's per-device send rate (issue 4): a device that comes back online
 * with a full outbox is refused `relay/rate-limited` for part of it; the outbox backs off and
 * resends, so nothing is lost, nothing is duplicated, order holds and no alert is shown.
 */
import assert from 'node:assert/strict'
import { adminAndNurse, until } from './test-world.ts'

Deno.test('a full outbox flushed over the relay rate limit is delivered whole, once and in order, after backing off', async () => {
  const w = await adminAndNurse({ limits: { messagesPerSecond: 4, messageBurst: 2 } })
  const { ben, benId } = w
  try {
    const conv = await w.admin.createConversation([benId.userId])
    await until(() => ben.conversations.has(conv), 'conversation reaches ben')
    ben.connection.stop()
    const bodies = Array.from({ length: 8 }, (_, i) => `queued ${i}`)
    for (const [i, b] of bodies.entries()) await ben.sendMessage(conv, b, `q${i}`)
    assert.equal(ben.queuedCount(), 8)
    ben.connection.start()
    await until(() => ben.queuedCount() === 0, 'outbox drained', 20_000)
    await until(() => w.admin.listMessages(conv).length === 8, 'delivery', 10_000)
    assert.deepEqual(w.admin.listMessages(conv).map((m) => m.body), bodies)
    assert.deepEqual(ben.listMessages(conv).map((m) => m.body), bodies)
    assert.ok(w.relay.metrics.get('wardline_rate_limited_total') > 0, 'the limit was hit')
    assert.deepEqual(w.alerts, [])
  } finally {
    await w.close()
  }
})
