/**
 * SQLite implementation of RelayStorage on node:sqlite (DESIGN §5): one file under the data
 * directory, WAL with synchronous=FULL so a write is durable before the relay acknowledges it.
 * node:sqlite is synchronous, so each method body runs without interleaving; transactions still
 * make multi-row writes atomic across crashes. Data appends are group-committed (see
 * appendEnvelope): one fsync for all appends that arrived meanwhile. Stores blobs and routing
 * fields only.
 */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { clearImmediate, setImmediate } from 'node:timers'
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
import { MIGRATIONS, SCHEMA, SCHEMA_VERSION } from './sqlite-schema.ts'
import { bytes, num, type Row, sameBytes } from './sqlite-base.ts'
import { SqliteDirectory } from './sqlite-directory.ts'
import { SqliteAuditLog } from './sqlite-audit.ts'
import type { AuditHeadRow, AuditRecord, NewAuditEvent } from './audit.ts'
import { SqliteScim } from './sqlite-scim.ts'
import { SqliteLegalHold } from './sqlite-legal-hold.ts'
import { SqliteBlobs } from './sqlite-blobs.ts'

export const SQLITE_FILE = 'wardline.sqlite'

export async function openSqliteStorage(dataDir: string): Promise<RelayStorage> {
  await Deno.mkdir(dataDir, { recursive: true })
  const db = new DatabaseSync(join(dataDir, SQLITE_FILE))
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = FULL')
  db.exec('PRAGMA foreign_keys = ON')
  db.exec('PRAGMA busy_timeout = 5000')
  const version = num((db.prepare('PRAGMA user_version').get() as Row).user_version)
  const hasTables = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'conversations'").get()
  if (hasTables && version !== SCHEMA_VERSION && MIGRATIONS[version] !== undefined) {
    migrate(db, version)
  } else if (hasTables && version !== SCHEMA_VERSION) {
    db.close()
    throw new RangeError(
      `expected relay schema ${SCHEMA_VERSION} in ${SQLITE_FILE}, got ${version}: ` +
        'conversations made before membership epochs cannot be migrated; use a fresh WARDLINE_DATA',
    )
  }
  db.exec(SCHEMA)
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
  return new SqliteStorage(db)
}

/** Runs the steps from `from` up to SCHEMA_VERSION in one transaction: existing data stays. */
function migrate(db: DatabaseSync, from: number): void {
  db.exec('BEGIN IMMEDIATE')
  try {
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!)
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
    db.exec('COMMIT')
  } catch (e) {
    db.exec('ROLLBACK')
    db.close()
    throw e
  }
}

function toConversation(r: Row): ConversationRow {
  return {
    conversationId: r.conversation_id as string,
    genesis: bytes(r.genesis),
    headSeq: num(r.head_seq),
    epoch: num(r.epoch),
    headHash: bytes(r.head_hash),
    rotationPending: num(r.rotation_pending) === 1,
    prunedSeq: num(r.pruned_seq),
  }
}

const CONVERSATION_COLUMNS =
  'c.conversation_id, c.genesis, c.head_seq, c.epoch, c.head_hash, c.rotation_pending, c.pruned_seq'

/** Adds conversations, the envelope log, commits, revocations and receipts to the directory. */
class SqliteStorage extends SqliteDirectory implements RelayStorage {
  /** SCIM directory sync on the same connection (sqlite-scim.ts, issue 7). */
  readonly scim = new SqliteScim(this.db)
  /** Legal holds (sqlite-legal-hold.ts, issue 8): held conversations are never pruned. */
  readonly legalHold = new SqliteLegalHold(this.db)
  /** Attachment blobs on the same connection (sqlite-blobs.ts, decision 0018). */
  readonly blobs = new SqliteBlobs(this.db)

  private insertBoxes(conversationId: string, boxes: KeyBoxRow[]): void {
    for (const b of boxes) {
      this.run(
        'INSERT INTO key_boxes (conversation_id, recipient_device_id, epoch, box) VALUES (?, ?, ?, ?)',
        conversationId,
        b.recipientDeviceId,
        b.epoch,
        b.box,
      )
    }
  }

