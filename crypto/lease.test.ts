import assert from 'node:assert/strict'
import { generateSigningKeyPair } from './ed25519.ts'
import { leaseDeadlines, leaseState, signLease, verifyLease } from './lease.ts'

const relayKey = generateSigningKeyPair()
const H = 3600_000
const lease = { deviceId: 'dev-a', issuedAt: 1_800_000_000_000, expiresAt: 1_800_000_000_000 + 72 * H }
const limits = { leaseHours: 72, leaseWipeDays: 7 }

Deno.test('verifyLease accepts the relay-signed lease of this device only', () => {
  const blob = signLease(lease, relayKey.secretKey)
  assert.deepEqual(verifyLease(blob, relayKey.publicKey, 'dev-a'), { ok: true, value: lease })
  assert.deepEqual(verifyLease(blob, relayKey.publicKey, 'dev-b'), { ok: false, code: 'lease/other-device' })
  assert.deepEqual(verifyLease(blob, generateSigningKeyPair().publicKey, 'dev-a'), { ok: false, code: 'lease/bad-signature' })
})

Deno.test('verifyLease rejects every single bit flip and junk', () => {
  const blob = signLease(lease, relayKey.secretKey)
  for (let bit = 0; bit < blob.length * 8; bit++) {
    const flipped = Uint8Array.from(blob)
    flipped[bit >> 3]! ^= 1 << (bit & 7)
    assert.equal(verifyLease(flipped, relayKey.publicKey, 'dev-a').ok, false, `bit ${bit}`)
  }
  for (const junk of [new Uint8Array(0), new Uint8Array(300), Uint8Array.of(1, 2, 3)]) {
    assert.equal(verifyLease(junk, relayKey.publicKey, 'dev-a').ok, false)
  }
  assert.throws(() => signLease({ ...lease, expiresAt: lease.issuedAt }, relayKey.secretKey), RangeError)
})

Deno.test('leaseState: ok, ending in the last 12 hours, expired at the lock, wipe after the extra days', () => {
  const t0 = lease.issuedAt
  assert.equal(leaseState(lease, limits, t0), 'ok')
  assert.equal(leaseState(lease, limits, t0 + 60 * H - 1), 'ok')
  assert.equal(leaseState(lease, limits, t0 + 60 * H), 'ending')
  assert.equal(leaseState(lease, limits, t0 + 72 * H), 'expired')
  assert.equal(leaseState(lease, limits, t0 + 72 * H + 7 * 24 * H - 1), 'expired')
  assert.equal(leaseState(lease, limits, t0 + 72 * H + 7 * 24 * H), 'wipe')
})

Deno.test('leaseDeadlines holds the policy window against a relay that signs a longer lease', () => {
  const generous = { ...lease, expiresAt: lease.issuedAt + 365 * 24 * H }
  assert.equal(leaseDeadlines(generous, limits).locksAt, lease.issuedAt + 72 * H)
  assert.equal(leaseDeadlines(generous, { leaseHours: 8, leaseWipeDays: 1 }).wipesAt, lease.issuedAt + 32 * H)
  // A shorter lease from the relay (its own setting) locks earlier.
  assert.equal(leaseDeadlines({ ...lease, expiresAt: lease.issuedAt + H }, limits).locksAt, lease.issuedAt + H)
})
