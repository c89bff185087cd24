/**
 * Mailbox time-to-live (relay/limits.ts MAILBOX_TTL_MS): the periodic job deletes envelopes
 * older than the TTL from storage, with the relay's clock injected so the mailbox ages at once.
 */
import { assert, assertEquals } from './storage/_assert.ts'
import { sealTestEnvelope } from './testing/fixtures.ts'
import { TestClient } from './testing/test-client.ts'
import { withConversation } from './testing/with-conversation.ts'

const DAY = 24 * 60 * 60 * 1000

Deno.test('the pruning job deletes envelopes older than the mailbox TTL, and only those', async () => {
  let skew = 0
  const now = () => Date.now() + skew
  await withConversation({ now, limits: { mailboxTtlMs: DAY, pruneEveryMs: 40 } }, async (t, nurse) => {
    const c = await TestClient.loggedIn(t.url, nurse)
    const send = async (counter: number) => {
      c.send({ type: 'send', ref: `r${counter}`, conversationId: 'c1', envelope: sealTestEnvelope(nurse, 'c1', counter) })
      return (await c.waitFor('ack')).seq
    }
    assertEquals([await send(1), await send(2)], [1, 2])
    await new Promise((r) => setTimeout(r, 150)) // several runs of the job: nothing is old yet
    assertEquals(t.relay.metrics.get('wardline_pruned_envelopes_total'), 0)
    skew = DAY - 60_000 // a minute short of the TTL: still kept
    assertEquals(await t.relay.pruneNow(), 0)
    skew = DAY + 1000
    const started = Date.now()
    while (t.relay.metrics.get('wardline_pruned_envelopes_total') < 2) {
      assert(Date.now() - started < 3000, 'the periodic job did not prune')
      await new Promise((r) => setTimeout(r, 20))
    }
    // A newer envelope stays (storage stamps real time, so the clock goes back to it first);
    // catch-up serves only what is left, and seqs go on.
    skew = 0
    assertEquals(await send(3), 3)
    assertEquals(await t.relay.pruneNow(), 0)
    c.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    assertEquals((await c.waitFor('envelope')).seq, 3)
    assertEquals((await c.waitFor('caughtUp')).seq, 3)
    await c.close()
  })
})

Deno.test('a mailbox TTL of 0 keeps envelopes forever', async () => {
  let skew = 0
  await withConversation({ now: () => Date.now() + skew, limits: { mailboxTtlMs: 0 } }, async (t, nurse) => {
    const c = await TestClient.loggedIn(t.url, nurse)
    c.send({ type: 'send', ref: 'r', conversationId: 'c1', envelope: sealTestEnvelope(nurse, 'c1', 1) })
    await c.waitFor('ack')
    skew = 10_000 * DAY
    assertEquals(await t.relay.pruneNow(), 0)
    await c.close()
  })
})
