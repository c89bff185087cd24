/**
 * Membership epochs against the real relay: removal and revocation rotate the key so that a
 * device keeping its whole key store opens nothing sent afterwards; competing commits settle on
 * one epoch and lose nothing; added members get history only when it is shared; a member's new
 * device reads what was sent while all their devices were off; a removed sender's queued message
 * shows "not sent"; an update touching another device's Yjs items is refused.
 */
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import * as c from '../../crypto/mod.ts'
import type { RelayStorage } from '../../relay/storage/storage.ts'
import { ConversationState, clientIdFor, isAuthoredBy } from './conversation-state.ts'
import type { ConversationMeta } from './conversation-state.ts'
import type { WardlineClient } from './client.ts'
import { MemoryStore } from './store.ts'
import { combineComplianceShares } from './compliance-setup.ts'
import { verifiedComplianceKey } from './identity.ts'
import { adminAndNurse, until } from './test-world.ts'

/** Every data envelope after `afterSeq` that any epoch key in `store` opens (a hostile relay gives a revoked device everything). */
async function openableAfter(
  storage: RelayStorage,
  conversationId: string,
  afterSeq: number,
  store: MemoryStore,
  senders: ReadonlyMap<string, c.VerifiedDevice>,
): Promise<{ tried: number; opened: number }> {
  const meta = await store.get<ConversationMeta>(`conv/${conversationId}`)
  const keys = Object.values(meta?.epochKeys ?? {})
  let tried = 0
  let opened = 0
  for (const e of await storage.envelopesSince(conversationId, afterSeq, 10_000)) {
    if (c.isCommitEntry(e.envelope)) continue
    const h = c.parseEnvelopeHeader(e.envelope)
    if (!h.ok) continue
    tried++
    const sender = senders.get(h.value.senderDeviceId)!
    if (keys.some((k) => c.verifyAndOpenEnvelope(e.envelope, sender.signingPublicKey, k).ok)) opened++
  }
  return { tried, opened }
}

const bodies = (client: WardlineClient, id: string) => client.listMessages(id).map((m) => m.body)

Deno.test('a removed member keeping its whole key store opens 0 of the messages sent after its removal', async () => {
  const w = await adminAndNurse()
  const caraId = await w.enroll('Cara Doctor')
  const caraStore = new MemoryStore()
  const cara = w.make(caraId, caraStore)
  await cara.start()
  await until(() => w.admin.people().length === 3 && cara.people().length === 3, 'directory')
  const conv = await w.admin.createConversation([w.benId.userId, caraId.userId])
  await until(() => w.ben.conversations.has(conv) && cara.conversations.has(conv), 'conversation everywhere')
  await w.admin.sendMessage(conv, 'before removal', 'a1')
  await until(() => bodies(cara, conv).length === 1, 'cara reads')
  await w.admin.removeMembers(conv, [caraId.userId])
  const removedAt = w.admin.conversations.get(conv)!.meta.lastSeq
  await until(() => cara.listConversations()[0]?.removed === true, 'cara sees she was removed')
  await w.admin.sendMessage(conv, 'after removal 1', 'a2')
  await w.ben.sendMessage(conv, 'after removal 2', 'b1')
  await until(() => bodies(w.ben, conv).length === 3 && bodies(w.admin, conv).length === 3, 'remaining members converge')
  assert.deepEqual(bodies(cara, conv), ['before removal'])
  const result = await openableAfter(w.storage, conv, removedAt, caraStore, w.admin.devices)
  assert.equal(result.tried, 2)
  assert.equal(result.opened, 0)
  await w.close()
})

Deno.test('revoking a device rotates its conversations: its exported key store opens 0 later messages', async () => {
  const w = await adminAndNurse()
  const benPhoneStore = new MemoryStore()
  const benPhoneId = await w.enroll('Ben Nurse', w.benId.userId)
  const benPhone = w.make(benPhoneId, benPhoneStore)
  await benPhone.start()
  await until(() => w.admin.people().find((p) => p.userId === w.benId.userId)?.deviceCount === 2, 'second device listed')
  const conv = await w.admin.createConversation([w.benId.userId])
  await until(() => benPhone.conversations.has(conv) && w.ben.conversations.has(conv), 'both of ben’s devices joined')
  await w.admin.sendMessage(conv, 'before revocation', 'r1')
  await until(() => bodies(benPhone, conv).length === 1, 'phone reads')
  const exported = await benPhoneStore.list('')
  await w.admin.revokeDevice(benPhoneId.deviceId, 'lost on ward 7')
  await until(() => w.admin.conversations.get(conv)!.meta.epoch === 1, 'rotation committed')
  const rotatedAt = w.admin.conversations.get(conv)!.meta.lastSeq
  assert.ok(!w.admin.conversations.get(conv)!.meta.deviceIds.includes(benPhoneId.deviceId))
  await w.admin.sendMessage(conv, 'after revocation', 'r2')
  await w.ben.sendMessage(conv, 'reply after revocation', 'r3')
  await until(() => bodies(w.admin, conv).length === 3 && bodies(w.ben, conv).length === 3, 'others converge')
  const snapshot = new MemoryStore()
  await snapshot.write(exported.map(([key, value]) => ({ key, value })))
  const result = await openableAfter(w.storage, conv, rotatedAt, snapshot, w.admin.devices)
  assert.equal(result.tried, 2)
  assert.equal(result.opened, 0)
  assert.ok(!w.admin.people().some((p) => p.userId === w.benId.userId && p.deviceCount !== 1))
  await w.close()
})

