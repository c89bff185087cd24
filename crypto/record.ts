/**
 * Message records: each message carries its author device's signature over (conversation, author
 * device, per-sender counter, content hash), so it can be verified however it arrived — in a batch
 * or inside a snapshot another member compacted (DESIGN §3).
 *
 * Content may carry tags (issue 9: `phi`, the kinds of likely PHI the author's device found). A
 * tag is hashed after the four original fields, so a record without tags hashes exactly as before
 * (records signed by older builds still verify) and a tag can be neither added to nor stripped from
 * a signed record without breaking its signature. `attachment` (decision 0018) follows the same
 * rule: the blob id, file key, ciphertext SHA-256, size, type, name and the thumbnail's blob are
 * hashed after `phi`, only when present, so every recipient fetches and checks the same bytes.
 */
import { encodeTuple, toBase64url, fromBase64url } from './bytes.ts'
import { sign, verifySignature } from './ed25519.ts'
import { sha256 } from './hkdf.ts'

const RECORD_TAG = 'wardline/record/v1'

/** An encrypted blob on the relay: its id, file key and SHA-256 of the ciphertext (base64url). */
export type BlobRef = { blobId: string; key: string; sha256: string; size: number }

/** The file a message carries (plaintext size and type), and its sender-made thumbnail. */
export type AttachmentRef = BlobRef & {
  mime: string
  name: string
  /** Encrypted JPEG thumbnail made on the sender's device; absent for files without one. */
  thumb?: BlobRef
}

export type RecordContent = {
  kind: string
  body: string
  createdAt: number
  authorUserId: string
  /** Kinds of likely PHI (sorted, distinct, non-empty when present); absent on untagged records. */
  phi?: readonly string[]
  attachment?: AttachmentRef
}

function blobFields(b: BlobRef | undefined): string[] {
  return b ? [b.blobId, b.key, b.sha256, String(b.size)] : ['', '', '', '']
}

/** The hashed fields: the original four, then `'phi'` and `'attachment'` and theirs only when present. */
function contentFields(content: RecordContent): string[] {
  const fields = [content.kind, content.body, String(content.createdAt), content.authorUserId]
  if (content.phi !== undefined) fields.push('phi', ...content.phi)
  const a = content.attachment
  if (a !== undefined) fields.push('attachment', ...blobFields(a), a.mime, a.name, ...blobFields(a.thumb))
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