  private setMembers(conversationId: string, deviceIds: Iterable<string>): void {
    this.run('DELETE FROM members WHERE conversation_id = ?', conversationId)
    for (const id of new Set(deviceIds)) {
      this.run('INSERT INTO members (conversation_id, device_id) VALUES (?, ?)', conversationId, id)
    }
  }

  private anyRevoked(deviceIds: Iterable<string>): boolean {
    for (const id of deviceIds) {
      if (this.get('SELECT 1 FROM revocations WHERE device_id = ?', id)) return true
    }
    return false
  }

  private currentMembers(conversationId: string): string[] {
    return this.all(
      'SELECT device_id FROM members WHERE conversation_id = ? ORDER BY device_id',
      conversationId,
    ).map((r) => r.device_id as string)
  }

  createConversation(
    c: NewConversation,
  ): Promise<'created' | 'identical' | 'relay/conversation-exists' | 'relay/revoked-device'> {
    return Promise.resolve(this.tx(() => {
      const existing = this.get(
        'SELECT genesis FROM conversations WHERE conversation_id = ?',
        c.conversationId,
      )
      if (existing) {
        return sameBytes(bytes(existing.genesis), c.genesis)
          ? 'identical' as const
          : 'relay/conversation-exists' as const
      }
      // Re-checked here, so a revocation racing the handler's checks cannot slip in.
      if (this.anyRevoked(c.deviceIds)) return 'relay/revoked-device' as const
      this.run(
        `INSERT INTO conversations (conversation_id, genesis, head_seq, epoch, head_hash, created_at)
         VALUES (?, ?, 0, 0, ?, ?)`,
        c.conversationId,
        c.genesis,
        c.headHash,
        Date.now(),
      )
      this.setMembers(c.conversationId, c.deviceIds)
      this.insertBoxes(c.conversationId, c.boxes)
      return 'created' as const
    }))
  }

  getConversation(conversationId: string): Promise<ConversationRow | null> {
    const r = this.get(
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.conversation_id = ?`,
      conversationId,
    )
    return Promise.resolve(r ? toConversation(r) : null)
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
    return Promise.resolve(this.currentMembers(conversationId))
  }

  /**
   * The boxes addressed to a device, plus the genesis box for the compliance key: clients check
   * that every epoch key was also sealed to it (they cannot open it).
   */
  private boxesOf(conversationId: string, deviceId: string): Uint8Array[] {
    return this.all(
      `SELECT box FROM key_boxes WHERE conversation_id = ?
       AND (recipient_device_id = ? OR (recipient_device_id LIKE 'compliance:%' AND epoch = 0)) ORDER BY id`,
      conversationId,
      deviceId,
    ).map((b) => bytes(b.box))
  }

  boxesFor(conversationId: string, deviceId: string): Promise<Uint8Array[]> {
    return Promise.resolve(this.boxesOf(conversationId, deviceId))
  }

  conversationsOf(deviceId: string): Promise<(ConversationRow & { boxes: Uint8Array[] })[]> {
    const rows = this.all(
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations c
       JOIN members m ON m.conversation_id = c.conversation_id
       WHERE m.device_id = ? ORDER BY c.created_at, c.conversation_id`,
      deviceId,
    )
    return Promise.resolve(rows.map((r) => ({
      ...toConversation(r),
      boxes: this.boxesOf(r.conversation_id as string, deviceId),
    })))
  }

  /** Bumps the per-conversation counter row in the caller's transaction: no gaps, no repeats. */
  private nextSeq(conversationId: string): number {
    const bumped = this.get(
      'UPDATE conversations SET head_seq = head_seq + 1 WHERE conversation_id = ? RETURNING head_seq',
      conversationId,
    )
    if (!bumped) throw new RangeError(`expected a stored conversation, got an unknown one`)
    return num(bumped.head_seq)
  }

