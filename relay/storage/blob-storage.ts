/**
 * The attachment blob store (issue 9, decision 0018): opaque ciphertext uploaded in numbered
 * chunks by one device and served back chunk by chunk once every chunk is in. The relay never sees
 * a key or a file name; the blob id is an unguessable capability (32 random bytes, base64url) made
 * by the uploading device. Uploads are resumable: chunks arrive in order, a repeat of a stored
 * chunk replaces it, and `blobStatus` tells a reconnecting device where to resume. An upload left
 * incomplete is deleted by `deleteIncompleteBlobs` (relay/blob-pruner.ts), so nothing half-stored
 * stays. Both backends keep the bytes in their database (SQLite file or Postgres), so a backup of
 * the store is a backup of the blobs.
 */

export type NewBlobChunk = {
  blobId: string
  deviceId: string
  /** Total ciphertext bytes of the blob, the same in every chunk of one upload. */
  size: number
  /** Number of chunks of the blob, the same in every chunk of one upload. */
  count: number
  index: number
  chunk: Uint8Array
  now: number
}

export type BlobStatus = { stored: number; count: number; size: number; complete: boolean }

export type BlobChunkRefusal =
  /** Another device started this blob id. */
  | 'blob/not-owner'
  /** `size` or `count` differ from the first chunk's, or the chunks would not add up to `size`. */
  | 'blob/mismatch'
  /** A chunk after the next one expected (uploads go in order, so `stored` is where to resume). */
  | 'blob/out-of-order'
  /** The device's incomplete uploads would exceed its quota. */
  | 'blob/quota-exceeded'

export type PutBlobChunkResult = BlobStatus | { refused: BlobChunkRefusal }

export interface BlobStorage {
  /**
   * Stores chunk `index` in one transaction: creates the blob on its first chunk (the device's
   * incomplete uploads plus this blob's size must stay within `maxPendingBytes`), replaces a chunk
   * already stored (a retry), appends the next one, and marks the blob complete when every chunk
   * is in and their lengths add up to `size`. A complete blob is never changed again; a chunk put
   * to it returns its status.
   */
  putBlobChunk(c: NewBlobChunk, options: { maxPendingBytes: number }): Promise<PutBlobChunkResult>
  /** The blob's upload state, or null when unknown (never started, or expired). */
  blobStatus(blobId: string): Promise<(BlobStatus & { deviceId: string }) | null>
  /** Chunk `index` of a COMPLETE blob, or null (unknown, incomplete or out of range). */
  getBlobChunk(blobId: string, index: number): Promise<Uint8Array | null>
  /** Deletes incomplete uploads started before `startedBefore` with their chunks; returns how many. */
  deleteIncompleteBlobs(startedBefore: number): Promise<number>
}
