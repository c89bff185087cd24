/**
 * The client engine against the real relay (in process): two enrolled devices exchange messages,
 * one goes offline and writes, both converge in one order; retries never duplicate; an envelope
 * replayed by the relay and a device without a valid chain are refused.
 */
import assert from 'node:assert/strict'
import * as c from '../../crypto/mod.ts'
import { adminAndNurse, until } from './test-world.ts'

Deno.test('two devices converge in one order after one of them writes offline, and retries never duplicate', async () => {
  const w = await adminAndNurse()
  const { ben, benId } = w
  const conv = await w.admin.createConversation([benId.userId])
  await until(() => ben.conversations.has(conv), 'conversation reaches ben')

  await w.admin.sendMessage(conv, 'hello ben', 'c1')
  await until(() => ben.listMessages(conv).length === 1, 'first message')
  ben.connection.stop() // ben goes offline
  await ben.sendMessage(conv, 'offline one', 'b1')
  await ben.sendMessage(conv, 'offline two', 'b2')
  assert.equal(await ben.sendMessage(conv, 'offline two', 'b2'), ben.listMessages(conv)[2]!.id, 'same clientId, same message')
  assert.deepEqual(ben.listMessages(conv).map((m) => m.status), [null, 'queued', 'queued'])
  await w.admin.sendMessage(conv, 'while you were away', 'c2')
  ben.connection.start()
  await until(() => ben.listMessages(conv).length === 4 && w.admin.listMessages(conv).length === 4, 'convergence')
  await until(() => ben.listMessages(conv).every((m) => m.status !== 'queued'), 'ben sent')
  const a = w.admin.listMessages(conv).map((m) => m.body)
  const b = ben.listMessages(conv).map((m) => m.body)
  assert.deepEqual(a, b)
  assert.deepEqual(a, ['hello ben', 'while you were away', 'offline one', 'offline two'])
  assert.equal(ben.queuedCount(), 0)
  await w.close()
})

Deno.test('an envelope replayed or altered by the relay is refused and shows nothing new', async () => {
  const w = await adminAndNurse()
  const { ben, benId } = w
  const conv = await w.admin.createConversation([benId.userId])
  await w.admin.sendMessage(conv, 'only once', 'x1')
  await until(() => ben.listMessages(conv).length === 1, 'delivery')
  const adminConv = w.admin.conversations.get(conv)!
  // A validly signed envelope with an already used counter (0) is a replay, whatever it carries.
  const replay = c.sealEnvelope({ conversationId: conv, epoch: 0, senderDeviceId: w.adminId.deviceId, counter: 0 },
    c.encodeTuple(['yjs', adminConv.encodeSegment(0)]), adminConv.meta.epochKeys['0']!, w.adminId.signingSecretKey)
  const lastSeq = ben.conversations.get(conv)!.meta.lastSeq
  await ben.receiveFrame({ type: 'envelope', conversationId: conv, seq: lastSeq + 1, envelope: replay })
  assert.ok(w.alerts.includes('sync/replay'))
  const altered = c.sealEnvelope({ conversationId: conv, epoch: 0, senderDeviceId: w.adminId.deviceId, counter: 99 },
    c.encodeTuple(['yjs', adminConv.encodeSegment(0)]), adminConv.meta.epochKeys['0']!, w.adminId.signingSecretKey)
  altered[altered.length - 70] = altered[altered.length - 70]! ^ 1
  // A refused entry does not move the device past its position, so the next one is offered there too.
  await ben.receiveFrame({ type: 'envelope', conversationId: conv, seq: lastSeq + 1, envelope: altered })
  assert.ok(w.alerts.includes('crypto/bad-signature'))
  assert.deepEqual(ben.listMessages(conv).map((m) => m.body), ['only once'])
  await w.close()
})

Deno.test('a device whose binding does not chain to the root is refused and nothing is encrypted to it', async () => {
  const w = await adminAndNurse()
  // A rogue root signs an authorization: the relay would not store it, so forge the directory
  // entry as a hostile relay would and check the client's verification directly.
  const rogue = c.generateSigningKeyPair()
  const secret = c.randomBytes(16)
  const ek = c.deriveEnrollmentKey(secret, c.rootFingerprint(rogue.publicKey))
  const auth = c.signAuthorization({ userId: 'u-rogue', displayName: 'Rogue', role: 'clinician', expiresAt: Date.now() + 1e6, enrollPublicKey: ek.publicKey }, rogue.secretKey)
  const dev = c.generateSigningKeyPair()
  const x = c.generateAgreementKeyPair()
  const binding = c.signDeviceBinding({ authorizationHash: c.sha256(auth), userId: 'u-rogue', signingPublicKey: dev.publicKey, agreementPublicKey: x.publicKey }, ek.secretKey, dev.secretKey)
  const { verifyDirectory } = await import('./directory.ts')
  const result = verifyDirectory(w.adminId.rootPublicKey, w.adminId.rootPublicKey, [c.encodeTuple([auth, binding])])
  assert.equal(result.devices.length, 0)
  assert.equal(result.refused, 1)
  await assert.rejects(w.admin.createConversation(['u-rogue']), /trust\/no-verified-device/)
  await w.close()
})

Deno.test('a message too long to send is refused up front and never blocks the outbox', async () => {
  const w = await adminAndNurse()
  const { ben, benId } = w
  const conv = await w.admin.createConversation([benId.userId])
  await assert.rejects(w.admin.sendMessage(conv, '💉'.repeat(80_000), 'big'), /limited/)
  await w.admin.sendMessage(conv, 'after the big one', 'small')
  await until(() => ben.listMessages(conv).length === 1, 'the next message still goes out')
  assert.equal(ben.listMessages(conv)[0]!.body, 'after the big one')
  assert.equal(w.admin.queuedCount(), 0)
  await w.close()
})
