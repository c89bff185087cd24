import { decodeTuple } from '../../crypto/bytes.ts'
import { parseRevocation } from '../../crypto/revocation.ts'
import { assert, assertEquals } from '../storage/_assert.ts'
import {
  createTestCommit,
  createTestConversation,
  signTestRevocation,
  type TestDevice,
} from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { startTestRelay, type TestRelay } from '../testing/test-relay.ts'

type World = {
  t: TestRelay
  /** The nurse's phone, in 'c1' with the admin and the doctor. */
  phone: TestDevice
  /** The nurse's second device (same user), in no conversation. */
  tablet: TestDevice
  doctor: TestDevice
  genesis: Uint8Array
}

async function withWorld(fn: (w: World) => Promise<void>) {
  const t = await startTestRelay()
  try {
    const phone = await t.enroll('nurse')
    const tablet = await t.enroll('nurse')
    const doctor = await t.enroll('doctor')
    const conv = createTestConversation(t.admin, [phone, doctor], 'c1')
    const c = await TestClient.loggedIn(t.url, t.admin)
    c.send({ type: 'createConversation', ref: 'create', ...conv })
    assertEquals((await c.waitFor('ack')).ref, 'create')
    // A second conversation without the phone, which its revocation must not touch.
    c.send({
      type: 'createConversation',
      ref: 'create2',
      ...createTestConversation(t.admin, [doctor], 'c2'),
    })
    assertEquals((await c.waitFor('ack')).ref, 'create2')
    await c.close()
    await fn({ t, phone, tablet, doctor, genesis: conv.manifest })
  } finally {
    await t.close()
  }
}

Deno.test("a device revoked by the user's other device is cut off at once, its conversations pending rotation", () =>
  withWorld(async ({ t, phone, tablet, doctor, genesis }) => {
    const p = await TestClient.loggedIn(t.url, phone)
    await p.next('conversation')
    const admin = await TestClient.loggedIn(t.url, t.admin)
    await admin.next('conversation')
    await admin.next('conversation')
    const tab = await TestClient.loggedIn(t.url, tablet)

    tab.send({
      type: 'revokeDevice',
      ref: 'rv',
      revocation: signTestRevocation(phone.deviceId, tablet),
    })
    assertEquals(await tab.waitFor('ack'), { type: 'ack', ref: 'rv', conversationId: '', seq: 0 })
    // The device is shown its own certificate and the signing sibling's entry, then cut off.
    const notice = await p.next('revoked')
    const cert = parseRevocation(notice.certificate)
    assert(cert.ok && cert.value.deviceId === phone.deviceId && cert.value.signer === tablet.deviceId)
    const signerEntry = decodeTuple(notice.signer, 2)
    assert(signerEntry.ok && signerEntry.value[1]!.every((b, i) => b === tablet.binding[i]))
    assertEquals(await p.next('error'), { type: 'error', code: 'relay/device-revoked', ref: '' })
    assertEquals((await p.closed).code, 4003)
    assertEquals(await admin.next('rotationPending'), {
      type: 'rotationPending',
      conversationId: 'c1',
      epoch: 0,
    })
    assertEquals((await admin.next('directoryChanged')).type, 'directoryChanged')
    assert(await admin.isQuietFor(100), 'c2 does not hold the phone, so it is not pending')

    // The revoked device cannot log in again.
    const back = await TestClient.connect(t.url)
    const refused = await back.login(phone)
    assert(refused.type === 'revoked' && refused.certificate.length > 0, 'a refused login shows the certificate')
    assertEquals(await back.next('error'), { type: 'error', code: 'relay/device-revoked', ref: '' })
    assertEquals((await back.closed).code, 4003)

    // A member who logs in later hears it after its conversation list.
    const d = await TestClient.loggedIn(t.url, doctor)
    assertEquals((await d.next('conversation')).conversationId, 'c1')
    assertEquals((await d.next('conversation')).conversationId, 'c2')
    assertEquals(await d.next('rotationPending'), {
      type: 'rotationPending',
      conversationId: 'c1',
      epoch: 0,
    })

    // The directory serves the certificate with the device's chain.
    d.send({ type: 'getDirectory' })
    const dir = await d.waitFor('directory')
    assertEquals(dir.entries.length, 4)
    const revoked = dir.entries.filter((e) => decodeTuple(e, 3).ok)
    assertEquals(revoked.length, 1)
    const fields = decodeTuple(revoked[0]!, 3)
    assert(fields.ok)
    assertEquals(fields.value[1], phone.binding)
    assert(dir.entries.filter((e) => decodeTuple(e, 2).ok).length === 3)

    // A commit that keeps the revoked device is refused; one without it clears the pending mark.
    const keep = createTestCommit(t.admin, {
      conversationId: 'c1',
      epoch: 1,
      prev: genesis,
      devices: [t.admin, phone, doctor],
    })
    admin.send({ type: 'commit', ref: 'keep', conversationId: 'c1', entry: keep.entry })
    assertEquals(await admin.waitFor('error'), {
      type: 'error',
      code: 'relay/revoked-device',
      ref: 'keep',
    })
    const drop = createTestCommit(t.admin, {
      conversationId: 'c1',
      epoch: 1,
      prev: genesis,
      devices: [t.admin, doctor],
      change: 'remove',
    })
    admin.send({ type: 'commit', ref: 'drop', conversationId: 'c1', entry: drop.entry })
    assertEquals((await admin.waitFor('ack')).ref, 'drop')
    await d.close()
    const later = await TestClient.loggedIn(t.url, doctor)
    await later.next('conversation')
    await later.next('conversation')
    assert(await later.isQuietFor(150), 'no rotationPending once the epoch moved on')

    // Revoking again is idempotent: acked, nothing broadcast.
    tab.send({
      type: 'revokeDevice',
      ref: 'again',
      revocation: signTestRevocation(phone.deviceId, t.org),
    })
    assertEquals((await tab.waitFor('ack')).ref, 'again')
    assert(await admin.isQuietFor(100))

    // A conversation cannot be created with the revoked device either.
    admin.send({
      type: 'createConversation',
      ref: 'new',
      ...createTestConversation(t.admin, [phone], 'c3'),
    })
    assertEquals((await admin.waitFor('error')).code, 'relay/revoked-device')
    await Promise.all([admin.close(), tab.close(), later.close()])
  }))

