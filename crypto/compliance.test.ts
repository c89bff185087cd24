import assert from 'node:assert/strict'
import { randomBytes } from './bytes.ts'
import {
  checkComplianceOfficers,
  complianceBoxLabel,
  complianceKeyId,
  complianceRecipientId,
  MAX_COMPLIANCE_OFFICERS,
  parseComplianceCertificate,
  signComplianceCertificate,
  verifyComplianceCertificate,
} from './compliance.ts'
import { generateSigningKeyPair } from './ed25519.ts'
import { parseKeyBoxHeader, sealKeyBox, verifyAndOpenKeyBox } from './key-box.ts'
import { generateAgreementKeyPair } from './x25519.ts'

const root = generateSigningKeyPair()
const complianceKey = generateAgreementKeyPair()
const input = {
  agreementPublicKey: complianceKey.publicKey,
  threshold: 2,
  officers: ['Compliance officer 1', 'Dr Ngozi Eze', 'Łukasz Wiśniewski'],
  createdAt: 1_900_000_000_000,
}
const certificate = signComplianceCertificate(input, root.secretKey)

function flipBit(blob: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(blob)
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

Deno.test('verifyComplianceCertificate round-trips the key, threshold, officers and time', () => {
  const keyId = complianceKeyId(complianceKey.publicKey)
  assert.match(keyId, /^[0-9a-f]{32}$/)
  assert.deepEqual(verifyComplianceCertificate(certificate, root.publicKey), {
    ok: true,
    value: { keyId, ...input },
  })
  assert.equal(complianceRecipientId(keyId), `compliance:${keyId}`)
})

Deno.test('verifyComplianceCertificate refuses every single bit flip of the certificate', () => {
  for (let bit = 0; bit < certificate.length * 8; bit++) {
    const r = verifyComplianceCertificate(flipBit(certificate, bit), root.publicKey)
    assert.equal(r.ok, false, `bit ${bit} accepted`)
  }
})

Deno.test('verifyComplianceCertificate refuses a certificate signed by another root', () => {
  const other = generateSigningKeyPair()
  assert.deepEqual(verifyComplianceCertificate(certificate, other.publicKey), {
    ok: false,
    code: 'compliance/bad-root-signature',
  })
  // Parsing alone (what an index may do) does not check the signature.
  assert.equal(parseComplianceCertificate(certificate).ok, true)
})

Deno.test('signComplianceCertificate refuses k < 1, k > n, n > 16, empty, multi-line and repeated names', () => {
  const officers = (n: number) => Array.from({ length: n }, (_, i) => `Officer ${i + 1}`)
  const bad: [number, string[]][] = [
    [0, officers(3)],
    [4, officers(3)],
    [1, []],
    [2, officers(MAX_COMPLIANCE_OFFICERS + 1)],
    [1, ['Ann', '']],
    [1, ['Ann', 'Ben\nCarl']],
    [1, ['Ann', 'Ann']],
    [1.5, officers(3)],
  ]
  for (const [threshold, names] of bad) {
    assert.notEqual(checkComplianceOfficers(threshold, names), null, `${threshold} of ${names.length}`)
    assert.throws(
      () => signComplianceCertificate({ ...input, threshold, officers: names }, root.secretKey),
      RangeError,
    )
  }
  assert.equal(checkComplianceOfficers(1, officers(1)), null)
  assert.equal(checkComplianceOfficers(16, officers(16)), null)
})

Deno.test('a key box sealed to the compliance key opens with its private key and names its recipient', () => {
  const key = verifyComplianceCertificate(certificate, root.publicKey)
  assert.ok(key.ok)
  const sender = generateSigningKeyPair()
  const label = complianceBoxLabel(key.value, {
    conversationId: 'conv-1',
    epoch: 3,
    senderDeviceId: 'dev-sender',
    senderSigningKey: sender.publicKey,
  })
  const epochKey = randomBytes(32)
  const box = sealKeyBox(epochKey, label, sender.secretKey)
  const header = parseKeyBoxHeader(box)
  assert.ok(header.ok)
  assert.equal(header.value.recipientDeviceId, complianceRecipientId(key.value.keyId))
  assert.deepEqual(verifyAndOpenKeyBox(box, label, complianceKey.secretKey), { ok: true, value: epochKey })
  const stranger = generateAgreementKeyPair()
  assert.equal(verifyAndOpenKeyBox(box, label, stranger.secretKey).ok, false)
})
