/**
 * Postgres implementation of RelayStorage (issue 4, DESIGN §5): what lets several relay processes
 * share one store. Every append locks its conversation's row first, so appends from any number of
 * relays take turns: the seq is the `head_seq` counter bumped in the same transaction as the
 * insert, hence gap-free and never reused, and the idempotency lookup after the lock sees every
 * committed retry. Revocation, creation and commits lock the device rows they depend on, so a
 * revocation cannot slip between a check and a write. Stores blobs and routing fields only.
 */
import type {
  AppendResult,
  CommitResult,
  ConversationRow,
  KeyBoxRow,
  NewCommit,
  NewConversation,
  NewEnvelope,
  RelayStorage,
  RevocationRow,
  RevokeResult,
  SnapshotRow,
  StoredEnvelope,
  StoredReceipt,
} from './storage.ts'
import {
  bytes,
  connectPostgres,
  isUniqueViolation,
  num,
  type PostgresOptions,
  type Row,
  sameBytes,
  transaction,
  type Tx,
} from './postgres-base.ts'
import { PostgresDirectory } from './postgres-directory.ts'
import { PostgresScim } from './postgres-scim.ts'
import { PostgresLegalHold } from './postgres-legal-hold.ts'
import { PostgresBlobs } from './postgres-blobs.ts'
import { migratePostgres } from './postgres-schema.ts'
import { appendAuditPostgres, auditHeadPostgres, auditRecordsPostgres } from './postgres-audit.ts'
import type { AuditHeadRow, AuditRecord, NewAuditEvent } from './audit.ts'
import { pruneCovered, prunedSnapshot, putSnapshot } from './postgres-snapshots.ts'

export type { PostgresOptions } from './postgres-base.ts'

/** Connects, migrates the schema and returns the storage; its `sql` also serves the bus. */
export async function openPostgresStorage(
  url: string,
  options: PostgresOptions = {},
): Promise<PostgresStorage> {
  const sql = await connectPostgres(url, options)
  try {
    await migratePostgres(sql)
  } catch (e) {
    await sql.end({ timeout: 1 })
    throw e
  }
  return new PostgresStorage(sql)
}

function toConversation(r: Row): ConversationRow {
  return {
    conversationId: r.conversation_id as string,
    genesis: bytes(r.genesis),
    headSeq: num(r.head_seq),
    epoch: num(r.epoch),
    headHash: bytes(r.head_hash),
    rotationPending: r.rotation_pending === true,
    prunedSeq: num(r.pruned_seq),
  }
}

/** Key boxes a device sees: its own, plus the genesis box for the compliance key (sqlite.ts). */
const boxFilter = (tx: Tx | PostgresStorage['sql'], deviceId: string) =>
  tx`(recipient_device_id = ${deviceId} OR (recipient_device_id LIKE 'compliance:%' AND epoch = 0))`

export class PostgresStorage extends PostgresDirectory implements RelayStorage {
  /** SCIM directory sync on the same pool (postgres-scim.ts, issue 7). */
  readonly scim = new PostgresScim(this.sql)
  /** Legal holds (postgres-legal-hold.ts, issue 8): held conversations are never pruned. */
  readonly legalHold = new PostgresLegalHold(this.sql)
  /** Attachment blobs on the same pool (postgres-blobs.ts, decision 0018). */
  readonly blobs = new PostgresBlobs(this.sql)

  private async insertBoxes(tx: Tx, conversationId: string, boxes: KeyBoxRow[]): Promise<void> {
    // One row at a time keeps the id order equal to the list order (boxes are read in id order).
    for (const b of boxes) {
      await tx`INSERT INTO key_boxes (conversation_id, recipient_device_id, epoch, box)
        VALUES (${conversationId}, ${b.recipientDeviceId}, ${b.epoch}, ${b.box})`
    }
  }