  /** Appends waiting for the next group commit, in arrival order. */
  private queue: { e: NewEnvelope; resolve: (r: AppendResult) => void; reject: (e: unknown) => void }[] = []
  private flushTimer: ReturnType<typeof setImmediate> | null = null

  /**
   * Group commit: appends that arrive while earlier ones wait for their commit share the next
   * one (one BEGIN IMMEDIATE … COMMIT, one WAL fsync). Each append runs under its own SAVEPOINT
   * with exactly the checks a lone append has, so a refusal or an error is that append's alone;
   * every promise settles only after the COMMIT returned, so nothing is acknowledged before it
   * is durable.
   */
  appendEnvelope(e: NewEnvelope): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ e, resolve, reject })
      // After the event loop's I/O phase, not in a microtask: frames that arrived on sockets
      // while the previous batch was committing are read first and join this batch. (A
      // setTimeout(0) would cost ~2 ms per batch; setImmediate costs microseconds.)
      this.flushTimer ??= setImmediate(() => this.flushAppends())
    })
  }

  protected override beforeTx(): void {
    this.flushAppends()
  }

  /** Commits every queued append now, in one transaction. Also run before any other write. */
  private flushAppends(): void {
    if (this.flushTimer !== null) clearImmediate(this.flushTimer)
    this.flushTimer = null
    const batch = this.queue
    if (batch.length === 0) return
    this.queue = []
    const outcomes: ({ ok: AppendResult } | { error: unknown })[] = []
    try {
      this.tx(() => {
        for (const { e } of batch) {
          this.db.exec('SAVEPOINT append')
          try {
            outcomes.push({ ok: this.appendOne(e) })
            this.db.exec('RELEASE append')
          } catch (error) {
            this.db.exec('ROLLBACK TO append')
            this.db.exec('RELEASE append')
            outcomes.push({ error })
          }
        }
      })
    } catch (error) {
      // BEGIN or COMMIT failed: nothing in this batch is durable, so none of it is acknowledged.
      for (const { reject } of batch) reject(error)
      return
    }
    batch.forEach(({ resolve, reject }, i) => {
      const o = outcomes[i]!
      if ('ok' in o) resolve(o.ok)
      else reject(o.error)
    })
  }

  /** One append inside the caller's transaction: idempotency, refusals, then the next seq. */
  private appendOne(e: NewEnvelope): AppendResult {
    const dup = this.get(
      `SELECT seq FROM envelopes WHERE conversation_id = ? AND sender_device_id = ? AND epoch = ? AND counter = ?`,
      e.conversationId,
      e.senderDeviceId,
      e.epoch,
      e.counter,
    )
    if (dup) return { seq: num(dup.seq), duplicate: true }
    // Decided after the idempotency lookup, in the same transaction as the append, so a
    // commit that lands between the handler's checks and here cannot be overtaken.
    const conv = this.get(
      'SELECT epoch FROM conversations WHERE conversation_id = ?',
      e.conversationId,
    )
    if (!conv) throw new RangeError(`expected a stored conversation, got an unknown one`)
    if (
      !this.get(
        'SELECT 1 FROM members WHERE conversation_id = ? AND device_id = ?',
        e.conversationId,
        e.senderDeviceId,
      )
    ) return { refused: 'relay/not-member' }
    if (num(conv.epoch) !== e.epoch) return { refused: 'relay/stale-epoch' }
    const seq = this.nextSeq(e.conversationId)
    this.run(
      `INSERT INTO envelopes (conversation_id, seq, sender_device_id, epoch, kind, counter, envelope, stored_at)
       VALUES (?, ?, ?, ?, 'data', ?, ?, ?)`,
      e.conversationId,
      seq,
      e.senderDeviceId,
      e.epoch,
      e.counter,
      e.envelope,
      Date.now(),
    )
    return { seq, duplicate: false }
  }

  appendCommit(c: NewCommit): Promise<CommitResult> {
    return Promise.resolve(this.tx((): CommitResult => {
      const previousDeviceIds = this.currentMembers(c.conversationId)
      const dup = this.get(
        `SELECT seq FROM envelopes WHERE conversation_id = ? AND kind = 'commit' AND commit_hash = ?`,
        c.conversationId,
        c.hash,
      )
      if (dup) return { seq: num(dup.seq), duplicate: true, previousDeviceIds }
      const conv = this.get(
        'SELECT epoch, head_hash FROM conversations WHERE conversation_id = ?',
        c.conversationId,
      )
      if (!conv || !previousDeviceIds.includes(c.authorDeviceId)) {
        return { refused: 'relay/not-member' }
      }
      if (num(conv.epoch) + 1 !== c.epoch || !sameBytes(bytes(conv.head_hash), c.prevHash)) {
        return { refused: 'relay/stale-commit' }
      }
      if (this.anyRevoked(c.deviceIds)) return { refused: 'relay/revoked-device' }
      const seq = this.nextSeq(c.conversationId)
      this.run(
        `INSERT INTO envelopes (conversation_id, seq, sender_device_id, epoch, kind, commit_hash, envelope, stored_at)
         VALUES (?, ?, ?, ?, 'commit', ?, ?, ?)`,
        c.conversationId,
        seq,
        c.authorDeviceId,
        c.epoch,
        c.hash,
        c.entry,
        Date.now(),
      )
      this.run(
        'UPDATE conversations SET epoch = ?, head_hash = ?, rotation_pending = 0 WHERE conversation_id = ?',
        c.epoch,
        c.hash,
        c.conversationId,
      )
      this.setMembers(c.conversationId, c.deviceIds)
      this.insertBoxes(c.conversationId, c.boxes)
      return { seq, duplicate: false, previousDeviceIds }
    }))
  }

  revokeDevice(r: RevocationRow): Promise<RevokeResult> {
    return Promise.resolve(this.tx((): RevokeResult => {
      const stored = this.run(
        `INSERT INTO revocations (device_id, certificate, revoked_at) VALUES (?, ?, ?)
         ON CONFLICT (device_id) DO NOTHING`,
        r.deviceId,
        r.certificate,
        r.revokedAt,
      ).changes === 1
      const rows = this.all(
        `UPDATE conversations SET rotation_pending = 1 WHERE conversation_id IN
           (SELECT conversation_id FROM members WHERE device_id = ?)
         RETURNING conversation_id, epoch`,
        r.deviceId,
      )
      const pending = rows
        .map((row) => ({
          conversationId: row.conversation_id as string,
          epoch: num(row.epoch),
          deviceIds: this.currentMembers(row.conversation_id as string),
        }))
        .sort((a, b) => a.conversationId < b.conversationId ? -1 : 1)
      return { stored, pending }
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

  putSnapshot(p: SnapshotRow): Promise<'ok' | 'relay/stale-snapshot'> {
    return Promise.resolve(this.tx(() => {
      const c = this.get('SELECT head_seq, pruned_seq FROM conversations WHERE conversation_id = ?', p.conversationId)
      if (!c || p.seq > num(c.head_seq) || p.seq <= num(c.pruned_seq)) return 'relay/stale-snapshot' as const
      if (this.get('SELECT 1 FROM snapshots WHERE conversation_id = ? AND seq = ? AND device_id = ?', p.conversationId, p.seq, p.deviceId)) {
        return 'ok' as const
      }
      p.parts.forEach((part, index) =>
        this.run(
          `INSERT INTO snapshots (conversation_id, seq, device_id, part_index, part_count, part, stored_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
          p.conversationId,
          p.seq,
          p.deviceId,
          index,
          p.parts.length,
          part,
          p.storedAt,
        )
      )
      return 'ok' as const
    }))
  }

  prunedSnapshot(conversationId: string): Promise<{ seq: number; parts: Uint8Array[] } | null> {
    const c = this.get(
      'SELECT pruned_seq, pruned_device_id FROM conversations WHERE conversation_id = ?',
      conversationId,
    )
    if (!c || num(c.pruned_seq) === 0) return Promise.resolve(null)
    const rows = this.all(
      'SELECT part FROM snapshots WHERE conversation_id = ? AND seq = ? AND device_id = ? ORDER BY part_index',
      conversationId,
      num(c.pruned_seq),
      c.pruned_device_id as string,
    )
    return Promise.resolve({ seq: num(c.pruned_seq), parts: rows.map((r) => bytes(r.part)) })
  }

  pruneCovered(storedBefore: number): Promise<number> {
    return Promise.resolve(this.tx(() => {
      // Snapshots past the grace period, newest first per conversation (all parts are stored at once).
      const ready = this.all(
        `SELECT s.conversation_id, s.seq, s.device_id FROM snapshots s
         JOIN conversations c ON c.conversation_id = s.conversation_id
         WHERE s.seq > c.pruned_seq
           AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.conversation_id = s.conversation_id)
         GROUP BY s.conversation_id, s.seq, s.device_id
         HAVING MAX(s.stored_at) <= ?
         ORDER BY s.conversation_id, s.seq DESC, MAX(s.stored_at)`,
        storedBefore,
      )
      let deleted = 0
      const done = new Set<string>()
      for (const r of ready) {
        const id = r.conversation_id as string
        if (done.has(id)) continue
        done.add(id)
        const seq = num(r.seq)
        deleted += this.run(
          "DELETE FROM envelopes WHERE conversation_id = ? AND seq <= ? AND kind = 'data'",
          id,
          seq,
        ).changes
        this.run(
          'DELETE FROM snapshots WHERE conversation_id = ? AND (seq < ? OR (seq = ? AND device_id <> ?))',
          id,
          seq,
          seq,
          r.device_id as string,
        )
        this.run(
          'UPDATE conversations SET pruned_seq = ?, pruned_device_id = ? WHERE conversation_id = ?',
          seq,
          r.device_id as string,
          id,
        )
      }
      return deleted
    }))
  }

  close(): Promise<void> {
    if (this.db.isOpen) this.flushAppends()
    if (this.db.isOpen) this.db.close()
    return Promise.resolve()
  }

  putKeyBackup(userId: string, blob: Uint8Array, version: number): Promise<'ok' | 'relay/stale-backup'> {
    const r = this.run(
      `INSERT INTO key_backups (user_id, version, blob, stored_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, blob = excluded.blob,
         stored_at = excluded.stored_at
       WHERE excluded.version > key_backups.version`,
      userId,
      version,
      blob,
      Date.now(),
    )
    return Promise.resolve(r.changes === 1 ? 'ok' : 'relay/stale-backup')
  }

  getKeyBackup(userId: string): Promise<Uint8Array | null> {
    const r = this.get('SELECT blob FROM key_backups WHERE user_id = ?', userId)
    return Promise.resolve(r ? bytes(r.blob) : null)
  }

  leaseKey(candidate: Uint8Array): Promise<Uint8Array> {
    this.run(
      "INSERT INTO relay_keys (name, secret, created_at) VALUES ('lease', ?, ?) ON CONFLICT (name) DO NOTHING",
      candidate,
      Date.now(),
    )
    return Promise.resolve(bytes(this.get("SELECT secret FROM relay_keys WHERE name = 'lease'")!.secret))
  }

  /** The audit log (issue 8): its own statements over this connection (sqlite-audit.ts). */
  private readonly auditLog = new SqliteAuditLog(this.db)

  appendAudit(e: NewAuditEvent): Promise<AuditRecord> {
    return Promise.resolve(this.auditLog.append(e))
  }

  auditHead(): Promise<AuditHeadRow | null> {
    return Promise.resolve(this.auditLog.head())
  }

  auditRecords(since: number, limit: number): Promise<AuditRecord[]> {
    return Promise.resolve(this.auditLog.since(since, limit))
  }
}
