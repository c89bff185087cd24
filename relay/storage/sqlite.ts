/**
 * SQLite implementation of RelayStorage on node:sqlite (DESIGN §5): one file under the data
 * directory, WAL with synchronous=FULL so a write is durable before the relay acknowledges it.
 * node:sqlite is synchronous, so each method body runs without interleaving; transactions still
 * make multi-row writes atomic across crashes. Stores blobs and routing fields only.
 */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import type {
  ConversationRow,
  NewConversation,
  NewEnvelope,
  RelayStorage,
  StoredEnvelope,
  StoredReceipt,
} from './storage.ts'
import { SCHEMA } from './sqlite-schema.ts'
import { bytes, num, sameBytes } from './sqlite-base.ts'
import { SqliteDirectory } from './sqlite-directory.ts'

export const SQLITE_FILE = 'wardline.sqlite'

export async function openSqliteStorage(dataDir: string): Promise<RelayStorage> {
  await Deno.mkdir(dataDir, { recursive: true })
  const db = new DatabaseSync(join(dataDir, SQLITE_FILE))
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = FULL')
  db.exec('PRAGMA foreign_keys = ON')
  db.exec('PRAGMA busy_timeout = 5000')
  db.exec(SCHEMA)
  // Data directories made before compliance keys (issue 3): SQLite has no ADD COLUMN IF NOT EXISTS.
  const orgColumns = db.prepare('PRAGMA table_info(org)').all() as { name: string }[]
  if (!orgColumns.some((c) => c.name === 'compliance_certificate')) {
    db.exec('ALTER TABLE org ADD COLUMN compliance_certificate BLOB')
  }
  return new SqliteStorage(db)
}

/** Adds conversations, the envelope log and receipts to the directory tables. */
class SqliteStorage extends SqliteDirectory implements RelayStorage {
  createConversation(c: NewConversation): Promise<'created' | 'identical' | 'exists'> {
    return Promise.resolve(this.tx(() => {
      const existing = this.get(
        'SELECT manifest FROM conversations WHERE conversation_id = ?',
        c.conversationId,
      )
      if (existing) {
        return sameBytes(bytes(existing.manifest), c.manifest)
          ? 'identical' as const
          : 'exists' as const
      }
      this.run(
        'INSERT INTO conversations (conversation_id, manifest, head_seq, created_at) VALUES (?, ?, 0, ?)',
        c.conversationId,
        c.manifest,
        Date.now(),
      )
      for (const id of new Set(c.deviceIds)) {
        this.run(
          'INSERT INTO members (conversation_id, device_id) VALUES (?, ?)',
          c.conversationId,
          id,
        )
      }
      for (const b of c.boxes) {
        this.run(
          'INSERT INTO key_boxes (conversation_id, recipient_device_id, box) VALUES (?, ?, ?)',
          c.conversationId,
          b.recipientDeviceId,
          b.box,
        )
      }
      return 'created' as const
    }))
  }

  getConversation(conversationId: string): Promise<ConversationRow | null> {
    const r = this.get(
      'SELECT manifest, head_seq FROM conversations WHERE conversation_id = ?',
      conversationId,
    )
    return Promise.resolve(
      r ? { conversationId, manifest: bytes(r.manifest), headSeq: num(r.head_seq) } : null,
    )
  }

  isMember(conversationId: string, deviceId: string): Promise<boolean> {
    const r = this.get(
      'SELECT 1 FROM members WHERE conversation_id = ? AND device_id = ?',
      conversationId,
      deviceId,
    )
    return Promise.resolve(r !== undefined)
  }

  memberDeviceIds(conversationId: string): Promise<string[]> {
    const rows = this.all(
      'SELECT device_id FROM members WHERE conversation_id = ? ORDER BY device_id',
      conversationId,
    )
    return Promise.resolve(rows.map((r) => r.device_id as string))
  }

  conversationsOf(deviceId: string): Promise<(ConversationRow & { boxes: Uint8Array[] })[]> {
    const rows = this.all(
      `SELECT c.conversation_id, c.manifest, c.head_seq FROM conversations c
       JOIN members m ON m.conversation_id = c.conversation_id
       WHERE m.device_id = ? ORDER BY c.created_at, c.conversation_id`,
      deviceId,
    )
    return Promise.resolve(rows.map((r) => ({
      conversationId: r.conversation_id as string,
      manifest: bytes(r.manifest),
      headSeq: num(r.head_seq),
      boxes: this.all(
        'SELECT box FROM key_boxes WHERE conversation_id = ? AND recipient_device_id = ? ORDER BY id',
        r.conversation_id,
        deviceId,
      ).map((b) => bytes(b.box)),
    })))
  }

  appendEnvelope(e: NewEnvelope): Promise<{ seq: number; duplicate: boolean }> {
    return Promise.resolve(this.tx(() => {
      const dup = this.get(
        `SELECT seq FROM envelopes WHERE conversation_id = ? AND sender_device_id = ? AND epoch = ? AND counter = ?`,
        e.conversationId,
        e.senderDeviceId,
        e.epoch,
        e.counter,
      )
      if (dup) return { seq: num(dup.seq), duplicate: true }
      // The counter row is bumped in the insert's transaction, so sequences never gap or repeat.
      const bumped = this.get(
        'UPDATE conversations SET head_seq = head_seq + 1 WHERE conversation_id = ? RETURNING head_seq',
        e.conversationId,
      )
      if (!bumped) throw new RangeError(`expected a stored conversation, got an unknown one`)
      const seq = num(bumped.head_seq)
      this.run(
        `INSERT INTO envelopes (conversation_id, seq, sender_device_id, epoch, counter, envelope, stored_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        e.conversationId,
        seq,
        e.senderDeviceId,
        e.epoch,
        e.counter,
        e.envelope,
        Date.now(),
      )
      return { seq, duplicate: false }
    }))
  }

  envelopesSince(conversationId: string, since: number, limit: number): Promise<StoredEnvelope[]> {
    const rows = this.all(
      'SELECT seq, envelope FROM envelopes WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      conversationId,
      since,
      limit,
    )
    return Promise.resolve(rows.map((r) => ({ seq: num(r.seq), envelope: bytes(r.envelope) })))
  }

  putReceipt(
    conversationId: string,
    deviceId: string,
    receipt: Uint8Array,
    rank: number,
  ): Promise<boolean> {
    const r = this.run(
      `INSERT INTO receipts (conversation_id, device_id, receipt, progress) VALUES (?, ?, ?, ?)
       ON CONFLICT (conversation_id, device_id) DO UPDATE SET receipt = excluded.receipt, progress = excluded.progress
       WHERE excluded.progress > receipts.progress`,
      conversationId,
      deviceId,
      receipt,
      rank,
    )
    return Promise.resolve(r.changes > 0)
  }

  receiptsOf(conversationId: string): Promise<StoredReceipt[]> {
    const rows = this.all(
      'SELECT device_id, receipt FROM receipts WHERE conversation_id = ? ORDER BY device_id',
      conversationId,
    )
    return Promise.resolve(
      rows.map((r) => ({ deviceId: r.device_id as string, receipt: bytes(r.receipt) })),
    )
  }

  close(): Promise<void> {
    if (this.db.isOpen) this.db.close()
    return Promise.resolve()
  }
}