Deno.test('concurrent removals by two members settle on one epoch each in turn; nothing is lost and all converge', async () => {
  const w = await adminAndNurse()
  const caraId = await w.enroll('Cara Doctor')
  const danId = await w.enroll('Dan Porter')
  const cara = w.make(caraId)
  const dan = w.make(danId)
  await cara.start()
  await dan.start()
  await until(() => [w.admin, w.ben, cara, dan].every((x) => x.people().length === 4), 'directory')
  const conv = await w.admin.createConversation([w.benId.userId, caraId.userId, danId.userId])
  await until(() => [w.ben, cara, dan].every((x) => x.conversations.has(conv)), 'joined')
  await w.admin.sendMessage(conv, 'm1', 'x1')
  await w.ben.sendMessage(conv, 'm2', 'x2')
  const results = await Promise.allSettled([
    w.admin.removeMembers(conv, [caraId.userId]),
    w.ben.removeMembers(conv, [danId.userId]),
  ])
  const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]
  // One commit wins; the other is refused as stale and is retried on top of the winner.
  for (const f of failed) assert.equal((f.reason as { code?: string }).code, 'relay/stale-commit')
  if (failed.length > 0) {
    const loser = results[0]!.status === 'rejected' ? w.admin : w.ben
    const target = results[0]!.status === 'rejected' ? caraId.userId : danId.userId
    await until(() => loser.conversations.get(conv)!.meta.epoch >= 1, 'loser sees the winner')
    await loser.removeMembers(conv, [target])
  }
  await until(() => [w.admin, w.ben].every((x) => x.conversations.get(conv)!.meta.epoch === 2), 'both rotations applied')
  const meta = w.admin.conversations.get(conv)!.meta
  assert.deepEqual(meta.memberUserIds.slice().sort(), [w.adminId.userId, w.benId.userId].sort())
  await w.admin.sendMessage(conv, 'm3', 'x3')
  await w.ben.sendMessage(conv, 'm4', 'x4')
  await until(() => bodies(w.admin, conv).length === 4 && bodies(w.ben, conv).length === 4, 'converge')
  assert.deepEqual(bodies(w.admin, conv), bodies(w.ben, conv))
  assert.deepEqual(bodies(w.admin, conv).slice().sort(), ['m1', 'm2', 'm3', 'm4'])
  await w.close()
})

Deno.test('an added member reads earlier messages only when history is shared; otherwise they are listed as unavailable', async () => {
  const w = await adminAndNurse()
  const caraId = await w.enroll('Cara Doctor')
  const danId = await w.enroll('Dan Porter')
  const cara = w.make(caraId)
  const dan = w.make(danId)
  await cara.start()
  await dan.start()
  await until(() => [w.admin, cara, dan].every((x) => x.people().length === 4), 'directory')
  const shared = await w.admin.createConversation([w.benId.userId, caraId.userId])
  const unshared = await w.admin.createConversation([w.benId.userId, caraId.userId, danId.userId])
  await w.admin.removeMembers(unshared, [danId.userId])
  for (const id of [shared, unshared]) {
    await w.admin.sendMessage(id, `early ${id}`, `e-${id}`)
  }
  await w.admin.addMembers(shared, [danId.userId], true)
  await w.admin.addMembers(unshared, [danId.userId], false)
  await w.admin.sendMessage(shared, 'later shared', 'l1')
  await w.admin.sendMessage(unshared, 'later unshared', 'l2')
  await until(() => bodies(dan, shared).length === 2, 'dan reads shared history')
  assert.deepEqual(bodies(dan, shared), [`early ${shared}`, 'later shared'])
  await until(() => bodies(dan, unshared).length === 1, 'dan reads only what came after')
  assert.deepEqual(bodies(dan, unshared), ['later unshared'])
  const summary = dan.listConversations().find((s) => s.conversationId === unshared)!
  assert.ok(summary.historyUnavailable >= 1)
  await w.close()
})

