/**
 * Device lifecycle in the engine against a real relay (decision 0012): a device wipes only on a
 * revocation it can verify — its own certificate, signed by the root or by an unrevoked sibling —
 * never on the relay's bare word; online, after being offline, by a sibling it has never seen,
 * and by itself. The lease frame reaches the host.
 */
import assert from 'node:assert/strict'
import * as c from '../../crypto/mod.ts'
import type { WardlineClient } from './client.ts'
import { MemoryStore } from './store.ts'
import { sleep, until, world } from './test-world.ts'

type W = Awaited<ReturnType<typeof world>>

/** A started device of a new (or given) user that records what it was told. */
async function device(w: W, name: string, userId?: string, store = new MemoryStore()) {
  const identity = await w.enroll(name, userId)
  const seen = { revoked: [] as c.Revocation[], leases: [] as Uint8Array[] }
  const start = (s = store) => {
    const client = w.makeWith({ identity, store: s, onRevoked: (r) => seen.revoked.push(r), onLease: (l) => seen.leases.push(l) })
    return client.start().then(() => client)
  }
  return { identity, seen, store, start, client: await start() }
}

async function settled(client: WardlineClient, w: W): Promise<void> {
  await until(() => client.people().length >= 2 && w.admin.people().length >= 2, 'directory')
}

Deno.test('a revoked device wipes only on a certificate it verifies: forged, foreign and absent ones change nothing', async () => {
  const w = await world()
  try {
    const ben = await device(w, 'Ben Nurse')
    const cara = await device(w, 'Cara Nurse')
    await settled(ben.client, w)
    await until(() => ben.client.devices.has(cara.identity.deviceId), 'cara known')
    const forge = (signer: string, key: Uint8Array) =>
      c.signRevocation({ deviceId: ben.identity.deviceId, revokedAt: 1, signer, reason: 'x' }, key)
    const claims: Array<{ certificate: Uint8Array; signer: Uint8Array }> = [
      { certificate: new Uint8Array(0), signer: new Uint8Array(0) }, // a bare claim
      { certificate: c.randomBytes(120), signer: new Uint8Array(0) }, // junk
      { certificate: forge('root', c.generateSigningKeyPair().secretKey), signer: new Uint8Array(0) }, // another root
      { certificate: forge(cara.identity.deviceId, cara.identity.signingSecretKey), signer: new Uint8Array(0) }, // another user's device
      { certificate: c.signRevocation({ deviceId: cara.identity.deviceId, revokedAt: 1, signer: 'root', reason: 'x' }, w.adminId.rootSecretKey!), signer: new Uint8Array(0) }, // someone else's
    ]
    for (const claim of claims) await ben.client.receiveFrame({ type: 'revoked', ...claim })
    await ben.client.receiveFrame({ type: 'error', code: 'relay/device-revoked', ref: '' })
    assert.equal(ben.seen.revoked.length, 0)
    assert.ok(w.alerts.includes('trust/bad-revocation'))
    // The bare error stopped its connection (as before); back online, a real revocation by the
    // admin arrives live: verified and reported once.
    ben.client.stop()
    await ben.start()
    await sleep(300)
    await w.admin.revokeDevice(ben.identity.deviceId, 'phone lost')
    await until(() => ben.seen.revoked.length === 1, 'revoked')
    assert.deepEqual([ben.seen.revoked[0]!.signer, ben.seen.revoked[0]!.reason], ['root', 'phone lost'])
    await sleep(200)
    assert.equal(ben.seen.revoked.length, 1)
    assert.equal(cara.seen.revoked.length, 0)
  } finally {
    await w.close()
  }
})

Deno.test('a device revoked while offline learns it at its next login, also from a sibling enrolled after it last synced', async () => {
  const w = await world()
  try {
    const phone = await device(w, 'Ben Nurse')
    await settled(phone.client, w)
    phone.client.stop()
    // The tablet is enrolled while the phone is away, so the phone's stored directory lacks it.
    const tablet = await device(w, 'Ben Nurse', phone.identity.userId)
    await until(() => tablet.client.devices.has(phone.identity.deviceId), 'tablet sees phone')
    await tablet.client.revokeDevice(phone.identity.deviceId, 'left on the bus')
    assert.equal(phone.client.devices.has(tablet.identity.deviceId), false)
    const again = await phone.start()
    await until(() => phone.seen.revoked.length === 1, 'revoked at login')
    assert.equal(phone.seen.revoked[0]!.signer, tablet.identity.deviceId)
    assert.equal(again.connectionState, 'offline')
  } finally {
    await w.close()
  }
})

Deno.test('a device removes itself with its own signature; its peers then treat it as revoked', async () => {
  const w = await world()
  try {
    const ben = await device(w, 'Ben Nurse')
    await settled(ben.client, w)
    await ben.client.revokeDevice(ben.identity.deviceId, 'removed from this device')
    await until(() => ben.seen.revoked.length === 1, 'self revocation reported')
    assert.equal(ben.seen.revoked[0]!.signer, ben.identity.deviceId)
    await until(() => w.admin.revoked.has(ben.identity.deviceId), 'admin sees it revoked')
    assert.equal(w.admin.revocations.get(ben.identity.deviceId)?.signer, ben.identity.deviceId)
  } finally {
    await w.close()
  }
})

Deno.test('every login hands the host a lease signed by the key /api/org names', async () => {
  const w = await world()
  try {
    const ben = await device(w, 'Ben Nurse')
    await until(() => ben.seen.leases.length === 1, 'lease')
    const org = await (await fetch(`${w.relay.url}/api/org`)).json() as { leasePublicKey: string }
    const lease = c.verifyLease(ben.seen.leases[0]!, c.fromBase64url(org.leasePublicKey), ben.identity.deviceId)
    assert.ok(lease.ok && lease.value.expiresAt > lease.value.issuedAt)
  } finally {
    await w.close()
  }
})
