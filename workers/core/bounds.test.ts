/**
 * Resource bounds of the client engine, each a named constant tested one over its limit
 * (RELIABILITY "Bounds"), against the real relay in process (test-world.ts):
 * - MAX_MESSAGE_BYTES: the longest message (in UTF-8 bytes, not characters) is sent and read; one
 *   byte more is refused with `compose/too-long` before anything is stored or queued.
 * - MAX_PENDING_ENVELOPES: a hostile relay pumping envelopes of an epoch whose key this device
 *   lacks makes it keep at most that many sealed; the rest are dropped, never decrypted or stored.
 * - MAX_ENVELOPE_PAYLOAD, MAX_COMMIT_BOXES against MAX_FRAME_BYTES: what the largest allowed
 *   message and commit need on the wire.
 * The crypto-level bounds are in crypto/envelope.test.ts (MAX_ENVELOPE_PAYLOAD) and
 * crypto/commit.test.ts (MAX_CONVERSATION_DEVICES, MAX_COMMIT_BOXES); the relay's 1009 close above
 * MAX_FRAME_BYTES in relay/ws/session.test.ts.
 */
import assert from 'node:assert/strict'
import * as c from '../../crypto/mod.ts'
import { encodeFrame, MAX_FRAME_BYTES } from '../../relay/wire/frames.ts'
import { MAX_COUNTER_SKIP, MAX_MESSAGE_BYTES, MAX_PENDING_ENVELOPES } from './client.ts'
import { type ConversationMeta, ConversationState } from './conversation-state.ts'
import { verifiedComplianceKey } from './identity.ts'
import { emptyChain, encodePayload } from './log-chain.ts'
import { buildCommitEntry } from './membership.ts'
import { MemoryStore } from './store.ts'
import { adminAndNurse, until } from './test-world.ts'

const utf8Length = (s: string) => new TextEncoder().encode(s).length

Deno.test('MAX_MESSAGE_BYTES: a message of exactly the limit in UTF-8 bytes is delivered; one byte more is compose/too-long', async () => {
  const w = await adminAndNurse()
  const conv = await w.admin.createConversation([w.benId.userId])
  await until(() => w.ben.conversations.has(conv), 'ben joined')
  // Two-byte characters: the limit counts bytes, so half as many characters fill it.
  const longest = 'é'.repeat(MAX_MESSAGE_BYTES / 2)
  assert.equal(utf8Length(longest), MAX_MESSAGE_BYTES)
  const over = longest + 'a'
  const refused = await w.admin.sendMessage(conv, over, 'too-long').then(() => null, (e: { code?: string }) => e.code)
  assert.equal(refused, 'compose/too-long')
  assert.equal(w.admin.queuedCount(), 0)
  assert.equal(w.admin.listMessages(conv).length, 0)
  // The refused client id was not consumed: the same tap, shortened, goes out once.
  await w.admin.sendMessage(conv, longest, 'too-long')
  await until(() => w.ben.listMessages(conv).length === 1, 'longest message delivered')
  assert.equal(w.ben.listMessages(conv)[0]!.body, longest)
  assert.equal(w.admin.queuedCount(), 0)
  await w.close()
})

Deno.test('MAX_MESSAGE_BYTES fits the envelope and frame bounds: its sealed send frame is under MAX_FRAME_BYTES', () => {
  const author = c.generateSigningKeyPair()
  // A record of the longest message as the engine writes it, in the Yjs update of its segment.
  const record = { id: 'd.0', author: 'u', device: 'd'.repeat(32), n: 0, kind: 'text', body: 'x'.repeat(MAX_MESSAGE_BYTES), at: Date.now(), sig: 'A'.repeat(86) }
  const chain = emptyChain()
  chain.seq = 2 ** 40
  const payload = encodePayload('yjs', c.utf8(JSON.stringify(record)), chain)
  assert.ok(payload.length <= c.MAX_ENVELOPE_PAYLOAD)
  const header = { conversationId: 'c'.repeat(32), epoch: 0, senderDeviceId: 'd'.repeat(32), counter: 2 ** 40 }
  const blob = c.sealEnvelope(header, payload, c.randomBytes(32), author.secretKey)
  const frame = encodeFrame({ type: 'send', ref: 'ob/0000000000000000', conversationId: header.conversationId, envelope: blob })
  assert.ok(frame.length < MAX_FRAME_BYTES, `${frame.length} bytes`)
})

// Regression: padding once rounded a payload near MAX_ENVELOPE_PAYLOAD up to 512 KiB, over the frame limit.
Deno.test({
  name: 'an envelope carrying MAX_ENVELOPE_PAYLOAD bytes fits in one frame of MAX_FRAME_BYTES',
  fn: () => {
    const author = c.generateSigningKeyPair()
    const header = { conversationId: 'c'.repeat(32), epoch: 0, senderDeviceId: 'd'.repeat(32), counter: 0 }
    const blob = c.sealEnvelope(header, new Uint8Array(c.MAX_ENVELOPE_PAYLOAD), c.randomBytes(32), author.secretKey)
    const frame = encodeFrame({ type: 'send', ref: 'ob/0', conversationId: header.conversationId, envelope: blob })
    assert.ok(frame.length <= MAX_FRAME_BYTES, `${frame.length} > ${MAX_FRAME_BYTES}`)
  },
})

