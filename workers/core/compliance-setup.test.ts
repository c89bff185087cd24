import assert from 'node:assert/strict'
import { combine } from 'shamir-secret-sharing'
import * as c from '../../crypto/mod.ts'
import {
  combineComplianceShares,
  createComplianceKey,
  encodeComplianceShare,
  parseComplianceShare,
} from './compliance-setup.ts'

const root = c.generateSigningKeyPair()
const officers = ['Officer A', 'Officer B', 'Officer C', 'Officer D', 'Officer E']

/** Seals a random epoch key to the compliance key, as a member device will. */
function sealToCompliance(key: c.ComplianceKey) {
  const sender = c.generateSigningKeyPair()
  const label = c.complianceBoxLabel(key, {
    conversationId: 'conv-1',
    epoch: 0,
    senderDeviceId: 'dev-1',
    senderSigningKey: sender.publicKey,
  })
  const epochKey = c.randomBytes(32)
  return { epochKey, label, box: c.sealKeyBox(epochKey, label, sender.secretKey) }
}

function verified(certificate: Uint8Array): c.ComplianceKey {
  const key = c.verifyComplianceCertificate(certificate, root.publicKey)
  assert.ok(key.ok, 'the certificate verifies under the root')
  return key.value
}

Deno.test('k of n officer shares rebuild the compliance key and open a key box sealed to it', async () => {
  const made = await createComplianceKey(root.secretKey, { threshold: 3, officers })
  assert.deepEqual(made.shares.map((s) => s.officer), officers)
  const key = verified(made.certificate)
  assert.deepEqual(key, made.key)
  for (const s of made.shares) {
    assert.match(s.share, new RegExp(`^WLCS1-${key.keyId.slice(0, 8).toUpperCase()}-[1-5]-[0-9A-Z]{4}(-[0-9A-Z]{4})+$`))
  }
  const { epochKey, label, box } = sealToCompliance(key)
  for (const pick of [[0, 1, 2], [4, 2, 0], [1, 2, 3, 4]]) {
    const texts = pick.map((i) => made.shares[i]!.share)
    const secret = await combineComplianceShares(texts, key)
    assert.ok(secret.ok, `shares ${pick} rebuild the key`)
    assert.deepEqual(c.verifyAndOpenKeyBox(box, label, secret.value), { ok: true, value: epochKey })
  }
  // Shares survive retyping: lower case, spaces instead of dashes in the payload.
  const retyped = made.shares.slice(0, 3).map((s) => s.share.toLowerCase().replace(/-(?=[0-9a-z]{4}(-|$))/g, ' '))
  assert.equal((await combineComplianceShares(retyped, key)).ok, true)
})

Deno.test('k − 1 shares do not rebuild the compliance key', async () => {
  const made = await createComplianceKey(root.secretKey, { threshold: 3, officers })
  const key = verified(made.certificate)
  const two = made.shares.slice(0, 2).map((s) => s.share)
  assert.deepEqual(await combineComplianceShares(two, key), { ok: false, code: 'compliance/not-enough-shares' })
  // The same share twice counts once.
  assert.deepEqual(
    await combineComplianceShares([two[0]!, two[0]!, two[1]!], key),
    { ok: false, code: 'compliance/not-enough-shares' },
  )
  // Below the threshold the polynomial is underdetermined: the library's output is not the key.
  const bytes = two.map((t) => {
    const p = parseComplianceShare(t)
    assert.ok(p.ok)
    return p.value.bytes
  })
  const guess = await combine(bytes)
  assert.notDeepEqual(c.agreementPublicKey(guess), key.agreementPublicKey)
  const { label, box } = sealToCompliance(key)
  assert.equal(c.verifyAndOpenKeyBox(box, label, guess).ok, false)
})

Deno.test('a tampered, foreign or mistyped share is refused', async () => {
  const made = await createComplianceKey(root.secretKey, { threshold: 2, officers: officers.slice(0, 3) })
  const key = verified(made.certificate)
  const [a, b] = made.shares.map((s) => s.share) as [string, string]
  // One character changed in the payload: the share's check fails. (Not the last character: its
  // low bits may be base32 padding, so changing it need not change a byte.)
  let at = a.length - 6
  while (a[at] === '-') at--
  const swapped = a[at] === 'A' ? 'B' : 'A'
  assert.deepEqual(await combineComplianceShares([a.slice(0, at) + swapped + a.slice(at + 1), b], key), { ok: false, code: 'compliance/bad-share' })
  // Altered bytes with a recomputed check (a deliberate forgery): the rebuilt key is not the certified one.
  const p = parseComplianceShare(a)
  assert.ok(p.ok)
  const forged = Uint8Array.from(p.value.bytes)
  // (Byte 1, not byte 0: X25519 clamps the low three bits of the secret's first byte, so a change
  // there can rebuild the same key.)
  forged[1]! ^= 1
  const forgedText = encodeComplianceShare(key.keyId, p.value.index, forged)
  assert.deepEqual(await combineComplianceShares([forgedText, b], key), { ok: false, code: 'compliance/shares-do-not-match' })
  // A share of another organisation's compliance key.
  const other = await createComplianceKey(root.secretKey, { threshold: 2, officers: officers.slice(0, 3) })
  assert.deepEqual(await combineComplianceShares([other.shares[0]!.share, b], key), { ok: false, code: 'compliance/wrong-key' })
  assert.deepEqual(await combineComplianceShares(['not a share', b], key), { ok: false, code: 'compliance/bad-share' })
})

Deno.test('with a threshold of 1 any single officer opens the key', async () => {
  const made = await createComplianceKey(root.secretKey, { threshold: 1, officers: ['Only officer'] })
  const key = verified(made.certificate)
  const secret = await combineComplianceShares([made.shares[0]!.share], key)
  assert.ok(secret.ok)
  assert.deepEqual(c.agreementPublicKey(secret.value), key.agreementPublicKey)
})

Deno.test('createComplianceKey refuses officers and thresholds out of bounds', async () => {
  await assert.rejects(createComplianceKey(root.secretKey, { threshold: 0, officers }), RangeError)
  await assert.rejects(createComplianceKey(root.secretKey, { threshold: 6, officers }), RangeError)
  await assert.rejects(createComplianceKey(root.secretKey, { threshold: 1, officers: [] }), RangeError)
})
