/**
 * Types of the relay's audit log storage (issue 8, docs/decisions/0013-audit-log.md). Each backend
 * appends a record by reading the chain head and inserting the next record in ONE transaction
 * that holds the head row's lock, so seq stays gap-free and prevHash always names the record
 * before, with any number of writers (relays). Records are chained by crypto/audit.ts.
 */
import type { AuditFields, AuditRecord } from '../crypto-surface.ts'

export type { AuditFields, AuditRecord }

/** What a caller appends; the storage gives it seq, prevHash and hash. */
export type NewAuditEvent = {
  time: number
  event: string
  actor: string
  fields: AuditFields
  /** A device-signed claim (crypto/audit.ts) and its signature, kept for verifiers. */
  claim?: Uint8Array
  signature?: Uint8Array
}

/** The newest record's seq, hash and time. */
export type AuditHeadRow = { seq: number; hash: Uint8Array; time: number }

/**
 * What the verifier reads from a store, without the relay's storage class (which would migrate
 * or write): every record in seq order, the org root key, the head row, and device chains.
 */
export type AuditSource = {
  rootPublicKey: Uint8Array | null
  /**
   * The root-signed compliance key certificate from the org row (null when none): claims by the
   * actor `compliance:<keyId>` (the compliance tool, decision 0019) are checked against its key.
   */
  complianceCertificate: Uint8Array | null
  /** The head row (null when none was ever written). */
  head: { seq: number; hash: Uint8Array } | null
  records: AuditRecord[]
  /** The device's root-signed authorization and binding, or null when not registered. */
  deviceChain(deviceId: string): Promise<{ authorization: Uint8Array; binding: Uint8Array } | null>
  close(): Promise<void>
}

/** An audit_log row's columns, already converted to numbers, text and plain bytes. */
export type AuditRowValues = {
  seq: number
  time: number
  event: string
  actor: string
  fields: string
  claim: Uint8Array | null
  signature: Uint8Array | null
  prevHash: Uint8Array
  hash: Uint8Array
}

/**
 * A record from the `audit_log` columns as a backend returns them; `bytes` is that backend's BLOB
 * / BYTEA reader (the only thing the two backends do differently here).
 */
export function auditRecordFromColumns(r: Record<string, unknown>, bytes: (v: unknown) => Uint8Array): AuditRecord {
  return auditRecordFromRow({
    seq: Number(r.seq),
    time: Number(r.time),
    event: String(r.event),
    actor: String(r.actor),
    fields: String(r.fields),
    claim: r.claim == null ? null : bytes(r.claim),
    signature: r.signature == null ? null : bytes(r.signature),
    prevHash: bytes(r.prev_hash),
    hash: bytes(r.hash),
  })
}

/**
 * A stored row as a record. `fields` is JSON text in the table; text that does not parse to an
 * object (a hand-edited row) becomes a field set the encoder refuses, so a verifier reports the
 * row as malformed instead of crashing on it.
 */
export function auditRecordFromRow(r: AuditRowValues): AuditRecord {
  let fields: AuditFields
  try {
    const parsed = JSON.parse(r.fields)
    fields = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? parsed
      : { '!': true }
  } catch {
    fields = { '!': true }
  }
  return { ...r, fields }
}