  private async setMembers(tx: Tx, conversationId: string, deviceIds: string[]): Promise<void> {
    await tx`DELETE FROM members WHERE conversation_id = ${conversationId}`
    const rows = [...new Set(deviceIds)].map((id) => ({
      conversation_id: conversationId,
      device_id: id,
    }))
    if (rows.length > 0) await tx`INSERT INTO members ${tx(rows)}`
  }

  /** Share-locks the devices' rows (a revocation takes them exclusively), then checks them. */
  private async anyRevoked(tx: Tx, deviceIds: string[]): Promise<boolean> {
    const ids = [...new Set(deviceIds)].sort()
    if (ids.length === 0) return false
    await tx`SELECT 1 FROM devices WHERE device_id = ANY(${
      tx.array(ids)
    }) ORDER BY device_id FOR SHARE`
    const [r] = await tx`SELECT 1 FROM revocations WHERE device_id = ANY(${tx.array(ids)}) LIMIT 1`
    return r !== undefined
  }

  private async currentMembers(tx: Tx | PostgresStorage['sql'], id: string): Promise<string[]> {
    const rows = await tx`SELECT device_id FROM members WHERE conversation_id = ${id}
      ORDER BY device_id`
    return rows.map((r) => r.device_id as string)
  }

  async createConversation(
    c: NewConversation,
  ): Promise<'created' | 'identical' | 'relay/conversation-exists' | 'relay/revoked-device'> {
    const once = () =>
      transaction(this.sql, async (tx) => {
        const [existing] = await tx`SELECT genesis FROM conversations
          WHERE conversation_id = ${c.conversationId}`
        if (existing) {
          return sameBytes(bytes(existing.genesis), c.genesis)
            ? 'identical' as const
            : 'relay/conversation-exists' as const
        }
        if (await this.anyRevoked(tx, c.deviceIds)) return 'relay/revoked-device' as const
        await tx`INSERT INTO conversations (conversation_id, genesis, head_seq, epoch, head_hash, created_at)
          VALUES (${c.conversationId}, ${c.genesis}, 0, 0, ${c.headHash}, ${Date.now()})`
        await this.setMembers(tx, c.conversationId, c.deviceIds)
        await this.insertBoxes(tx, c.conversationId, c.boxes)
        return 'created' as const
      })
    try {
      return await once()
    } catch (e) {
      // Two relays created the same id at once: the loser's second look sees the winner's row.
      if (isUniqueViolation(e)) return await once()
      throw e
    }
  }

  async getConversation(conversationId: string): Promise<ConversationRow | null> {
    const [r] = await this
      .sql`SELECT * FROM conversations WHERE conversation_id = ${conversationId}`
    return r ? toConversation(r) : null
  }

  async isMember(conversationId: string, deviceId: string): Promise<boolean> {
    const [r] = await this.sql`SELECT 1 FROM members
      WHERE conversation_id = ${conversationId} AND device_id = ${deviceId}`
    return r !== undefined
  }

  memberDeviceIds(conversationId: string): Promise<string[]> {
    return this.currentMembers(this.sql, conversationId)
  }

  async boxesFor(conversationId: string, deviceId: string): Promise<Uint8Array[]> {
    const rows = await this.sql`SELECT box FROM key_boxes WHERE conversation_id = ${conversationId}
      AND ${boxFilter(this.sql, deviceId)} ORDER BY id`
    return rows.map((r) => bytes(r.box))
  }

  async conversationsOf(deviceId: string): Promise<(ConversationRow & { boxes: Uint8Array[] })[]> {
    const rows = await this.sql`SELECT c.* FROM conversations c
      JOIN members m ON m.conversation_id = c.conversation_id
      WHERE m.device_id = ${deviceId} ORDER BY c.created_at, c.conversation_id`
    if (rows.length === 0) return []
    const ids = rows.map((r) => r.conversation_id as string)
    const boxes = await this.sql`SELECT conversation_id, box FROM key_boxes
      WHERE conversation_id = ANY(${this.sql.array(ids)}) AND ${boxFilter(this.sql, deviceId)}
      ORDER BY id`
    const byConversation = new Map<string, Uint8Array[]>(ids.map((id) => [id, []]))
    for (const b of boxes) byConversation.get(b.conversation_id as string)?.push(bytes(b.box))
    return rows.map((r) => ({
      ...toConversation(r),
      boxes: byConversation.get(r.conversation_id as string) ?? [],
    }))
  }

