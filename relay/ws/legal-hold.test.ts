/**
 * Legal hold over the WebSocket (issue 8, decision 0019): only admin and compliance devices may
 * set, release or list holds; set and release are audited once each; and the relay's own
 * pruning job leaves a held conversation whole until the hold is released.
 */
import { assertEquals } from '../storage/_assert.ts'
import { openSqliteStorage } from '../storage/sqlite.ts'
import { sealTestEnvelope } from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { withConversation } from '../testing/with-conversation.ts'

const DAY = 24 * 60 * 60 * 1000

Deno.test('a compliance or admin device sets, lists and releases a legal hold; others are forbidden; each change is audited once', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-hold-' })
  try {
    const storage = await openSqliteStorage(dir)
    await withConversation({ storage }, async (t, nurse) => {
      const n = await TestClient.loggedIn(t.url, nurse)
      for (const type of ['setLegalHold', 'releaseLegalHold'] as const) {
        n.send({ type, ref: type, conversationId: 'c1' })
        assertEquals(await n.waitFor('error'), {
          type: 'error',
          code: 'relay/forbidden',
          ref: type,
        })
      }
      n.send({ type: 'getLegalHolds', ref: 'g' })
      assertEquals(await n.waitFor('error'), { type: 'error', code: 'relay/forbidden', ref: 'g' })
      const officerDevice = await t.enroll('officer', 'compliance')
      const officer = await TestClient.loggedIn(t.url, officerDevice)
      officer.send({ type: 'setLegalHold', ref: 'x', conversationId: 'nope' })
      assertEquals(await officer.waitFor('error'), {
        type: 'error',
        code: 'relay/unknown-conversation',
        ref: 'x',
      })
      for (const ref of ['s1', 's2']) {
        officer.send({ type: 'setLegalHold', ref, conversationId: 'c1' })
        assertEquals(await officer.waitFor('ack'), {
          type: 'ack',
          ref,
          conversationId: 'c1',
          seq: 0,
        })
      }
      const admin = await TestClient.loggedIn(t.url, t.admin)
      admin.send({ type: 'getLegalHolds', ref: 'l' })
      const listed = (await admin.waitFor('legalHolds')).lines.map((l) => JSON.parse(l))
      assertEquals(listed.map((h) => [h.conversationId, h.setBy]), [['c1', officerDevice.deviceId]])
      for (const ref of ['r1', 'r2']) {
        admin.send({ type: 'releaseLegalHold', ref, conversationId: 'c1' })
        assertEquals((await admin.waitFor('ack')).ref, ref)
      }
      const holds = (await storage.auditRecords(0, 1000)).filter((r) =>
        r.event.startsWith('legalhold.')
      )
      assertEquals(holds.map((r) => [r.event, r.actor, r.fields]), [
        ['legalhold.set', officerDevice.deviceId, {
          conversation: 'c1',
          device: officerDevice.deviceId,
        }],
        ['legalhold.released', t.admin.deviceId, { conversation: 'c1', device: t.admin.deviceId }],
      ])
      for (const c of [n, officer, admin]) await c.close()
    })
  } finally {
    await Deno.remove(dir, { recursive: true })
  }
})

Deno.test('the pruning job skips a held conversation however old its snapshot, and prunes it after release', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-hold-prune-' })
  let skew = 0
  try {
    const storage = await openSqliteStorage(dir)
    const options = {
      storage,
      now: () => Date.now() + skew,
      compactionGraceMs: DAY,
      compactionIntervalMs: 0,
    }
    await withConversation(options, async (t, nurse) => {
      const c = await TestClient.loggedIn(t.url, nurse)
      for (const i of [1, 2, 3]) {
        c.send({
          type: 'send',
          ref: `r${i}`,
          conversationId: 'c1',
          envelope: sealTestEnvelope(nurse, 'c1', i),
        })
        await c.waitFor('ack')
      }
      const admin = await TestClient.loggedIn(t.url, t.admin)
      admin.send({ type: 'setLegalHold', ref: 'h', conversationId: 'c1' })
      await admin.waitFor('ack')
      const part = new Uint8Array([7, 7, 7])
      assertEquals(
        await storage.putSnapshot({
          conversationId: 'c1',
          seq: 2,
          deviceId: nurse.deviceId,
          parts: [part],
          storedAt: Date.now(),
        }),
        'ok',
      )
      skew = 365 * DAY
      assertEquals(await t.relay.pruneNow(), 0)
      assertEquals((await storage.envelopesSince('c1', 0, 100)).length, 3)
      admin.send({ type: 'releaseLegalHold', ref: 'r', conversationId: 'c1' })
      await admin.waitFor('ack')
      assertEquals(await t.relay.pruneNow(), 2)
      assertEquals((await storage.envelopesSince('c1', 0, 100)).map((e) => e.seq), [3])
      await c.close()
      await admin.close()
    })
  } finally {
    await Deno.remove(dir, { recursive: true })
  }
})
