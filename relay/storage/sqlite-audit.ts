/**
 * The audit log on SQLite (issue 8): `audit_log` rows chained by crypto/audit.ts and the
 * `audit_head` row (schema 5 → 6 in sqlite-schema.ts). An append is one IMMEDIATE transaction —
 * SQLite's write lock is the head row's lock — that reads the head, inserts the next record and
 * moves the head, so seq is gap-free even with two processes on one file. Triggers refuse UPDATE
 * and DELETE on audit_log (append-only by construction; someone with the file can still drop
 * them, which is what the verifier and checkpoints are for). Also the verifier's read-only view of
 * a data directory, which never migrates or writes.
 */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { chainAuditRecord } from '../crypto-surface.ts'
import {
  type AuditHeadRow,
  type AuditRecord,
  auditRecordFromColumns,
  type AuditSource,
  type NewAuditEvent,
} from './audit.ts'
import { bytes, num, type Row, SqliteBase } from './sqlite-base.ts'

const COLUMNS = 'seq, time, event, actor, fields, claim, signature, prev_hash, hash'

const toRecord = (r: Row): AuditRecord => auditRecordFromColumns(r, bytes)

/** Own prepared statements over the storage's connection; no link to the data-append batches. */
export class SqliteAuditLog extends SqliteBase {
  constructor(db: DatabaseSync) {
    super(db)
  }

  append(e: NewAuditEvent): AuditRecord {
    return this.tx(() => {
      if (e.signature) {
        const stored = this.get(`SELECT ${COLUMNS} FROM audit_log WHERE signature = ?`, e.signature)
        if (stored) return toRecord(stored)
      }
      const head = this.get('SELECT seq, hash FROM audit_head WHERE id = 1')
      const r = chainAuditRecord(head ? { seq: num(head.seq), hash: bytes(head.hash) } : null, e)
      this.run(
        `INSERT INTO audit_log (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r.seq,
        r.time,
        r.event,
        r.actor,
        JSON.stringify(r.fields),
        r.claim,
        r.signature,
        r.prevHash,
        r.hash,
      )
      this.run(
        `INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
        r.seq,
        r.hash,
      )
      return r
    })
  }

  head(): AuditHeadRow | null {
    const r = this.get(
      'SELECT h.seq, h.hash, l.time FROM audit_head h JOIN audit_log l ON l.seq = h.seq WHERE h.id = 1',
    )
    return r ? { seq: num(r.seq), hash: bytes(r.hash), time: num(r.time) } : null
  }

  since(since: number, limit: number): AuditRecord[] {
    return this.all(
      `SELECT ${COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`,
      since,
      limit,
    )
      .map(toRecord)
  }
}

/** Opens `<dir>/wardline.sqlite` read-only for the verifier (relay/audit/verify.ts). */
export function openSqliteAuditSource(dataDir: string, file = 'wardline.sqlite'): AuditSource {
  const path = join(dataDir, file)
  try {
    Deno.statSync(path)
  } catch {
    throw new RangeError(`expected a relay data directory with ${file}, got none at ${dataDir}`)
  }
  const db = new DatabaseSync(path, { readOnly: true })
  const one = (sql: string, ...p: unknown[]) =>
    db.prepare(sql).get(...(p as never[])) as Row | undefined
  const hasLog = one("SELECT 1 FROM sqlite_master WHERE name = 'audit_log'")
  const org = one('SELECT root_public_key, compliance_certificate FROM org WHERE id = 1')
  const head = hasLog ? one('SELECT seq, hash FROM audit_head WHERE id = 1') : undefined
  const rows = hasLog
    ? db.prepare(`SELECT ${COLUMNS} FROM audit_log ORDER BY seq`).all() as Row[]
    : []
  return {
    rootPublicKey: org?.root_public_key == null ? null : bytes(org.root_public_key),
    complianceCertificate: org?.compliance_certificate == null ? null : bytes(org.compliance_certificate),
    head: head ? { seq: num(head.seq), hash: bytes(head.hash) } : null,
    records: rows.map(toRecord),
    deviceChain(deviceId) {
      const r = one(
        `SELECT a.blob, d.binding FROM devices d JOIN authorizations a ON a.id = d.authorization_id
         WHERE d.device_id = ?`,
        deviceId,
      )
      return Promise.resolve(r ? { authorization: bytes(r.blob), binding: bytes(r.binding) } : null)
    },
    close() {
      db.close()
      return Promise.resolve()
    },
  }
}