Deno.test('a revocation must be signed by the root or by another unrevoked device of the same user', () =>
  withWorld(async ({ t, phone, tablet, doctor }) => {
    const d = await TestClient.loggedIn(t.url, doctor)
    const attempt = async (ref: string, revocation: Uint8Array) => {
      d.send({ type: 'revokeDevice', ref, revocation })
      const f = await d.waitFor(ref === 'ok' ? 'ack' : 'error')
      assertEquals(f.ref, ref)
      return f.type === 'error' ? f.code : 'ack'
    }
    // A different user's device may not revoke the nurse's phone.
    assertEquals(
      await attempt('other-user', signTestRevocation(phone.deviceId, doctor)),
      'relay/bad-revocation',
    )
    // Claiming to be the tablet but signed by the doctor's key.
    const forged = signTestRevocation(phone.deviceId, { ...tablet, signing: doctor.signing })
    assertEquals(await attempt('forged', forged), 'relay/bad-revocation')
    // Claiming the root but signed by a device key.
    const fakeRoot = signTestRevocation(phone.deviceId, { ...t.org, root: doctor.signing })
    assertEquals(await attempt('fake-root', fakeRoot), 'relay/bad-revocation')
    assertEquals(
      await attempt('unknown', signTestRevocation('no-such-device', t.org)),
      'relay/unknown-device',
    )
    assertEquals(await attempt('garbage', new Uint8Array([1, 2, 3])), 'relay/malformed-revocation')

    // The phone is still fine after all that.
    const p = await TestClient.loggedIn(t.url, phone)
    // The root may revoke any device; then the revoked tablet can no longer revoke anything.
    assertEquals(await attempt('ok', signTestRevocation(tablet.deviceId, t.org)), 'ack')
    d.send({
      type: 'revokeDevice',
      ref: 'by-revoked',
      revocation: signTestRevocation(phone.deviceId, tablet),
    })
    assertEquals((await d.waitFor('error')).code, 'relay/bad-revocation')
    p.send({ type: 'ping', nonce: 1 })
    assertEquals((await p.waitFor('pong')).nonce, 1)
    await Promise.all([d.close(), p.close()])
  }))

Deno.test('a device that revokes itself gets its ack, then its socket is closed with 4003', () =>
  withWorld(async ({ t, tablet }) => {
    const tab = await TestClient.loggedIn(t.url, tablet)
    tab.send({
      type: 'revokeDevice',
      ref: 'me',
      revocation: signTestRevocation(tablet.deviceId, tablet),
    })
    assertEquals((await tab.next('ack')).ref, 'me')
    const notice = await tab.next('revoked')
    assert(notice.signer.length > 0, 'a self-signed revocation carries its own entry')
    assertEquals((await tab.next('error')).code, 'relay/device-revoked')
    assertEquals((await tab.closed).code, 4003)
  }))

Deno.test('an admin revocation is shown to the device with an empty signer entry; every login gets a verifiable lease', () =>
  withWorld(async ({ t, phone }) => {
    const { verifyLease } = await import('../../crypto/lease.ts')
    const { fromBase64url } = await import('../../crypto/bytes.ts')
    const org = await (await fetch(`${t.url}/api/org`)).json() as { leasePublicKey: string }
    const p = await TestClient.loggedIn(t.url, phone)
    assert(p.lease !== null, 'a lease follows ready')
    const lease = verifyLease(p.lease.lease, fromBase64url(org.leasePublicKey), phone.deviceId)
    assert(lease.ok && lease.value.expiresAt - lease.value.issuedAt === 72 * 3600_000)
    const admin = await TestClient.loggedIn(t.url, t.admin)
    admin.send({ type: 'revokeDevice', ref: 'rv', revocation: signTestRevocation(phone.deviceId, t.org) })
    const notice = await p.waitFor('revoked')
    assertEquals(notice.signer.length, 0)
    assertEquals((await p.closed).code, 4003)
    await admin.close()
  }))
