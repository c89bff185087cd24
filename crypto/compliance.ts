/**
 * The organisation's compliance key (DESIGN §1 rule 2, §3): an X25519 public key, pinned by a
 * root-signed certificate, to which every epoch key is also sealed with the ordinary key box
 * (crypto/key-box.ts) under the recipient id `compliance:<keyId>`. Its private half exists only
 * as k-of-n officer shares (split in workers/core/compliance-setup.ts: crypto/ imports only
 * noble). This module parses and verifies the certificate; it never sees the private key.
 */
import { bytesToHex, decodeTextTuple, decodeTuple, encodeTuple, parseCount } from './bytes.ts'
import { sign, verifySignature } from './ed25519.ts'
import { sha256 } from './hkdf.ts'
import type { BoxLabel } from './key-box.ts'
import { err, ok, type Result } from './result.ts'

const COMPLIANCE_TAG = 'wardline/compliance/v1'
/** Most officers one key can be split between (one printed share each). */
export const MAX_COMPLIANCE_OFFICERS = 16
/** The recipient id of every key box sealed to the compliance key: prefix + keyId. */
export const COMPLIANCE_RECIPIENT_PREFIX = 'compliance:'

export type ComplianceKey = {
  /** hex(SHA-256(agreementPublicKey)[0..16]): names the key in boxes, shares and the UI. */
  keyId: string
  agreementPublicKey: Uint8Array
  /** k: how many officers' shares open the key. */
  threshold: number
  /** n = officers.length; share i belongs to officers[i]. */
  officers: string[]
  createdAt: number
}

export function complianceKeyId(agreementPublicKey: Uint8Array): string {
  return bytesToHex(sha256(agreementPublicKey).subarray(0, 16))
}

export function complianceRecipientId(keyId: string): string {
  return COMPLIANCE_RECIPIENT_PREFIX + keyId
}

/** Null when the officers and threshold are acceptable, else what is wrong. */
export function checkComplianceOfficers(threshold: number, officers: readonly string[]): string | null {
  const n = officers.length
  if (n < 1 || n > MAX_COMPLIANCE_OFFICERS) return `expected 1..${MAX_COMPLIANCE_OFFICERS} officers, got ${n}`
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > n) {
    return `expected threshold 1..${n}, got ${threshold}`
  }
  if (officers.some((o) => o === '' || o.includes('\n'))) return 'expected non-empty one-line officer names'
  if (new Set(officers).size !== n) return 'expected distinct officer names'
  return null
}

/** Root-signs the compliance public key with its threshold and officers (admin device, setup). */
export function signComplianceCertificate(
  key: Omit<ComplianceKey, 'keyId'>,
  rootSecretKey: Uint8Array,
): Uint8Array {
  if (key.agreementPublicKey.length !== 32) {
    throw new RangeError(`expected 32-byte public key, got ${key.agreementPublicKey.length}`)
  }
  const problem = checkComplianceOfficers(key.threshold, key.officers)
  if (problem) throw new RangeError(problem)
  if (!Number.isSafeInteger(key.createdAt) || key.createdAt < 0) {
    throw new RangeError(`expected a non-negative integer createdAt, got ${key.createdAt}`)
  }
  const body = encodeTuple([
    COMPLIANCE_TAG,
    complianceKeyId(key.agreementPublicKey),
    String(key.threshold),
    String(key.createdAt),
    key.officers.join('\n'),
    key.agreementPublicKey,
  ])
  return encodeTuple([body, sign(body, rootSecretKey)])
}

/** Parses without checking the signature; clients and the relay use verifyComplianceCertificate. */
export function parseComplianceCertificate(
  blob: Uint8Array,
): Result<ComplianceKey & { body: Uint8Array; signature: Uint8Array }> {
  const outer = decodeTuple(blob, 2)
  if (!outer.ok) return err('compliance/malformed')
  const [body, signature] = outer.value as [Uint8Array, Uint8Array]
  const f = decodeTextTuple(body, 6, 5)
  if (!f.ok) return err('compliance/malformed')
  const [tag, keyId, k, created, joined] = f.value.text as [string, string, string, string, string]
  const agreementPublicKey = f.value.bytes[0]!
  const threshold = parseCount(k)
  const createdAt = parseCount(created)
  const officers = joined.split('\n')
  if (
    tag !== COMPLIANCE_TAG || agreementPublicKey.length !== 32 || threshold === null ||
    createdAt === null || checkComplianceOfficers(threshold, officers) !== null ||
    keyId !== complianceKeyId(agreementPublicKey)
  ) return err('compliance/malformed')
  return ok({ keyId, agreementPublicKey, threshold, officers, createdAt, body, signature })
}

/** Accepts the compliance key only with a valid signature by the pinned root (DESIGN §3). */
export function verifyComplianceCertificate(
  blob: Uint8Array,
  rootPublicKey: Uint8Array,
): Result<ComplianceKey> {
  const parsed = parseComplianceCertificate(blob)
  if (!parsed.ok) return parsed
  if (!verifySignature(parsed.value.signature, parsed.value.body, rootPublicKey)) {
    return err('compliance/bad-root-signature')
  }
  const { body: _b, signature: _s, ...key } = parsed.value
  return ok(key)
}

/**
 * The label of the key box that seals an epoch key to the compliance key: pass it to
 * `sealKeyBox(epochKey, label, senderSecretKey)`; the compliance tool opens the box with
 * `verifyAndOpenKeyBox(box, label, reconstructedPrivateKey)`.
 */
export function complianceBoxLabel(
  key: ComplianceKey,
  box: Pick<BoxLabel, 'conversationId' | 'epoch' | 'senderDeviceId' | 'senderSigningKey'>,
): BoxLabel {
  return {
    conversationId: box.conversationId,
    epoch: box.epoch,
    senderDeviceId: box.senderDeviceId,
    senderSigningKey: box.senderSigningKey,
    recipientDeviceId: complianceRecipientId(key.keyId),
    recipientAgreementKey: key.agreementPublicKey,
  }
}
