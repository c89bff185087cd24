/**
 * The audit log on Postgres (issue 8), mirroring sqlite-audit.ts for several relays on one
 * database: an append locks the `audit_head` row (created with seq 0 by the migration, so there
 * is always a row to lock), reads the head, inserts the next record and moves the head in one
 * transaction. Appends from every relay take turns on that lock: seq stays gap-free and each
 * prevHash names the record before. A trigger refuses UPDATE, DELETE and TRUNCATE on audit_log.
 * Also the verifier's read-only view of a database (no migration, no writes).
 */
import { chainAuditRecord } from '../crypto-surface.ts'
import {
  type AuditHeadRow,
  type AuditRecord,
  auditRecordFromColumns,
  type AuditSource,
  type NewAuditEvent,
} from './audit.ts'
import { bytes, connectPostgres, num, type Row, type Sql, transaction } from './postgres-base.ts'

/** Migration step of postgres-schema.ts (appended there). */
export const AUDIT_MIGRATION = `
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY CHECK (seq >= 1),
  time BIGINT NOT NULL,
  event TEXT COLLATE "C" NOT NULL,
  actor TEXT COLLATE "C" NOT NULL,
  fields TEXT NOT NULL,
  claim BYTEA,
  signature BYTEA UNIQUE,
  prev_hash BYTEA NOT NULL,
  hash BYTEA NOT NULL
);
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
CREATE FUNCTION wardline_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION wardline_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION wardline_audit_append_only();
`

const toRecord = (r: Row): AuditRecord => auditRecordFromColumns(r, bytes)

export function appendAuditPostgres(sql: Sql, e: NewAuditEvent): Promise<AuditRecord> {
  return transaction(sql, async (tx) => {
    const [head] = await tx`SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE`
    if (!head) throw new RangeError('expected the audit_head row, got none (schema not migrated?)')
    // After the lock: a retried claim committed by another relay meanwhile is seen here.
    if (e.signature) {
      const [stored] = await tx`SELECT * FROM audit_log WHERE signature = ${e.signature}`
      if (stored) return toRecord(stored)
    }
    const prev = num(head.seq) === 0 ? null : { seq: num(head.seq), hash: bytes(head.hash) }
    const r = chainAuditRecord(prev, e)
    await tx`INSERT INTO audit_log (seq, time, event, actor, fields, claim, signature, prev_hash, hash)
      VALUES (${r.seq}, ${r.time}, ${r.event}, ${r.actor}, ${JSON.stringify(r.fields)},
        ${r.claim}, ${r.signature}, ${r.prevHash}, ${r.hash})`
    await tx`UPDATE audit_head SET seq = ${r.seq}, hash = ${r.hash} WHERE id = 1`
    return r
  })
}

export async function auditHeadPostgres(sql: Sql): Promise<AuditHeadRow | null> {
  const [r] = await sql`SELECT h.seq, h.hash, l.time FROM audit_head h
    JOIN audit_log l ON l.seq = h.seq WHERE h.id = 1`
  return r ? { seq: num(r.seq), hash: bytes(r.hash), time: num(r.time) } : null
}

export async function auditRecordsPostgres(
  sql: Sql,
  since: number,
  limit: number,
): Promise<AuditRecord[]> {
  const rows = await sql`SELECT * FROM audit_log WHERE seq > ${since} ORDER BY seq LIMIT ${limit}`
  return rows.map(toRecord)
}

/** Connects to the database the relay uses (a `search_path` query parameter picks a schema). */
export async function openPostgresAuditSource(url: string): Promise<AuditSource> {
  const sql = await connectPostgres(url, { max: 1 })
  try {
    const [org] = await sql`SELECT root_public_key, compliance_certificate FROM org WHERE id = 1`
    const [has] = await sql`SELECT to_regclass('audit_log') IS NOT NULL AS present`
    const present = has?.present === true
    const [head] = present ? await sql`SELECT seq, hash FROM audit_head WHERE id = 1` : []
    const rows = present ? await sql`SELECT * FROM audit_log ORDER BY seq` : []
    return {
      rootPublicKey: org?.root_public_key == null ? null : bytes(org.root_public_key),
      complianceCertificate: org?.compliance_certificate == null ? null : bytes(org.compliance_certificate),
      head: head && num(head.seq) > 0 ? { seq: num(head.seq), hash: bytes(head.hash) } : null,
      records: rows.map(toRecord),
      async deviceChain(deviceId) {
        const [r] = await sql`SELECT a.blob, d.binding FROM devices d
          JOIN authorizations a ON a.id = d.authorization_id WHERE d.device_id = ${deviceId}`
        return r ? { authorization: bytes(r.blob), binding: bytes(r.binding) } : null
      },
      close: () => sql.end({ timeout: 1 }),
    }
  } catch (e) {
    await sql.end({ timeout: 1 })
    throw e
  }
}
