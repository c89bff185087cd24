/**
 * Message records: each message carries its author device's signature over (conversation, author
 * device, per-sender counter, content hash), so it can be verified however it arrived — in a batch
 * or inside a snapshot another member compacted (DESIGN §3).
 *
 * Content may carry tags (issue 9: `phi`, the kinds of likely PHI the author's device found). A
 * tag is hashed after the four original fields, so a record without tags hashes exactly as before
 * (records signed by older builds still verify) and a tag can be neither added to nor stripped from
 * a signed record without breaking its signature.
 */
import { encodeTuple, toBase64url, fromBase64url } from './bytes.ts'
import { sign, verifySignature } from './ed25519.ts'
import { sha256 } from './hkdf.ts'

const RECORD_TAG = 'wardline/record/v1'

export type RecordContent = {
  kind: string
  body: string
  createdAt: number
  authorUserId: string
  /** Kinds of likely PHI (sorted, distinct, non-empty when present); absent on untagged records. */
  phi?: readonly string[]
}

/** The hashed fields: the original four, then `'phi'` and its kinds only when the tag is present. */
function contentFields(content: RecordContent): string[] {
  const fields = [content.kind, content.body, String(content.createdAt), content.authorUserId]
  if (content.phi !== undefined) fields.push('phi', ...content.phi)
  return fields
}

export function recordSigningBytes(
  conversationId: string,
  authorDeviceId: string,
  counter: number,
  content: RecordContent,
): Uint8Array {
  const hash = sha256(encodeTuple(contentFields(content)))
  return encodeTuple([RECORD_TAG, conversationId, authorDeviceId, String(counter), hash])
}

export function signRecord(
  conversationId: string,
  authorDeviceId: string,
  counter: number,
  content: RecordContent,
  secretKey: Uint8Array,
): string {
  return toBase64url(sign(recordSigningBytes(conversationId, authorDeviceId, counter, content), secretKey))
}

export function verifyRecord(
  conversationId: string,
  authorDeviceId: string,
  counter: number,
  content: RecordContent,
  signature: string,
  publicKey: Uint8Array,
): boolean {
  let sig: Uint8Array
  try {
    sig = fromBase64url(signature)
  } catch {
    return false
  }
  return verifySignature(sig, recordSigningBytes(conversationId, authorDeviceId, counter, content), publicKey)
}
