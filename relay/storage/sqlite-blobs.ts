/**
 * BlobStorage on SQLite (decision 0018): `blobs` (one row per upload: owner device, size, chunk
 * count, chunks stored, completion time) and `blob_chunks` (the ciphertext) in the relay's one
 * SQLite file. Each chunk is written in one IMMEDIATE transaction with its row's counters, so a
 * crash leaves either the chunk and its count or neither. Touches only the blob tables.
 */
import type { DatabaseSync } from 'node:sqlite'
import type { BlobStatus, BlobStorage, NewBlobChunk, PutBlobChunkResult } from './blob-storage.ts'
import { num, type Row, SqliteBase } from './sqlite-base.ts'

function toStatus(r: Row): BlobStatus & { deviceId: string } {
  return {
    deviceId: r.device_id as string,
    size: num(r.size),
    count: num(r.chunk_count),
    stored: num(r.stored),
    complete: r.completed_at != null,
  }
}

export class SqliteBlobs extends SqliteBase implements BlobStorage {
  constructor(db: DatabaseSync) {
    super(db)
  }

  putBlobChunk(c: NewBlobChunk, o: { maxPendingBytes: number }): Promise<PutBlobChunkResult> {
    return Promise.resolve(this.tx((): PutBlobChunkResult => {
      let row = this.get('SELECT * FROM blobs WHERE blob_id = ?', c.blobId)
      if (!row) {
        const pending = num(
          this.get(
            'SELECT COALESCE(SUM(size), 0) AS n FROM blobs WHERE device_id = ? AND completed_at IS NULL',
            c.deviceId,
          )!.n,
        )
        if (pending + c.size > o.maxPendingBytes) return { refused: 'blob/quota-exceeded' }
        this.run(
          'INSERT INTO blobs (blob_id, device_id, size, chunk_count, stored, stored_bytes, started_at) VALUES (?, ?, ?, ?, 0, 0, ?)',
          c.blobId,
          c.deviceId,
          c.size,
          c.count,
          c.now,
        )
        row = this.get('SELECT * FROM blobs WHERE blob_id = ?', c.blobId)!
      }
      const status = toStatus(row)
      if (status.deviceId !== c.deviceId) return { refused: 'blob/not-owner' }
      if (status.size !== c.size || status.count !== c.count) return { refused: 'blob/mismatch' }
      if (status.complete) {
        return { size: status.size, count: status.count, stored: status.stored, complete: true }
      }
      if (c.index > status.stored) return { refused: 'blob/out-of-order' }
      const old = this.get(
        'SELECT length(chunk) AS n FROM blob_chunks WHERE blob_id = ? AND idx = ?',
        c.blobId,
        c.index,
      )
      const bytes = num(row.stored_bytes) - (old ? num(old.n) : 0) + c.chunk.length
      const stored = old ? status.stored : status.stored + 1
      if (bytes > status.size || (stored === status.count && bytes !== status.size)) {
        return { refused: 'blob/mismatch' }
      }
      this.run(
        'INSERT OR REPLACE INTO blob_chunks (blob_id, idx, chunk) VALUES (?, ?, ?)',
        c.blobId,
        c.index,
        c.chunk,
      )
      const complete = stored === status.count
      this.run(
        'UPDATE blobs SET stored = ?, stored_bytes = ?, completed_at = ? WHERE blob_id = ?',
        stored,
        bytes,
        complete ? c.now : null,
        c.blobId,
      )
      return { size: status.size, count: status.count, stored, complete }
    }))
  }

  blobStatus(blobId: string): Promise<(BlobStatus & { deviceId: string }) | null> {
    const row = this.get('SELECT * FROM blobs WHERE blob_id = ?', blobId)
    return Promise.resolve(row ? toStatus(row) : null)
  }

  getBlobChunk(blobId: string, index: number): Promise<Uint8Array | null> {
    const row = this.get(
      `SELECT c.chunk FROM blob_chunks c JOIN blobs b ON b.blob_id = c.blob_id
        WHERE c.blob_id = ? AND c.idx = ? AND b.completed_at IS NOT NULL`,
      blobId,
      index,
    )
    return Promise.resolve(row ? (row.chunk as Uint8Array) : null)
  }

  deleteIncompleteBlobs(startedBefore: number): Promise<number> {
    return Promise.resolve(this.tx(() => {
      this.run(
        `DELETE FROM blob_chunks WHERE blob_id IN
          (SELECT blob_id FROM blobs WHERE completed_at IS NULL AND started_at < ?)`,
        startedBefore,
      )
      return this.run(
        'DELETE FROM blobs WHERE completed_at IS NULL AND started_at < ?',
        startedBefore,
      ).changes
    }))
  }
}
