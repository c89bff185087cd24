/**
 * Two relays on one Postgres (issue 4): what a device does on one relay reaches devices on the
 * other, live and in log order. Both relays run in this process, each with its own pool and its
 * own LISTEN connection, exactly as two processes would; test/two-relays.e2e.mjs does it with
 * two real processes and the client engine.
 */
import postgres from 'postgres'
import { assert, assertEquals } from '../storage/_assert.ts'
import { createPostgresBus } from '../bus/postgres-bus.ts'
import { silentLog } from '../log.ts'
import { openPostgresStorage } from '../storage/postgres.ts'
import {
  createTestConversation,
  sealTestEnvelope,
  signTestReceipt,
  signTestRevocation,
  type TestDevice,
} from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { startBareRelay, startTestRelay, type TestRelay } from '../testing/test-relay.ts'
import { createTestSchema } from '../testing/test-postgres.ts'

type World = { t: TestRelay; url2: string; url: string; schema: string }

async function withTwoRelays(
  fn: (w: World) => Promise<void>,
  heartbeatMs?: number,
): Promise<void> {
  const { url, schema, drop } = await createTestSchema()
  const open = async (heartbeat?: number) => {
    const storage = await openPostgresStorage(url, { schema })
    const options = { url, log: silentLog, ...(heartbeat ? { heartbeatMs: heartbeat } : {}) }
    return { storage, bus: await createPostgresBus(storage.sql, options) }
  }
  const t = await startTestRelay(await open(heartbeatMs))
  const second = await startBareRelay(await open(heartbeatMs))
  try {
    await fn({ t, url2: second.url, url, schema })
  } finally {
    await second.close()
    await t.close()
    await drop()
  }
}

/** Creates 'c1' of the admin and `members` through relay 1. */
async function createConversation(t: TestRelay, members: TestDevice[]): Promise<void> {
  const a = await TestClient.loggedIn(t.url, t.admin)
  a.send({
    type: 'createConversation',
    ref: 'c',
    ...createTestConversation(t.admin, members, 'c1'),
  })
  assertEquals((await a.waitFor('ack')).ref, 'c')
  await a.close()
}

async function subscribed(url: string, device: TestDevice): Promise<TestClient> {
  const c = await TestClient.loggedIn(url, device)
  c.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
  await c.waitFor('caughtUp')
  return c
}

Deno.test('two relays on one Postgres: a new conversation, live envelopes, receipts and directory changes cross over', () =>
  withTwoRelays(async ({ t, url2 }) => {
    const watcher = await TestClient.loggedIn(url2, t.admin)
    const nurse = await t.enroll('nurse') // through relay 1's HTTP API
    assertEquals((await watcher.waitFor('directoryChanged')).type, 'directoryChanged')
    const n = await TestClient.loggedIn(url2, nurse)
    await createConversation(t, [nurse])
    const announced = await n.waitFor('conversation')
    assertEquals([announced.conversationId, announced.boxes.length], ['c1', 2]) // own + compliance
    n.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    assertEquals((await n.waitFor('caughtUp')).seq, 0)
    const a = await subscribed(t.url, t.admin)

    const sent = [1, 2, 3].map((i) => sealTestEnvelope(t.admin, 'c1', i))
    sent.forEach((envelope, i) =>
      a.send({ type: 'send', ref: `r${i}`, conversationId: 'c1', envelope })
    )
    for (let i = 0; i < 3; i++) {
      assertEquals(await n.next('envelope'), {
        type: 'envelope',
        conversationId: 'c1',
        seq: i + 1,
        envelope: sent[i]!,
      })
    }
    const receipt = signTestReceipt(nurse, 'c1', 3, 3)
    n.send({ type: 'receipt', conversationId: 'c1', receipt })
    const update = await a.waitFor('receiptUpdate')
    assertEquals([update.deviceId, update.receipt], [nurse.deviceId, receipt])
    await Promise.all([watcher.close(), n.close(), a.close()])
  }))

