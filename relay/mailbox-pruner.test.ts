/**
 * Mailbox time-to-live (relay/limits.ts COMPACTION_GRACE_MS, decision 0008): the periodic job
 * deletes the data entries a stored snapshot covers once the snapshot is older than the grace
 * period — not before, and never entries no snapshot covers — with the relay's clock injected so
 * the mailbox ages at once. (The snapshot here is opaque bytes put straight into storage: the job
 * never reads it; workers/core/compaction.test.ts covers real snapshots end to end.)
 */
import { assertEquals } from './storage/_assert.ts'
import { openSqliteStorage } from './storage/sqlite.ts'
import { sealTestEnvelope } from './testing/fixtures.ts'
import { TestClient } from './testing/test-client.ts'
import { withConversation } from './testing/with-conversation.ts'

const DAY = 24 * 60 * 60 * 1000

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > 3000) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

Deno.test('the pruning job deletes what a snapshot covers once the snapshot is older than the grace period, and nothing else', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-ttl-' })
  let skew = 0
  try {
    const storage = await openSqliteStorage(dir)
    const options = { storage, now: () => Date.now() + skew, compactionGraceMs: DAY, compactionIntervalMs: 40 }
    await withConversation(options, async (t, nurse) => {
      const c = await TestClient.loggedIn(t.url, nurse)
      for (const i of [1, 2, 3]) {
        c.send({ type: 'send', ref: `r${i}`, conversationId: 'c1', envelope: sealTestEnvelope(nurse, 'c1', i) })
        await c.waitFor('ack')
      }
      // Old entries with no snapshot are kept, however old.
      skew = 30 * DAY
      assertEquals(await t.relay.pruneNow(), 0)
      skew = 0
      const part = new Uint8Array([7, 7, 7])
      assertEquals(await storage.putSnapshot({ conversationId: 'c1', seq: 2, deviceId: nurse.deviceId, parts: [part], storedAt: Date.now() }), 'ok')
      await new Promise((r) => setTimeout(r, 150)) // several runs of the job within the grace period
      assertEquals(t.relay.metrics.get('wardline_pruned_envelopes_total'), 0)
      skew = DAY - 60_000
      assertEquals(await t.relay.pruneNow(), 0) // a minute short of the grace period
      skew = DAY + 1000
      await waitFor(() => t.relay.metrics.get('wardline_pruned_envelopes_total') === 2, 'the periodic job prunes')
      // Catch-up from the start: the snapshot, then what it does not cover.
      c.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
      assertEquals((await c.waitFor('snapshotPart')).part, part)
      assertEquals((await c.waitFor('envelope')).seq, 3)
      assertEquals((await c.waitFor('caughtUp')).seq, 3)
      await c.close()
    })
  } finally {
    await Deno.remove(dir, { recursive: true })
  }
})
