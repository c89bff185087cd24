import { assert, assertEquals } from '../storage/_assert.ts'
import {
  createTestConversation,
  sealTestEnvelope,
  signTestReceipt,
  type TestDevice,
} from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { startTestRelay, type TestRelay } from '../testing/test-relay.ts'

/** Relay with admin + nurse in conversation 'c1' and an outsider who is not a member. */
async function withConversation(
  fn: (t: TestRelay, nurse: TestDevice, outsider: TestDevice) => Promise<void>,
) {
  const t = await startTestRelay()
  try {
    const nurse = await t.enroll('nurse')
    const outsider = await t.enroll('outsider')
    const c = await TestClient.loggedIn(t.url, t.admin)
    c.send({
      type: 'createConversation',
      ref: 'create',
      ...createTestConversation(t.admin, [nurse], 'c1'),
    })
    assertEquals(await c.waitFor('ack'), {
      type: 'ack',
      ref: 'create',
      conversationId: 'c1',
      seq: 0,
    })
    await c.close()
    await fn(t, nurse, outsider)
  } finally {
    await t.close()
  }
}

async function sendAndAck(
  c: TestClient,
  device: TestDevice,
  counter: number,
  conversationId = 'c1',
) {
  const ref = `r${counter}`
  c.send({
    type: 'send',
    ref,
    conversationId,
    envelope: sealTestEnvelope(device, conversationId, counter),
  })
  const reply = await c.waitFor('ack')
  assertEquals(reply.ref, ref)
  return reply.seq
}

Deno.test('a non-member can neither subscribe to nor send into a conversation', () =>
  withConversation(async (t, _nurse, outsider) => {
    const c = await TestClient.loggedIn(t.url, outsider)
    c.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    assertEquals(await c.waitFor('error'), { type: 'error', code: 'relay/not-member', ref: 'c1' })
    c.send({
      type: 'send',
      ref: 'x',
      conversationId: 'c1',
      envelope: sealTestEnvelope(outsider, 'c1', 1),
    })
    assertEquals(await c.next('error'), { type: 'error', code: 'relay/not-member', ref: 'x' })
    // The connection stays open and usable after a refusal.
    c.send({ type: 'ping', nonce: 3 })
    assertEquals(await c.next('pong'), { type: 'pong', nonce: 3 })
    await c.close()
  }))

Deno.test('a send is refused when the envelope header names another sender or conversation', () =>
  withConversation(async (t, nurse) => {
    const c = await TestClient.loggedIn(t.url, t.admin)
    c.send({
      type: 'send',
      ref: 'a',
      conversationId: 'c1',
      envelope: sealTestEnvelope(nurse, 'c1', 1),
    })
    assertEquals((await c.waitFor('error')).code, 'relay/wrong-sender')
    c.send({
      type: 'send',
      ref: 'b',
      conversationId: 'c1',
      envelope: sealTestEnvelope(t.admin, 'c2', 1),
    })
    assertEquals((await c.next('error')).code, 'relay/wrong-sender')
    c.send({ type: 'send', ref: 'c', conversationId: 'c1', envelope: new Uint8Array([1, 2, 3]) })
    assertEquals(await c.next('error'), {
      type: 'error',
      code: 'relay/malformed-envelope',
      ref: 'c',
    })
    await c.close()
  }))

Deno.test('catch-up since N returns exactly the missing envelopes, then live delivery reaches a second member', () =>
  withConversation(async (t, nurse) => {
    const admin = await TestClient.loggedIn(t.url, t.admin)
    for (let i = 1; i <= 10; i++) assertEquals(await sendAndAck(admin, t.admin, i), i)

    const n = await TestClient.loggedIn(t.url, nurse)
    const listed = await n.next('conversation')
    assertEquals([listed.conversationId, listed.headSeq, listed.boxes.length], ['c1', 10, 2]) // own + compliance
    n.send({ type: 'subscribe', conversationId: 'c1', since: 4 })
    const seqs: number[] = []
    for (let i = 0; i < 6; i++) seqs.push((await n.next('envelope')).seq)
    assertEquals(seqs, [5, 6, 7, 8, 9, 10])
    assertEquals(await n.next('caughtUp'), { type: 'caughtUp', conversationId: 'c1', seq: 10 })

    const env = sealTestEnvelope(t.admin, 'c1', 11)
    admin.send({ type: 'send', ref: 'live', conversationId: 'c1', envelope: env })
    assertEquals((await admin.waitFor('ack')).seq, 11)
    assertEquals(await n.next('envelope'), {
      type: 'envelope',
      conversationId: 'c1',
      seq: 11,
      envelope: env,
    })
    await Promise.all([admin.close(), n.close()])
  }))