  /**
   * Locks the conversation's row (the seq counter) for the rest of the transaction: appends to
   * one conversation from every relay queue here, and each statement after it sees what the
   * previous holder committed.
   */
  private async lockConversation(tx: Tx, id: string): Promise<Row | undefined> {
    const [r] = await tx`SELECT epoch, head_hash FROM conversations
      WHERE conversation_id = ${id} FOR UPDATE`
    return r
  }

  /** Bumps the counter row and inserts the entry in one statement of the caller's transaction. */
  private async insertEntry(
    tx: Tx,
    row: { conversationId: string; sender: string; epoch: number; kind: 'data' | 'commit' },
    extra: { counter: number | null; commitHash: Uint8Array | null; entry: Uint8Array },
  ): Promise<number> {
    const [r] = await tx`WITH bumped AS (
        UPDATE conversations SET head_seq = head_seq + 1
        WHERE conversation_id = ${row.conversationId} RETURNING head_seq)
      INSERT INTO envelopes (conversation_id, seq, sender_device_id, epoch, kind, counter,
        commit_hash, envelope, stored_at)
      SELECT ${row.conversationId}, head_seq, ${row.sender}, ${row.epoch}, ${row.kind},
        ${extra.counter}, ${extra.commitHash}, ${extra.entry}, ${Date.now()} FROM bumped
      RETURNING seq`
    if (!r) throw new RangeError('expected a stored conversation, got an unknown one')
    return num(r.seq)
  }

  /**
   * One statement (wardline_append_envelope in postgres-schema.ts), so one round trip and its own
   * transaction: the row lock on the conversation is held only while the append runs.
   */
  async appendEnvelope(e: NewEnvelope): Promise<AppendResult> {
    let r: Row | undefined
    try {
      ;[r] = await this.sql`SELECT * FROM wardline_append_envelope(${e.conversationId},
        ${e.senderDeviceId}, ${e.epoch}, ${e.counter}, ${e.envelope}, ${Date.now()})`
    } catch (err) {
      if ((err as { code?: string }).code === 'P0002') {
        throw new RangeError('expected a stored conversation, got an unknown one')
      }
      throw err
    }
    if (r?.out_refused === 'relay/not-member' || r?.out_refused === 'relay/stale-epoch') {
      return { refused: r.out_refused }
    }
    return { seq: num(r?.out_seq), duplicate: r?.out_duplicate === true }
  }

  appendCommit(c: NewCommit): Promise<CommitResult> {
    return transaction(this.sql, async (tx): Promise<CommitResult> => {
      const conv = await this.lockConversation(tx, c.conversationId)
      const previousDeviceIds = await this.currentMembers(tx, c.conversationId)
      const [dup] = await tx`SELECT seq FROM envelopes WHERE conversation_id = ${c.conversationId}
        AND kind = 'commit' AND commit_hash = ${c.hash}`
      if (dup) return { seq: num(dup.seq), duplicate: true, previousDeviceIds }
      if (!conv || !previousDeviceIds.includes(c.authorDeviceId)) {
        return { refused: 'relay/not-member' }
      }
      if (num(conv.epoch) + 1 !== c.epoch || !sameBytes(bytes(conv.head_hash), c.prevHash)) {
        return { refused: 'relay/stale-commit' }
      }
      if (await this.anyRevoked(tx, c.deviceIds)) return { refused: 'relay/revoked-device' }
      const seq = await this.insertEntry(
        tx,
        {
          conversationId: c.conversationId,
          sender: c.authorDeviceId,
          epoch: c.epoch,
          kind: 'commit',
        },
        { counter: null, commitHash: c.hash, entry: c.entry },
      )
      await tx`UPDATE conversations SET epoch = ${c.epoch}, head_hash = ${c.hash},
        rotation_pending = false WHERE conversation_id = ${c.conversationId}`
      await this.setMembers(tx, c.conversationId, c.deviceIds)
      await this.insertBoxes(tx, c.conversationId, c.boxes)
      return { seq, duplicate: false, previousDeviceIds }
    })
  }