Deno.test('a new device of a member reads messages sent while all of that user’s devices were off', async () => {
  const w = await adminAndNurse()
  const conv = await w.admin.createConversation([w.benId.userId])
  await until(() => w.ben.conversations.has(conv), 'ben joined')
  w.ben.stop() // Ben's only device goes off
  await w.admin.sendMessage(conv, 'while you were off 1', 'o1')
  await w.admin.sendMessage(conv, 'while you were off 2', 'o2')
  const tabletId = await w.enroll('Ben Nurse', w.benId.userId)
  const tablet = w.make(tabletId)
  await tablet.start()
  // The admin's device sees Ben's new device and adds it with the history.
  await until(() => bodies(tablet, conv).length === 2, 'tablet reads everything', 15_000)
  assert.deepEqual(bodies(tablet, conv), ['while you were off 1', 'while you were off 2'])
  await w.close()
})

Deno.test('a message queued by a member who is removed before it goes out shows "not sent"', async () => {
  const w = await adminAndNurse()
  const caraId = await w.enroll('Cara Doctor')
  const cara = w.make(caraId)
  await cara.start()
  await until(() => w.admin.people().length === 3 && cara.people().length === 3, 'directory')
  const conv = await w.admin.createConversation([w.benId.userId, caraId.userId])
  await until(() => cara.conversations.has(conv), 'cara joined')
  cara.connection.stop()
  await cara.sendMessage(conv, 'written offline', 'c1')
  assert.equal(cara.listMessages(conv)[0]!.status, 'queued')
  await w.admin.removeMembers(conv, [caraId.userId])
  cara.connection.start()
  await until(() => cara.listMessages(conv)[0]?.status === 'not-sent', 'not sent')
  assert.ok(w.alerts.includes('sync/not-sent-removed'), 'the author is told plainly')
  assert.equal(cara.queuedCount(), 0)
  assert.ok(!bodies(w.admin, conv).includes('written offline'))
  await w.close()
})

Deno.test('isAuthoredBy accepts an update that touches only its signer’s items and refuses any other', () => {
  const a = new Y.Doc()
  a.clientID = clientIdFor('device-a', 0)
  a.getMap('messages').set('x', { v: 1 })
  const own = Y.encodeStateAsUpdate(a)
  assert.ok(isAuthoredBy(own, clientIdFor('device-a', 0)))
  assert.ok(!isAuthoredBy(own, clientIdFor('device-b', 0)))
  assert.ok(!isAuthoredBy(own, clientIdFor('device-a', 1)))
  // device-b deleting device-a's item: its delete set names device-a's client id
  const b = new Y.Doc()
  b.clientID = clientIdFor('device-b', 0)
  Y.applyUpdate(b, own)
  const before = Y.encodeStateVector(b)
  b.getMap('messages').delete('x')
  const deletion = Y.encodeStateAsUpdate(b, before)
  assert.ok(!isAuthoredBy(deletion, clientIdFor('device-b', 0)))
  const state = new ConversationState({ conversationId: 'c' } as ConversationMeta, 'me')
  assert.equal(state.applyUpdate(0, 'device-b', own, new Map(), 1).foreign, true)
})

