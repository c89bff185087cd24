/**
 * SQLite implementation of RelayStorage on node:sqlite (DESIGN §5): one file under the data
 * directory, WAL with synchronous=FULL so a write is durable before the relay acknowledges it.
 * node:sqlite is synchronous, so each method body runs without interleaving; transactions still
 * make multi-row writes atomic across crashes. Stores blobs and routing fields only.
 */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import type {
  AuthorizationRow,
  ConversationRow,
  DeviceRow,
  NewConversation,
  NewEnvelope,
  OrgState,
  RelayStorage,
  SetupInput,
  StoredEnvelope,
  StoredReceipt,
} from './storage.ts'
import { SCHEMA } from './sqlite-schema.ts'

export const SQLITE_FILE = 'wardline.sqlite'

type Row = Record<string, unknown>
const bytes = (v: unknown): Uint8Array => v as Uint8Array
const num = (v: unknown): number => Number(v)

function toAuthorization(r: Row): AuthorizationRow {
  return {
    id: r.id as string,
    blob: bytes(r.blob),
    userId: r.user_id as string,
    displayName: r.display_name as string,
    role: r.role as string,
    expiresAt: num(r.expires_at),
    usedByDeviceId: (r.used_by_device_id as string | null) ?? null,
  }
}

// Not secret material, so a plain early-exit comparison is fine here.
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}

function isConstraintError(e: unknown): boolean {
  return e instanceof Error && /constraint/i.test(e.message)
}

export async function openSqliteStorage(dataDir: string): Promise<RelayStorage> {
  await Deno.mkdir(dataDir, { recursive: true })
  const db = new DatabaseSync(join(dataDir, SQLITE_FILE))
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = FULL')
  db.exec('PRAGMA foreign_keys = ON')
  db.exec('PRAGMA busy_timeout = 5000')
  db.exec(SCHEMA)
  return new SqliteStorage(db)
}

class SqliteStorage implements RelayStorage {
  constructor(private readonly db: DatabaseSync) {}