  revokeDevice(r: RevocationRow): Promise<RevokeResult> {
    return transaction(this.sql, async (tx): Promise<RevokeResult> => {
      // Exclusive on the device row: creations and commits naming it wait, then see the revocation.
      await tx`SELECT 1 FROM devices WHERE device_id = ${r.deviceId} FOR UPDATE`
      const inserted = await tx`INSERT INTO revocations (device_id, certificate, revoked_at)
        VALUES (${r.deviceId}, ${r.certificate}, ${r.revokedAt}) ON CONFLICT (device_id) DO NOTHING`
      const locked = await tx`SELECT conversation_id FROM conversations WHERE conversation_id IN
        (SELECT conversation_id FROM members WHERE device_id = ${r.deviceId})
        ORDER BY conversation_id FOR UPDATE`
      const ids = locked.map((row) => row.conversation_id as string)
      const rows = ids.length === 0 ? [] : await tx`UPDATE conversations SET rotation_pending = true
        WHERE conversation_id = ANY(${tx.array(ids)}) RETURNING conversation_id, epoch`
      const pending = []
      for (const row of rows) {
        const conversationId = row.conversation_id as string
        pending.push({
          conversationId,
          epoch: num(row.epoch),
          deviceIds: await this.currentMembers(tx, conversationId),
        })
      }
      pending.sort((a, b) => a.conversationId < b.conversationId ? -1 : 1)
      return { stored: inserted.count === 1, pending }
    })
  }

  async envelopesSince(
    conversationId: string,
    since: number,
    limit: number,
  ): Promise<StoredEnvelope[]> {
    const rows = await this.sql`SELECT seq, envelope FROM envelopes
      WHERE conversation_id = ${conversationId} AND seq > ${since} ORDER BY seq LIMIT ${limit}`
    return rows.map((r) => ({ seq: num(r.seq), envelope: bytes(r.envelope) }))
  }

  async putReceipt(
    conversationId: string,
    deviceId: string,
    receipt: Uint8Array,
    rank: number,
  ): Promise<boolean> {
    const r = await this.sql`INSERT INTO receipts (conversation_id, device_id, receipt, progress)
      VALUES (${conversationId}, ${deviceId}, ${receipt}, ${rank})
      ON CONFLICT (conversation_id, device_id) DO UPDATE
      SET receipt = excluded.receipt, progress = excluded.progress
      WHERE excluded.progress > receipts.progress`
    return r.count > 0
  }

  async receiptsOf(conversationId: string): Promise<StoredReceipt[]> {
    const rows = await this.sql`SELECT device_id, receipt FROM receipts
      WHERE conversation_id = ${conversationId} ORDER BY device_id`
    return rows.map((r) => ({ deviceId: r.device_id as string, receipt: bytes(r.receipt) }))
  }

  putSnapshot(p: SnapshotRow): Promise<'ok' | 'relay/stale-snapshot'> {
    return putSnapshot(this.sql, p)
  }

  prunedSnapshot(conversationId: string): Promise<{ seq: number; parts: Uint8Array[] } | null> {
    return prunedSnapshot(this.sql, conversationId)
  }

  pruneCovered(storedBefore: number): Promise<number> {
    return pruneCovered(this.sql, storedBefore)
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 })
  }

  // The audit log (issue 8): postgres-audit.ts.
  appendAudit(e: NewAuditEvent): Promise<AuditRecord> {
    return appendAuditPostgres(this.sql, e)
  }

  auditHead(): Promise<AuditHeadRow | null> {
    return auditHeadPostgres(this.sql)
  }

  auditRecords(since: number, limit: number): Promise<AuditRecord[]> {
    return auditRecordsPostgres(this.sql, since, limit)
  }
}
