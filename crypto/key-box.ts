/**
 * Sealed boxes that deliver a conversation epoch key to one device (DESIGN §3): ephemeral X25519
 * → HKDF-SHA-256 → XChaCha20-Poly1305, signed by the sending device. The HKDF info, the
 * associated data and the signature bind version, conversation, epoch, both device ids and both
 * public keys, so a box cannot be relabelled for another epoch or recipient.
 */
import { decodeTuple, encodeTuple, wipe } from './bytes.ts'
import { decryptXChaCha, encryptXChaCha, NONCE_LENGTH } from './aead.ts'
import { sign, verifySignature } from './ed25519.ts'
import { deriveKey } from './hkdf.ts'
import { randomBytes } from './bytes.ts'
import { err, type Result } from './result.ts'
import { type BoxHeader, parseKeyBoxHeader } from './key-box-header.ts'
import { generateAgreementKeyPair, sharedSecret } from './x25519.ts'

const BOX_TAG = 'wardline/box/v1'

export type BoxLabel = {
  conversationId: string
  epoch: number
  senderDeviceId: string
  senderSigningKey: Uint8Array
  recipientDeviceId: string
  recipientAgreementKey: Uint8Array
}

function labelBytes(l: BoxLabel, ephemeral: Uint8Array): Uint8Array {
  return encodeTuple([
    BOX_TAG,
    l.conversationId,
    String(l.epoch),
    l.senderDeviceId,
    l.senderSigningKey,
    l.recipientDeviceId,
    l.recipientAgreementKey,
    ephemeral,
  ])
}

export function sealKeyBox(key: Uint8Array, label: BoxLabel, senderSecretKey: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError(`expected 32-byte key, got ${key.length}`)
  const eph = generateAgreementKeyPair()
  const shared = sharedSecret(eph.secretKey, label.recipientAgreementKey)
  if (!shared.ok) throw new TypeError('expected a valid recipient agreement key')
  const ad = labelBytes(label, eph.publicKey)
  const boxKey = deriveKey(shared.value, eph.publicKey, ad)
  const nonce = randomBytes(NONCE_LENGTH)
  const ct = encryptXChaCha(boxKey, nonce, key, ad)
  wipe(eph.secretKey, shared.value, boxKey)
  const body = encodeTuple([
    label.conversationId,
    String(label.epoch),
    label.senderDeviceId,
    label.recipientDeviceId,
    eph.publicKey,
    nonce,
    ct,
  ])
  return encodeTuple([body, sign(encodeTuple([ad, body]), senderSecretKey)])
}

export { type BoxHeader, parseKeyBoxHeader }

/** Verifies the sender's signature against the expected label, then decrypts. */
export function verifyAndOpenKeyBox(
  blob: Uint8Array,
  label: BoxLabel,
  recipientSecretKey: Uint8Array,
): Result<Uint8Array> {
  const outer = decodeTuple(blob, 2)
  if (!outer.ok) return outer
  const [body, signature] = outer.value as [Uint8Array, Uint8Array]
  const header = parseKeyBoxHeader(blob)
  if (!header.ok) return header
  const h = header.value
  if (
    h.conversationId !== label.conversationId || h.epoch !== label.epoch ||
    h.senderDeviceId !== label.senderDeviceId || h.recipientDeviceId !== label.recipientDeviceId
  ) return err('crypto/box-mislabelled')
  const f = decodeTuple(body, 7)
  if (!f.ok) return f
  const [, , , , ephemeral, nonce, ct] = f.value as Uint8Array[]
  if (ephemeral!.length !== 32) return err('crypto/malformed')
  const ad = labelBytes(label, ephemeral!)
  if (!verifySignature(signature, encodeTuple([ad, body]), label.senderSigningKey)) {
    return err('crypto/bad-signature')
  }
  const shared = sharedSecret(recipientSecretKey, ephemeral!)
  if (!shared.ok) return shared
  const boxKey = deriveKey(shared.value, ephemeral!, ad)
  const opened = decryptXChaCha(boxKey, nonce!, ct!, ad)
  wipe(shared.value, boxKey)
  if (opened.ok && opened.value.length !== 32) return err('crypto/malformed')
  return opened
}
