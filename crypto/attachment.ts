/**
 * Attachment encryption (DESIGN §1 rule 3, §3; decision 0018): a file is cut into 256 KiB chunks,
 * each sealed with XChaCha20-Poly1305 under a fresh random key per file and a random nonce. The
 * associated data binds the chunk's index and whether it is the last one, so chunks cannot be
 * reordered, dropped, repeated or cut off at a chunk boundary without failing to open. The sealed
 * chunks, concatenated, are the blob the relay stores; their SHA-256 goes into the signed record.
 * Pure functions over bytes: no DOM, no storage, no network.
 */
import { encodeTuple, randomBytes } from './bytes.ts'
import { decryptXChaCha, encryptXChaCha, KEY_LENGTH, NONCE_LENGTH, TAG_LENGTH } from './aead.ts'
import { sha256 } from './hkdf.ts'
import { err, ok, type Result } from './result.ts'

const CHUNK_TAG = 'wardline/attachment-chunk/v1'
/** Plaintext bytes per chunk; every chunk but the last is exactly this long. */
export const ATTACHMENT_CHUNK_BYTES = 256 * 1024
/** Bytes a sealed chunk adds to its plaintext: the nonce and the Poly1305 tag. */
export const CHUNK_OVERHEAD = NONCE_LENGTH + TAG_LENGTH
/** Length of every sealed chunk but the last. */
export const SEALED_CHUNK_BYTES = ATTACHMENT_CHUNK_BYTES + CHUNK_OVERHEAD

/** How many chunks a file of `size` plaintext bytes has (an empty file has one, empty). */
export function attachmentChunkCount(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`expected a size ≥ 0, got ${size}`)
  }
  return Math.max(1, Math.ceil(size / ATTACHMENT_CHUNK_BYTES))
}

/** Ciphertext length of a file of `size` plaintext bytes. */
export function sealedAttachmentSize(size: number): number {
  return size + attachmentChunkCount(size) * CHUNK_OVERHEAD
}

function chunkAd(index: number, last: boolean): Uint8Array {
  return encodeTuple([CHUNK_TAG, String(index), last ? 'last' : 'more'])
}

export function newAttachmentKey(): Uint8Array {
  return randomBytes(KEY_LENGTH)
}

/** Seals chunk `index` of `count`: nonce ‖ ciphertext ‖ tag. */
export function sealAttachmentChunk(
  key: Uint8Array,
  plaintext: Uint8Array,
  index: number,
  count: number,
): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`expected a chunk index in [0, ${count}), got ${index}`)
  }
  if (plaintext.length > ATTACHMENT_CHUNK_BYTES) {
    throw new RangeError(
      `expected ≤ ${ATTACHMENT_CHUNK_BYTES} bytes per chunk, got ${plaintext.length}`,
    )
  }
  const nonce = randomBytes(NONCE_LENGTH)
  const sealed = new Uint8Array(NONCE_LENGTH + plaintext.length + TAG_LENGTH)
  sealed.set(nonce)
  sealed.set(
    encryptXChaCha(key, nonce, plaintext, chunkAd(index, index === count - 1)),
    NONCE_LENGTH,
  )
  return sealed
}

/** Opens chunk `index` of `count`; a chunk moved, cut or from another file is `crypto/bad-tag`. */
export function openAttachmentChunk(
  key: Uint8Array,
  sealed: Uint8Array,
  index: number,
  count: number,
): Result<Uint8Array> {
  if (sealed.length < CHUNK_OVERHEAD || sealed.length > SEALED_CHUNK_BYTES) {
    return err('crypto/bad-tag')
  }
  if (index < count - 1 && sealed.length !== SEALED_CHUNK_BYTES) return err('crypto/bad-tag')
  return decryptXChaCha(
    key,
    sealed.subarray(0, NONCE_LENGTH),
    sealed.subarray(NONCE_LENGTH),
    chunkAd(index, index === count - 1),
  )
}

/** Seals a whole file into its chunks (the blob is their concatenation). */
export function sealAttachment(key: Uint8Array, plaintext: Uint8Array): Uint8Array[] {
  const count = attachmentChunkCount(plaintext.length)
  const out: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const part = plaintext.subarray(i * ATTACHMENT_CHUNK_BYTES, (i + 1) * ATTACHMENT_CHUNK_BYTES)
    out.push(sealAttachmentChunk(key, part, i, count))
  }
  return out
}

/** Splits a blob into its sealed chunks by length (every chunk but the last is full). */
export function splitSealedAttachment(blob: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let at = 0; at < blob.length || out.length === 0; at += SEALED_CHUNK_BYTES) {
    out.push(blob.subarray(at, at + SEALED_CHUNK_BYTES))
  }
  return out
}

/**
 * Checks the blob's SHA-256 against the signed one, then opens every chunk in order: the file,
 * or `attachment/bad-hash` (not the bytes the author signed), or `crypto/bad-tag`.
 */
export function verifyAndOpenAttachment(
  key: Uint8Array,
  blob: Uint8Array,
  expectedSha256: Uint8Array,
): Result<Uint8Array> {
  const hash = sha256(blob)
  if (hash.length !== expectedSha256.length || hash.some((b, i) => b !== expectedSha256[i])) {
    return err('attachment/bad-hash')
  }
  return openSealedAttachment(key, splitSealedAttachment(blob))
}

/** Opens the chunks in order into one buffer; any failure is `crypto/bad-tag`. */
export function openSealedAttachment(
  key: Uint8Array,
  chunks: readonly Uint8Array[],
): Result<Uint8Array> {
  const parts: Uint8Array[] = []
  for (let i = 0; i < chunks.length; i++) {
    const opened = openAttachmentChunk(key, chunks[i]!, i, chunks.length)
    if (!opened.ok) return opened
    parts.push(opened.value)
  }
  if (parts.length === 0) return err('crypto/bad-tag')
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return ok(out)
}

/** SHA-256 of the blob (the sealed chunks concatenated), as the record carries it. */
export function attachmentHash(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((n, c) => n + c.length, 0)
  const all = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    all.set(c, at)
    at += c.length
  }
  return sha256(all)
}
