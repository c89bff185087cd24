/**
 * Attachment blobs over the logged-in socket (issue 9, decision 0018). Any logged-in device may
 * upload a blob under an id it made (32 random bytes, base64url) and fetch the chunks of a complete
 * blob whose id it knows: the id is the capability, and it travels only inside the signed,
 * encrypted message record, so only the conversation's members learn it. Chunks are opaque
 * ciphertext; the relay checks sizes, order, owner and quota, and logs only short ids and sizes.
 */
import { BLOB_CHUNK_BYTES, BLOB_ID, type FrameOf, MAX_BLOB_BYTES } from '../wire/frames.ts'
import { shortId } from '../log.ts'
import { isSaneId, type SessionContext } from './context.ts'

/** Chunks a blob of `size` ciphertext bytes has: every chunk but the last is BLOB_CHUNK_BYTES. */
export const blobChunkCount = (size: number): number =>
  Math.max(1, Math.ceil(size / BLOB_CHUNK_BYTES))

export async function handlePutBlobChunk(
  s: SessionContext,
  f: FrameOf<'putBlobChunk'>,
): Promise<void> {
  if (!isSaneId(f.ref) || !BLOB_ID.test(f.blobId)) {
    return s.sendError('relay/malformed-frame', f.ref)
  }
  if (f.size > MAX_BLOB_BYTES) return s.sendError('blob/too-large', f.ref)
  const last = f.index === f.count - 1
  if (
    f.count !== blobChunkCount(f.size) || f.index >= f.count ||
    (last
      ? f.chunk.length !== f.size - (f.count - 1) * BLOB_CHUNK_BYTES
      : f.chunk.length !== BLOB_CHUNK_BYTES)
  ) {
    return s.sendError('blob/mismatch', f.ref)
  }
  const { storage, limits } = s.deps
  const result = await storage.blobs.putBlobChunk(
    {
      blobId: f.blobId,
      deviceId: s.deviceId,
      size: f.size,
      count: f.count,
      index: f.index,
      chunk: f.chunk,
      now: Date.now(),
    },
    { maxPendingBytes: limits.maxPendingBlobBytes },
  )
  if ('refused' in result) {
    s.deps.log('blob.refused', { code: result.refused, blob: shortId(f.blobId) })
    return s.sendError(result.refused, f.ref)
  }
  if (result.complete && last) {
    s.deps.log('blob.stored', { blob: shortId(f.blobId), bytes: result.size })
  }
  s.sendFrame({
    type: 'blobAck',
    ref: f.ref,
    blobId: f.blobId,
    stored: result.stored,
    count: result.count,
    complete: result.complete ? 1 : 0,
  })
}

/** Where to resume: chunks stored so far (0 for an unknown or expired upload). */
export async function handleGetBlobStatus(
  s: SessionContext,
  f: FrameOf<'getBlobStatus'>,
): Promise<void> {
  if (!isSaneId(f.ref) || !BLOB_ID.test(f.blobId)) {
    return s.sendError('relay/malformed-frame', f.ref)
  }
  const status = await s.deps.storage.blobs.blobStatus(f.blobId)
  // Another device's upload in progress is not this device's business; a complete blob is readable.
  const visible = status && (status.complete || status.deviceId === s.deviceId) ? status : null
  s.sendFrame({
    type: 'blobAck',
    ref: f.ref,
    blobId: f.blobId,
    stored: visible?.stored ?? 0,
    count: visible?.count ?? 0,
    complete: visible?.complete ? 1 : 0,
  })
}

export async function handleGetBlobChunk(
  s: SessionContext,
  f: FrameOf<'getBlobChunk'>,
): Promise<void> {
  if (!isSaneId(f.ref) || !BLOB_ID.test(f.blobId)) {
    return s.sendError('relay/malformed-frame', f.ref)
  }
  const status = await s.deps.storage.blobs.blobStatus(f.blobId)
  const chunk = status?.complete ? await s.deps.storage.blobs.getBlobChunk(f.blobId, f.index) : null
  if (!status || !chunk) return s.sendError('blob/not-found', f.ref)
  if (!await s.drain()) return
  s.sendFrame({
    type: 'blobChunk',
    ref: f.ref,
    blobId: f.blobId,
    index: f.index,
    count: status.count,
    chunk,
  })
}
