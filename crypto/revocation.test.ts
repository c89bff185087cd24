/**
 * Device revocation certificates (crypto/revocation.ts): round trip, every bit flip refused, a
 * signer other than the named one refused, and malformed or non-canonical fields refused.
 */
import assert from 'node:assert/strict'
import { encodeTuple } from './bytes.ts'
import { generateSigningKeyPair, sign } from './ed25519.ts'
import { parseRevocation, type Revocation, signRevocation, verifyRevocation } from './revocation.ts'

const root = generateSigningKeyPair()
const sibling = generateSigningKeyPair()
const byRoot: Revocation = { deviceId: 'dev-lost', revokedAt: 1_700_000_000_000, signer: 'root', reason: 'lost on ward 7' }
const bySibling: Revocation = { ...byRoot, signer: 'dev-sibling', reason: '' }

function flipBit(blob: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(blob)
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

Deno.test('signRevocation and verifyRevocation round-trip a root and a same-user device revocation', () => {
  assert.deepEqual(verifyRevocation(signRevocation(byRoot, root.secretKey), root.publicKey), { ok: true, value: byRoot })
  const blob = signRevocation(bySibling, sibling.secretKey)
  assert.deepEqual(verifyRevocation(blob, sibling.publicKey), { ok: true, value: bySibling })
  // The relay reads the target and signer without a key, to choose which key verifies it.
  const parsed = parseRevocation(blob)
  assert.ok(parsed.ok)
  assert.equal(parsed.value.signer, 'dev-sibling')
})

Deno.test('verifyRevocation rejects every flipped bit (and accepts the original)', () => {
  const blob = signRevocation(byRoot, root.secretKey)
  assert.ok(verifyRevocation(blob, root.publicKey).ok)
  const accepted: number[] = []
  for (let bit = 0; bit < blob.length * 8; bit++) {
    if (verifyRevocation(flipBit(blob, bit), root.publicKey).ok) accepted.push(bit)
  }
  assert.deepEqual(accepted, [])
})

Deno.test('verifyRevocation refuses a certificate verified with another key than its signer’s', () => {
  const blob = signRevocation(byRoot, sibling.secretKey) // names the root, signed by a device
  assert.deepEqual(verifyRevocation(blob, root.publicKey), { ok: false, code: 'trust/bad-revocation-signature' })
  const other = signRevocation(bySibling, root.secretKey)
  assert.deepEqual(verifyRevocation(other, sibling.publicKey), { ok: false, code: 'trust/bad-revocation-signature' })
})

Deno.test('verifyRevocation refuses an unknown tag, non-canonical time, empty device or signer, and never throws on truncation', () => {
  const raw = (fields: string[]) => {
    const body = encodeTuple(fields)
    return encodeTuple([body, sign(body, root.secretKey)])
  }
  assert.ok(verifyRevocation(raw(['wardline/revocation/v1', 'd', '5', 'root', '']), root.publicKey).ok)
  for (
    const fields of [
      ['wardline/revocation/v2', 'd', '5', 'root', ''],
      ['wardline/revocation/v1', 'd', '05', 'root', ''],
      ['wardline/revocation/v1', 'd', '-5', 'root', ''],
      ['wardline/revocation/v1', 'd', '5.0', 'root', ''],
      ['wardline/revocation/v1', '', '5', 'root', ''],
      ['wardline/revocation/v1', 'd', '5', '', ''],
      ['wardline/revocation/v1', 'd', '5', 'root'],
      ['wardline/revocation/v1', 'd', '5', 'root', '', 'extra'],
    ]
  ) {
    assert.deepEqual(verifyRevocation(raw(fields), root.publicKey), { ok: false, code: 'trust/malformed' }, fields.join('|'))
  }
  const blob = signRevocation(byRoot, root.secretKey)
  for (let n = 0; n < blob.length; n++) assert.equal(verifyRevocation(blob.subarray(0, n), root.publicKey).ok, false)
})