Deno.test('MAX_COMMIT_BOXES against MAX_FRAME_BYTES: how many real key boxes one commit frame can carry', () => {
  const author = c.generateSigningKeyPair()
  const recipient = c.generateAgreementKeyPair()
  const box = c.sealKeyBox(c.randomBytes(32), {
    conversationId: 'c'.repeat(32),
    epoch: 12,
    senderDeviceId: 'a'.repeat(32),
    senderSigningKey: author.publicKey,
    recipientDeviceId: 'b'.repeat(32),
    recipientAgreementKey: recipient.publicKey,
  }, author.secretKey)
  const frameOf = (n: number) =>
    encodeFrame({ type: 'commit', ref: 'cm/x/13', conversationId: 'c'.repeat(32), entry: c.encodeCommitEntry(new Uint8Array(600), Array(n).fill(box)) }).length
  // Every device of a full conversation plus the compliance key fits with a wide margin…
  assert.ok(frameOf(256 + 1) < MAX_FRAME_BYTES / 4)
  // …and so does a commit at MAX_COMMIT_BOXES: the entry limit binds before the frame limit.
  assert.ok(frameOf(c.MAX_COMMIT_BOXES) <= MAX_FRAME_BYTES, `MAX_COMMIT_BOXES = ${c.MAX_COMMIT_BOXES}`)
})

Deno.test('MAX_PENDING_ENVELOPES: a relay pumping envelopes of an epoch whose key this device lacks makes it keep at most that many', async () => {
  const w = await adminAndNurse()
  // Ben plays the victim with a store the test can read; the "relay" is this test feeding frames
  // straight into his engine, as a hostile relay would send them.
  w.ben.stop()
  const store = new MemoryStore()
  const ben = w.make(w.benId, store)
  await ben.start()
  await until(() => ben.people().length === 2, 'directory')
  await ben.idle()
  ben.connection.stop()
  const compliance = verifiedComplianceKey(w.adminId)
  assert.ok(compliance.ok)
  const conversationId = c.bytesToHex(c.randomBytes(16))
  // A genesis by the admin that does not include Ben: he follows it without the epoch-0 key, as a
  // member added later without shared history does.
  const { commit, entry, key } = buildCommitEntry({
    conversationId,
    kind: 'group',
    meta: null,
    next: { change: 'create', memberUserIds: [w.adminId.userId], deviceIds: [w.adminId.deviceId], historyShared: true },
    identity: w.adminId,
    devices: w.admin.devices,
    compliance: compliance.value,
    now: Date.now(),
  })
  const boxes = c.decodeCommitEntry(entry)
  assert.ok(boxes.ok)
  await ben.receiveFrame({ type: 'conversation', conversationId, manifest: commit, boxes: boxes.value.boxes, headSeq: 0 })
  assert.ok(ben.conversations.has(conversationId))
  const total = MAX_PENDING_ENVELOPES + 5
  for (let seq = 1; seq <= total; seq++) {
    const header = { conversationId, epoch: 0, senderDeviceId: w.adminId.deviceId, counter: seq - 1 }
    const envelope = c.sealEnvelope(header, encodePayload('yjs', new Uint8Array(8), emptyChain()), key, w.adminId.signingSecretKey)
    void ben.receiveFrame({ type: 'envelope', conversationId, seq, envelope })
  }
  await ben.idle()
  const meta = ben.conversations.get(conversationId)!.meta as ConversationMeta
  assert.equal(meta.lastSeq, total) // the log is followed to the end…
  assert.equal(meta.unavailable, MAX_PENDING_ENVELOPES) // …but only the bound is kept
  assert.equal((await store.list(`pe/${conversationId}/`)).length, MAX_PENDING_ENVELOPES)
  assert.equal(ben.listMessages(conversationId).length, 0)
  await w.close()
})

Deno.test('MAX_COUNTER_SKIP: an envelope whose counter jumps further than that is refused; one at the limit is accepted', async () => {
  const w = await adminAndNurse()
  const conv = await w.admin.createConversation([w.benId.userId])
  await until(() => w.ben.conversations.has(conv), 'joined')
  w.ben.connection.stop() // this test plays the relay for Ben
  const adminConv = w.admin.conversations.get(conv)!
  const seal = (counter: number, body: string) => {
    // A separate copy of the admin's segment, so each forged update stands on its own.
    const update = new ConversationState(adminConv.meta, w.adminId.deviceId).addOwnRecord(0, {
      id: `${w.adminId.deviceId}.${counter}`, author: w.adminId.userId, device: w.adminId.deviceId, n: counter,
      kind: 'text', body, at: 1, sig: c.signRecord(conv, w.adminId.deviceId, counter, { kind: 'text', body, createdAt: 1, authorUserId: w.adminId.userId }, w.adminId.signingSecretKey),
    })
    return c.sealEnvelope({ conversationId: conv, epoch: 0, senderDeviceId: w.adminId.deviceId, counter },
      encodePayload('yjs', update, w.ben.conversations.get(conv)!.meta.chain), adminConv.meta.epochKeys['0']!, w.adminId.signingSecretKey)
  }
  // Nothing from the admin seen yet (last counter −1): −1 + MAX_COUNTER_SKIP + 1 is one too far.
  const tooFar = seal(MAX_COUNTER_SKIP, 'too far')
  await w.ben.receiveFrame({ type: 'envelope', conversationId: conv, seq: 1, envelope: tooFar })
  await w.ben.receiveFrame({ type: 'envelope', conversationId: conv, seq: 1, envelope: tooFar }) // asked again: still refused
  assert.ok(w.alerts.includes('sync/counter-skip'))
  assert.deepEqual(w.ben.listMessages(conv).map((m) => m.body), [])
  const atLimit = seal(MAX_COUNTER_SKIP - 1, 'at the limit')
  await w.ben.receiveFrame({ type: 'envelope', conversationId: conv, seq: 2, envelope: atLimit })
  assert.deepEqual(w.ben.listMessages(conv).map((m) => m.body), ['at the limit'])
  await w.close()
})
