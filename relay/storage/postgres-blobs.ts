/**
 * BlobStorage on Postgres (decision 0018): the same tables and rules as sqlite-blobs.ts. Relays
 * sharing the database serialise chunk writes of one blob on its row (FOR UPDATE) and a device's
 * new uploads on a transaction-scoped advisory lock of its id, so two relays cannot both let a
 * device past its quota. Touches only the blob tables.
 */
import type { BlobStatus, BlobStorage, NewBlobChunk, PutBlobChunkResult } from './blob-storage.ts'
import { bytes, num, type Row, type Sql, transaction } from './postgres-base.ts'

function toStatus(r: Row): BlobStatus & { deviceId: string } {
  return {
    deviceId: r.device_id as string,
    size: num(r.size),
    count: num(r.chunk_count),
    stored: num(r.stored),
    complete: r.completed_at != null,
  }
}

export class PostgresBlobs implements BlobStorage {
  constructor(private readonly sql: Sql) {}

  putBlobChunk(c: NewBlobChunk, o: { maxPendingBytes: number }): Promise<PutBlobChunkResult> {
    return transaction(this.sql, async (tx): Promise<PutBlobChunkResult> => {
      let [row] = await tx`SELECT * FROM blobs WHERE blob_id = ${c.blobId} FOR UPDATE`
      if (!row) {
        await tx`SELECT pg_advisory_xact_lock(hashtext(${'blob-quota:' + c.deviceId}))`
        const [p] = await tx`SELECT COALESCE(SUM(size), 0) AS n FROM blobs
          WHERE device_id = ${c.deviceId} AND completed_at IS NULL`
        if (num(p!.n) + c.size > o.maxPendingBytes) return { refused: 'blob/quota-exceeded' }
        await tx`INSERT INTO blobs (blob_id, device_id, size, chunk_count, stored, stored_bytes, started_at)
          VALUES (${c.blobId}, ${c.deviceId}, ${c.size}, ${c.count}, 0, 0, ${c.now})
          ON CONFLICT (blob_id) DO NOTHING`
        ;[row] = await tx`SELECT * FROM blobs WHERE blob_id = ${c.blobId} FOR UPDATE`
      }
      const status = toStatus(row!)
      if (status.deviceId !== c.deviceId) return { refused: 'blob/not-owner' }
      if (status.size !== c.size || status.count !== c.count) return { refused: 'blob/mismatch' }
      if (status.complete) {
        return { size: status.size, count: status.count, stored: status.stored, complete: true }
      }
      if (c.index > status.stored) return { refused: 'blob/out-of-order' }
      const [old] = await tx`SELECT length(chunk) AS n FROM blob_chunks
        WHERE blob_id = ${c.blobId} AND idx = ${c.index}`
      const total = num(row!.stored_bytes) - (old ? num(old.n) : 0) + c.chunk.length
      const stored = old ? status.stored : status.stored + 1
      if (total > status.size || (stored === status.count && total !== status.size)) {
        return { refused: 'blob/mismatch' }
      }
      await tx`INSERT INTO blob_chunks (blob_id, idx, chunk) VALUES (${c.blobId}, ${c.index}, ${c.chunk})
        ON CONFLICT (blob_id, idx) DO UPDATE SET chunk = excluded.chunk`
      const complete = stored === status.count
      await tx`UPDATE blobs SET stored = ${stored}, stored_bytes = ${total},
        completed_at = ${complete ? c.now : null} WHERE blob_id = ${c.blobId}`
      return { size: status.size, count: status.count, stored, complete }
    })
  }

  async blobStatus(blobId: string): Promise<(BlobStatus & { deviceId: string }) | null> {
    const [row] = await this.sql`SELECT * FROM blobs WHERE blob_id = ${blobId}`
    return row ? toStatus(row) : null
  }

  async getBlobChunk(blobId: string, index: number): Promise<Uint8Array | null> {
    const [row] = await this
      .sql`SELECT c.chunk FROM blob_chunks c JOIN blobs b ON b.blob_id = c.blob_id
      WHERE c.blob_id = ${blobId} AND c.idx = ${index} AND b.completed_at IS NOT NULL`
    return row ? bytes(row.chunk) : null
  }

  deleteIncompleteBlobs(startedBefore: number): Promise<number> {
    return transaction(this.sql, async (tx) => {
      await tx`DELETE FROM blob_chunks WHERE blob_id IN
        (SELECT blob_id FROM blobs WHERE completed_at IS NULL AND started_at < ${startedBefore})`
      const gone =
        await tx`DELETE FROM blobs WHERE completed_at IS NULL AND started_at < ${startedBefore}`
      return gone.count
    })
  }
}