Deno.test('every epoch key is sealed to the compliance key: k shares open every message of every epoch, k−1 open none', async () => {
  const w = await adminAndNurse()
  const conv = await w.admin.createConversation([w.benId.userId])
  await w.admin.sendMessage(conv, 'epoch zero', 'z0')
  const caraId = await w.enroll('Cara Doctor')
  await until(() => w.admin.people().length === 3, 'directory')
  const group = await w.admin.createConversation([w.benId.userId, caraId.userId])
  await w.admin.sendMessage(group, 'group epoch zero', 'g0')
  await w.admin.removeMembers(group, [caraId.userId])
  await w.admin.sendMessage(group, 'group epoch one', 'g1')
  await until(() => w.admin.conversations.get(group)!.meta.lastSeq >= 3, 'all stored')
  const key = verifiedComplianceKey(w.adminId)
  assert.ok(key.ok)
  const texts = w.complianceShares.map((s) => s.share)
  const full = await combineComplianceShares(texts.slice(0, 2), key.value)
  const partial = await combineComplianceShares(texts.slice(0, 1), key.value)
  assert.ok(full.ok)
  assert.ok(!partial.ok)
  const recipient = c.complianceRecipientId(key.value.keyId)
  for (const [id, expected] of [[conv, 1], [group, 2]] as const) {
    const row = (await w.storage.getConversation(id))!
    const keys = new Map<number, Uint8Array>()
    const entries = [{ envelope: c.encodeCommitEntry(row.genesis, (await w.storage.boxesFor(id, recipient)) ?? []) }, ...(await w.storage.envelopesSince(id, 0, 1000))]
    let opened = 0
    for (const e of entries) {
      if (c.isCommitEntry(e.envelope)) {
        const d = c.decodeCommitEntry(e.envelope)
        if (!d.ok) continue
        const commit = c.parseCommit(d.value.commit)
        if (!commit.ok) continue
        const author = w.admin.devices.get(commit.value.authorDeviceId)!
        for (const box of d.value.boxes) {
          const h = c.parseKeyBoxHeader(box)
          if (!h.ok || h.value.recipientDeviceId !== recipient) continue
          const label = c.complianceBoxLabel(key.value, { conversationId: id, epoch: h.value.epoch, senderDeviceId: author.deviceId, senderSigningKey: author.signingPublicKey })
          const k = c.verifyAndOpenKeyBox(box, label, full.value)
          if (k.ok) keys.set(h.value.epoch, k.value)
        }
        continue
      }
      const h = c.parseEnvelopeHeader(e.envelope)
      if (!h.ok) continue
      const sender = w.admin.devices.get(h.value.senderDeviceId)!
      if (c.verifyAndOpenEnvelope(e.envelope, sender.signingPublicKey, keys.get(h.value.epoch) ?? new Uint8Array(32)).ok) opened++
    }
    assert.equal(opened, expected, id)
  }
  await w.close()
})

Deno.test('a device restarted from its store writes under its own Yjs client id again, so members accept its messages (regression)', async () => {
  const w = await adminAndNurse()
  const store = new MemoryStore()
  const ben1 = w.make(w.benId, store)
  w.ben.stop()
  await ben1.start()
  const conv = await w.admin.createConversation([w.benId.userId])
  await until(() => ben1.conversations.has(conv), 'joined')
  await w.admin.sendMessage(conv, 'A1', 'a1')
  await ben1.sendMessage(conv, 'B1', 'b1')
  await until(() => w.admin.listMessages(conv).length === 2, 'b1 arrives')
  ben1.stop()
  const ben2 = w.make(w.benId, store)
  await ben2.start()
  ben2.connection.stop()
  await ben2.sendMessage(conv, 'B2 offline', 'b2')
  const ben3 = w.make(w.benId, store)
  ben2.stop()
  await ben3.start()
  await until(() => ben3.listMessages(conv).every((m) => m.status !== 'queued'), 'sent')
  await until(() => w.admin.listMessages(conv).length === 3, 'arrives')
  assert.ok(!w.alerts.includes('sync/foreign-items'))
  await w.close()
})

Deno.test('a revocation signed by a device that is itself revoked does not count', async () => {
  const { verifyDirectory } = await import('./directory.ts')
  const root = c.generateSigningKeyPair()
  const fp = c.rootFingerprint(root.publicKey)
  const device = (userId: string) => {
    const secret = c.randomBytes(16)
    const ek = c.deriveEnrollmentKey(secret, fp)
    const auth = c.signAuthorization({ userId, displayName: userId, role: 'clinician', expiresAt: 1e13, enrollPublicKey: ek.publicKey }, root.secretKey)
    const sk = c.generateSigningKeyPair()
    const binding = c.signDeviceBinding({ authorizationHash: c.sha256(auth), userId, signingPublicKey: sk.publicKey, agreementPublicKey: c.generateAgreementKeyPair().publicKey }, ek.secretKey, sk.secretKey)
    return { auth, binding, sk, id: c.deviceIdFromKey(sk.publicKey) }
  }
  const phone = device('u1')
  const tablet = device('u1')
  const byRoot = c.signRevocation({ deviceId: phone.id, revokedAt: 1, signer: 'root', reason: 'lost' }, root.secretKey)
  // The stolen phone, already revoked by the admin, tries to revoke its user's tablet.
  const byPhone = c.signRevocation({ deviceId: tablet.id, revokedAt: 2, signer: phone.id, reason: 'x' }, phone.sk.secretKey)
  const result = verifyDirectory(root.publicKey, root.publicKey, [
    c.encodeTuple([phone.auth, phone.binding, byRoot]),
    c.encodeTuple([tablet.auth, tablet.binding, byPhone]),
  ])
  assert.deepEqual([...result.revoked], [phone.id])
})