  /** Runs fn in one IMMEDIATE transaction; rolls back on any throw. */
  private tx<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE')
    try {
      const out = fn()
      this.db.exec('COMMIT')
      return out
    } catch (e) {
      this.db.exec('ROLLBACK')
      throw e
    }
  }

  private get(sql: string, ...params: unknown[]): Row | undefined {
    return this.db.prepare(sql).get(...(params as never[])) as Row | undefined
  }

  private all(sql: string, ...params: unknown[]): Row[] {
    return this.db.prepare(sql).all(...(params as never[])) as Row[]
  }

  private run(sql: string, ...params: unknown[]): { changes: number } {
    const r = this.db.prepare(sql).run(...(params as never[]))
    return { changes: Number(r.changes) }
  }

  getOrg(): Promise<OrgState> {
    const r = this.get('SELECT root_public_key, setup_code_hash FROM org WHERE id = 1')
    return Promise.resolve({
      rootPublicKey: (r?.root_public_key as Uint8Array | null) ?? null,
      setupCodeHash: (r?.setup_code_hash as Uint8Array | null) ?? null,
    })
  }

  setSetupCodeHash(hash: Uint8Array): Promise<void> {
    this.run(
      `INSERT INTO org (id, setup_code_hash) VALUES (1, ?)
       ON CONFLICT (id) DO UPDATE SET setup_code_hash = excluded.setup_code_hash
       WHERE org.root_public_key IS NULL`,
      hash,
    )
    return Promise.resolve()
  }

  completeSetup(input: SetupInput): Promise<'ok' | 'setup/already-done'> {
    return Promise.resolve(this.tx(() => {
      const org = this.get('SELECT root_public_key FROM org WHERE id = 1')
      if (org?.root_public_key) return 'setup/already-done' as const
      this.run(
        `INSERT INTO org (id, root_public_key, setup_code_hash) VALUES (1, ?, NULL)
         ON CONFLICT (id) DO UPDATE SET root_public_key = excluded.root_public_key, setup_code_hash = NULL`,
        input.rootPublicKey,
      )
      this.insertAuthorization(input.authorization)
      this.insertDevice(input.device)
      return 'ok' as const
    }))
  }

  private insertAuthorization(a: Omit<AuthorizationRow, 'usedByDeviceId'>): void {
    this.run(
      `INSERT INTO authorizations (id, blob, user_id, display_name, role, expires_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      a.id, a.blob, a.userId, a.displayName, a.role, a.expiresAt,
    )
  }

  /** Marks the authorization used only if it is still unused; the UNIQUE columns back this up. */
  private insertDevice(d: DeviceRow): 'ok' | 'enroll/code-used' {
    const marked = this.run(
      'UPDATE authorizations SET used_by_device_id = ? WHERE id = ? AND used_by_device_id IS NULL',
      d.deviceId, d.authorizationId,
    )
    if (marked.changes !== 1) return 'enroll/code-used'
    this.run(
      `INSERT INTO devices (device_id, user_id, authorization_id, binding, registered_at)
       VALUES (?, ?, ?, ?, ?)`,
      d.deviceId, d.userId, d.authorizationId, d.binding, Date.now(),
    )
    return 'ok'
  }

  putAuthorization(a: Omit<AuthorizationRow, 'usedByDeviceId'>): Promise<'ok' | 'relay/authorization-exists'> {
    const existing = this.get('SELECT blob FROM authorizations WHERE id = ?', a.id)
    if (existing) {
      const same = sameBytes(bytes(existing.blob), a.blob)
      return Promise.resolve(same ? 'ok' : 'relay/authorization-exists')
    }
    this.insertAuthorization(a)
    return Promise.resolve('ok')
  }

  getAuthorization(id: string): Promise<AuthorizationRow | null> {
    const r = this.get('SELECT * FROM authorizations WHERE id = ?', id)
    return Promise.resolve(r ? toAuthorization(r) : null)
  }

  registerDevice(d: DeviceRow): Promise<'ok' | 'enroll/code-used' | 'enroll/unknown-code' | 'enroll/device-exists'> {
    try {
      return Promise.resolve(this.tx(() => {
        if (!this.get('SELECT 1 FROM authorizations WHERE id = ?', d.authorizationId)) {
          return 'enroll/unknown-code' as const
        }
        if (this.get('SELECT 1 FROM devices WHERE device_id = ?', d.deviceId)) {
          return 'enroll/device-exists' as const
        }
        return this.insertDevice(d)
      }))
    } catch (e) {
      if (isConstraintError(e)) return Promise.resolve('enroll/code-used')
      throw e
    }
  }

  getDevice(deviceId: string): Promise<DeviceRow | null> {
    const r = this.get('SELECT * FROM devices WHERE device_id = ?', deviceId)
    if (!r) return Promise.resolve(null)
    return Promise.resolve({
      deviceId: r.device_id as string,
      userId: r.user_id as string,
      authorizationId: r.authorization_id as string,
      binding: bytes(r.binding),
    })
  }

  listDirectory(): Promise<{ authorization: Uint8Array; binding: Uint8Array }[]> {
    const rows = this.all(
      `SELECT a.blob AS authorization, d.binding AS binding FROM devices d
       JOIN authorizations a ON a.id = d.authorization_id ORDER BY d.registered_at, d.device_id`,
    )
    return Promise.resolve(rows.map((r) => ({ authorization: bytes(r.authorization), binding: bytes(r.binding) })))
  }

  createConversation(c: NewConversation): Promise<'created' | 'identical' | 'exists'> {
    return Promise.resolve(this.tx(() => {
      const existing = this.get('SELECT manifest FROM conversations WHERE conversation_id = ?', c.conversationId)
      if (existing) {
        return sameBytes(bytes(existing.manifest), c.manifest) ? 'identical' as const : 'exists' as const
      }
      this.run(
        'INSERT INTO conversations (conversation_id, manifest, head_seq, created_at) VALUES (?, ?, 0, ?)',
        c.conversationId, c.manifest, Date.now(),
      )
      for (const id of new Set(c.deviceIds)) {
        this.run('INSERT INTO members (conversation_id, device_id) VALUES (?, ?)', c.conversationId, id)
      }
      for (const b of c.boxes) {
        this.run(
          'INSERT INTO key_boxes (conversation_id, recipient_device_id, box) VALUES (?, ?, ?)',
          c.conversationId, b.recipientDeviceId, b.box,
        )
      }
      return 'created' as const
    }))
  }

  getConversation(conversationId: string): Promise<ConversationRow | null> {
    const r = this.get('SELECT manifest, head_seq FROM conversations WHERE conversation_id = ?', conversationId)
    return Promise.resolve(r ? { conversationId, manifest: bytes(r.manifest), headSeq: num(r.head_seq) } : null)
  }

  isMember(conversationId: string, deviceId: string): Promise<boolean> {
    const r = this.get('SELECT 1 FROM members WHERE conversation_id = ? AND device_id = ?', conversationId, deviceId)
    return Promise.resolve(r !== undefined)
  }

  memberDeviceIds(conversationId: string): Promise<string[]> {
    const rows = this.all('SELECT device_id FROM members WHERE conversation_id = ? ORDER BY device_id', conversationId)
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
        r.conversation_id, deviceId,
      ).map((b) => bytes(b.box)),
    })))
  }

  appendEnvelope(e: NewEnvelope): Promise<{ seq: number; duplicate: boolean }> {
    return Promise.resolve(this.tx(() => {
      const dup = this.get(
        `SELECT seq FROM envelopes WHERE conversation_id = ? AND sender_device_id = ? AND epoch = ? AND counter = ?`,
        e.conversationId, e.senderDeviceId, e.epoch, e.counter,
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
        e.conversationId, seq, e.senderDeviceId, e.epoch, e.counter, e.envelope, Date.now(),
      )
      return { seq, duplicate: false }
    }))
  }

  envelopesSince(conversationId: string, since: number, limit: number): Promise<StoredEnvelope[]> {
    const rows = this.all(
      'SELECT seq, envelope FROM envelopes WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      conversationId, since, limit,
    )
    return Promise.resolve(rows.map((r) => ({ seq: num(r.seq), envelope: bytes(r.envelope) })))
  }

  putReceipt(conversationId: string, deviceId: string, receipt: Uint8Array, rank: number): Promise<boolean> {
    const r = this.run(
      `INSERT INTO receipts (conversation_id, device_id, receipt, progress) VALUES (?, ?, ?, ?)
       ON CONFLICT (conversation_id, device_id) DO UPDATE SET receipt = excluded.receipt, progress = excluded.progress
       WHERE excluded.progress > receipts.progress`,
      conversationId, deviceId, receipt, rank,
    )
    return Promise.resolve(r.changes > 0)
  }

  receiptsOf(conversationId: string): Promise<StoredReceipt[]> {
    const rows = this.all('SELECT device_id, receipt FROM receipts WHERE conversation_id = ? ORDER BY device_id', conversationId)
    return Promise.resolve(rows.map((r) => ({ deviceId: r.device_id as string, receipt: bytes(r.receipt) })))
  }

  close(): Promise<void> {
    if (this.db.isOpen) this.db.close()
    return Promise.resolve()
  }
}
