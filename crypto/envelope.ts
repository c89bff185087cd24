/**
 * Envelopes: a batch of sync data (Yjs updates) encrypted under the conversation's epoch key and
 * signed by the sending device (DESIGN §3). The header travels in clear for routing and is bound
 * as associated data; receivers verify the signature before decrypting and decrypt before
 * decoding. Payloads are padded to size classes so lengths leak little.
 */
import { concatBytes, decodeTuple, encodeTuple } from './bytes.ts'
import { decryptXChaCha, encryptXChaCha, NONCE_LENGTH } from './aead.ts'
import { randomBytes } from './bytes.ts'
import { sign, verifySignature } from './ed25519.ts'
import { err, ok, type Result } from './result.ts'
import { ENVELOPE_VERSION, type EnvelopeHeader, parseEnvelopeHeader } from './envelope-header.ts'

export { ENVELOPE_VERSION, type EnvelopeHeader, parseEnvelopeHeader }

/**
 * Largest plaintext payload an envelope may carry: padded (4-byte length inside) it is at most
 * 256 KiB, so a sealed envelope always fits one frame of MAX_FRAME_BYTES (512 KiB).
 */
export const MAX_ENVELOPE_PAYLOAD = 256 * 1024 - 4


function headerBytes(h: EnvelopeHeader, nonce: Uint8Array): Uint8Array {
  return encodeTuple([ENVELOPE_VERSION, h.conversationId, String(h.epoch), h.senderDeviceId, String(h.counter), nonce])
}

/** Pads to the next power of two ≥ 256 bytes (4-byte length prefix inside). */
export function padPayload(payload: Uint8Array): Uint8Array {
  let size = 256
  while (size < payload.length + 4) size *= 2
  const out = new Uint8Array(size)
  new DataView(out.buffer).setUint32(0, payload.length)
  out.set(payload, 4)
  return out
}

export function unpadPayload(padded: Uint8Array): Result<Uint8Array> {
  if (padded.length < 4) return err('crypto/malformed')
  const len = new DataView(padded.buffer, padded.byteOffset, padded.byteLength).getUint32(0)
  if (len > padded.length - 4) return err('crypto/malformed')
  return ok(padded.slice(4, 4 + len))
}

export function sealEnvelope(
  header: EnvelopeHeader,
  payload: Uint8Array,
  epochKey: Uint8Array,
  senderSecretKey: Uint8Array,
): Uint8Array {
  if (payload.length > MAX_ENVELOPE_PAYLOAD) {
    throw new RangeError(`expected payload ≤ ${MAX_ENVELOPE_PAYLOAD} bytes, got ${payload.length}`)
  }
  if (!Number.isSafeInteger(header.counter) || header.counter < 0) {
    throw new RangeError(`expected a non-negative counter, got ${header.counter}`)
  }
  const nonce = randomBytes(NONCE_LENGTH)
  const head = headerBytes(header, nonce)
  const ct = encryptXChaCha(epochKey, nonce, padPayload(payload), head)
  const sig = sign(concatBytes(head, ct), senderSecretKey)
  return encodeTuple([head, ct, sig])
}

/** Verifies the sender's signature over the header and ciphertext, then decrypts and unpads. */
export function verifyAndOpenEnvelope(
  blob: Uint8Array,
  senderPublicKey: Uint8Array,
  epochKey: Uint8Array,
): Result<{ header: EnvelopeHeader; payload: Uint8Array }> {
  const header = parseEnvelopeHeader(blob)
  if (!header.ok) return header
  const [head, ct, sig] = decodeTuple(blob, 3).ok ? (decodeTuple(blob, 3) as { value: Uint8Array[] }).value : []
  if (!verifySignature(sig!, concatBytes(head!, ct!), senderPublicKey)) return err('crypto/bad-signature')
  const nonce = (decodeTuple(head!, 6) as { value: Uint8Array[] }).value[5]!
  const opened = decryptXChaCha(epochKey, nonce, ct!, head)
  if (!opened.ok) return opened
  const payload = unpadPayload(opened.value)
  if (!payload.ok) return payload
  return ok({ header: header.value, payload: payload.value })
}