Deno.test('two relays on one Postgres: concurrent sends through both get one gap-free order that watchers on each see live', () =>
  withTwoRelays(async ({ t, url2 }) => {
    const [nurse, doctor, pharmacist] = await Promise.all(
      ['nurse', 'doctor', 'pharmacist'].map((u) => t.enroll(u)),
    )
    await createConversation(t, [nurse!, doctor!, pharmacist!])
    const senders = [await subscribed(t.url, t.admin), await subscribed(url2, nurse!)]
    const watchers = [await subscribed(t.url, doctor!), await subscribed(url2, pharmacist!)]
    const perSender = 60
    for (let i = 1; i <= perSender; i++) {
      senders[0]!.send({
        type: 'send',
        ref: `a${i}`,
        conversationId: 'c1',
        envelope: sealTestEnvelope(t.admin, 'c1', i),
      })
      senders[1]!.send({
        type: 'send',
        ref: `n${i}`,
        conversationId: 'c1',
        envelope: sealTestEnvelope(nurse!, 'c1', i),
      })
    }
    const acked: number[] = []
    for (const s of senders) {
      for (let i = 0; i < perSender; i++) acked.push((await s.waitFor('ack')).seq)
    }
    const all = Array.from({ length: 2 * perSender }, (_, i) => i + 1)
    assertEquals(acked.sort((x, y) => x - y), all)
    for (const w of watchers) {
      const seen: number[] = []
      for (let i = 0; i < all.length; i++) seen.push((await w.next('envelope')).seq)
      assertEquals(seen, all, 'every watcher gets every entry once, in seq order')
    }
    await Promise.all([...senders, ...watchers].map((c) => c.close()))
  }))

Deno.test('two relays on one Postgres: a revocation on one relay cuts the device off on the other', () =>
  withTwoRelays(async ({ t, url2 }) => {
    const nurse = await t.enroll('nurse')
    const doctor = await t.enroll('doctor')
    await createConversation(t, [nurse, doctor])
    const n = await TestClient.loggedIn(url2, nurse)
    const d = await TestClient.loggedIn(url2, doctor)
    await d.waitFor('conversation')
    const a = await TestClient.loggedIn(t.url, t.admin)
    a.send({
      type: 'revokeDevice',
      ref: 'rv',
      revocation: signTestRevocation(nurse.deviceId, t.org),
    })
    assertEquals((await a.waitFor('ack')).ref, 'rv')
    assertEquals(await n.waitFor('error'), { type: 'error', code: 'relay/device-revoked', ref: '' })
    assertEquals((await n.closed).code, 4003)
    assertEquals(await d.waitFor('rotationPending'), {
      type: 'rotationPending',
      conversationId: 'c1',
      epoch: 0,
    })
    assert((await d.waitFor('directoryChanged')).type === 'directoryChanged')
    await Promise.all([d.close(), a.close()])
  }))

Deno.test('two relays on one Postgres: entries whose notification was lost reach live subscribers after the bus resyncs', () =>
  withTwoRelays(async ({ t, url2, url, schema }) => {
    const nurse = await t.enroll('nurse')
    await createConversation(t, [nurse])
    const n = await subscribed(url2, nurse)
    // Stored by a third party that tells nobody: as if its NOTIFY had been lost.
    const silent = await openPostgresStorage(url, { schema })
    const envelope = sealTestEnvelope(t.admin, 'c1', 1)
    const stored = await silent.appendEnvelope({
      conversationId: 'c1',
      senderDeviceId: t.admin.deviceId,
      epoch: 0,
      counter: 1,
      envelope,
    })
    await silent.close()
    assertEquals(stored, { seq: 1, duplicate: false })
    assert(await n.isQuietFor(300), 'nothing announced it')
    const sql = postgres(url, { max: 1, onnotice: () => {} })
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = 'wardline-relay-listen' AND query ILIKE ${`%wardline_${schema}%`}`
    await sql.end()
    assertEquals(await n.next('envelope'), {
      type: 'envelope',
      conversationId: 'c1',
      seq: 1,
      envelope,
    })
    await n.close()
  }, 200))