Deno.test('envelopes sent while a subscriber catches up arrive exactly once and in order', () =>
  withConversation(async (t, nurse) => {
    const admin = await TestClient.loggedIn(t.url, t.admin)
    for (let i = 1; i <= 50; i++) {
      admin.send({
        type: 'send',
        ref: `r${i}`,
        conversationId: 'c1',
        envelope: sealTestEnvelope(t.admin, 'c1', i),
      })
    }
    const n = await TestClient.loggedIn(t.url, nurse)
    n.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    for (let i = 51; i <= 100; i++) {
      admin.send({
        type: 'send',
        ref: `r${i}`,
        conversationId: 'c1',
        envelope: sealTestEnvelope(t.admin, 'c1', i),
      })
    }
    const seqs: number[] = []
    while (seqs.length < 100) {
      const f = await n.nextAny()
      if (f.type === 'envelope') seqs.push(f.seq)
    }
    assertEquals(seqs, Array.from({ length: 100 }, (_, i) => i + 1))
    assert(await n.isQuietFor(100), 'no envelope may arrive twice')
    await Promise.all([admin.close(), n.close()])
  }))

Deno.test('a repeated send with the same sender, epoch and counter gets the same seq and is stored once', () =>
  withConversation(async (t, nurse) => {
    const n = await TestClient.loggedIn(t.url, nurse)
    n.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    await n.waitFor('caughtUp')
    const admin = await TestClient.loggedIn(t.url, t.admin)
    const env = sealTestEnvelope(t.admin, 'c1', 1)
    admin.send({ type: 'send', ref: 'first', conversationId: 'c1', envelope: env })
    assertEquals(await admin.waitFor('ack'), {
      type: 'ack',
      ref: 'first',
      conversationId: 'c1',
      seq: 1,
    })
    assertEquals((await n.next('envelope')).seq, 1)
    // A retry after a lost ack: a fresh seal (new nonce) but the same (sender, epoch, counter).
    admin.send({
      type: 'send',
      ref: 'retry',
      conversationId: 'c1',
      envelope: sealTestEnvelope(t.admin, 'c1', 1),
    })
    assertEquals(await admin.next('ack'), {
      type: 'ack',
      ref: 'retry',
      conversationId: 'c1',
      seq: 1,
    })
    assert(await n.isQuietFor(150), 'the repeat must not be broadcast again')
    assertEquals(await sendAndAck(admin, t.admin, 2), 2)

    const late = await TestClient.loggedIn(t.url, nurse)
    late.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    assertEquals((await late.waitFor('envelope')).envelope, env)
    assertEquals((await late.next('envelope')).seq, 2)
    assertEquals((await late.next('caughtUp')).seq, 2)
    await Promise.all([admin.close(), n.close(), late.close()])
  }))

Deno.test('receipts are stored per device, replayed after catch-up and broadcast live', () =>
  withConversation(async (t, nurse) => {
    const admin = await TestClient.loggedIn(t.url, t.admin)
    admin.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    await admin.waitFor('caughtUp')
    const n = await TestClient.loggedIn(t.url, nurse)
    const receipt = signTestReceipt(nurse, 'c1', 3, 2)
    n.send({ type: 'receipt', conversationId: 'c1', receipt })
    assertEquals(await admin.next('receiptUpdate'), {
      type: 'receiptUpdate',
      conversationId: 'c1',
      deviceId: nurse.deviceId,
      receipt,
    })
    n.send({ type: 'receipt', conversationId: 'c1', receipt: signTestReceipt(t.admin, 'c1', 9, 9) })
    assertEquals((await n.waitFor('error')).code, 'relay/wrong-sender')

    n.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    await n.next('caughtUp')
    assertEquals((await n.next('receiptUpdate')).receipt, receipt)
    await Promise.all([admin.close(), n.close()])
  }))

Deno.test('creating a conversation is idempotent and tells the other online members', async () => {
  const t = await startTestRelay()
  try {
    const nurse = await t.enroll('nurse')
    const n = await TestClient.loggedIn(t.url, nurse)
    const admin = await TestClient.loggedIn(t.url, t.admin)
    const conv = createTestConversation(t.admin, [nurse], 'c9')
    admin.send({ type: 'createConversation', ref: 'one', ...conv })
    assertEquals((await admin.waitFor('ack')).ref, 'one')
    const told = await n.waitFor('conversation')
    // its own box and the genesis compliance box
    assertEquals([told.conversationId, told.manifest, told.boxes.length, told.headSeq], [
      'c9',
      conv.manifest,
      2,
      0,
    ])
    admin.send({ type: 'createConversation', ref: 'two', ...conv })
    assertEquals((await admin.next('ack')).ref, 'two')
    const other = createTestConversation(t.admin, [nurse], 'c9')
    admin.send({ type: 'createConversation', ref: 'three', ...other })
    assertEquals(await admin.next('error'), {
      type: 'error',
      code: 'relay/conversation-exists',
      ref: 'three',
    })
    admin.send({
      type: 'createConversation',
      ref: 'four',
      ...createTestConversation(nurse, [t.admin], 'c10'),
    })
    assertEquals((await admin.next('error')).code, 'relay/wrong-sender')
    await Promise.all([admin.close(), n.close()])
  } finally {
    await t.close()
  }
})
