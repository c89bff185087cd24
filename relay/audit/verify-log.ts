/**
 * Verifies a relay's audit log (issue 8, docs/decisions/0013-audit-log.md): recomputes the hash
 * chain from seq 1, checks every device-signed claim against the device's root-signed chain, and,
 * given checkpoints, that the log still holds each checkpoint's seq with the same hash. Reads
 * through an AuditSource (storage/sqlite-audit.ts, storage/postgres-audit.ts), never the relay's
 * storage class, and writes nothing. A chain alone cannot show that newest records were cut off
 * or that everything was rewritten with fresh hashes: only checkpoints kept elsewhere can.
 */
import {
  AUDIT_CLAIM_MAX_SKEW_MS,
  type AuditCheckpoint,
  type AuditRecord,
  auditRecordHash,
  encodeAuditFields,
  equalBytes,
  parseAuditClaim,
  rootFingerprint,
  toBase32,
  verifyAuditCheckpoint,
  verifyAuditClaim,
  verifyComplianceCertificate,
  verifyDeviceChain,
  xeddsaVerify,
} from '../crypto-surface.ts'
import type { AuditSource } from '../storage/audit.ts'

export type FirstBad = { seq: number; reason: string }
export type AuditVerdict = { ok: boolean; records: number; firstBad: FirstBad | null }

export type VerifyOptions = {
  /** The organisation fingerprint as the app shows it (grouped Crockford base32); checked when given. */
  rootFingerprint?: string
  checkpoints?: AuditCheckpoint[]
}

const GENESIS: Uint8Array = new Uint8Array(32)

/** Crockford base32 as typed: case, spaces and dashes ignored, I/L read as 1 and O as 0. */
export const normalizeFingerprint = (s: string): string =>
  s.toUpperCase().replace(/[^0-9A-Z]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0')

export const formatRootFingerprint = (root: Uint8Array): string =>
  toBase32(rootFingerprint(root)).match(/.{1,4}/g)!.join(' ')

const sameFields = (a: AuditRecord['fields'], b: AuditRecord['fields']): boolean =>
  equalBytes(encodeAuditFields(a), encodeAuditFields(b))

/** What checking a record needs besides the record: the store, its root, signatures seen so far. */
type Context = { source: AuditSource; root: Uint8Array | null; seen: Set<string> }

const COMPLIANCE_ACTOR = 'compliance:'

/** A claim signed by a device whose root-signed chain the store holds; null: no such device. */
async function deviceClaim(r: AuditRecord, source: AuditSource, root: Uint8Array) {
  const chain = await source.deviceChain(r.actor)
  const device = chain ? verifyDeviceChain(root, chain.authorization, chain.binding) : null
  if (!device?.ok || device.value.deviceId !== r.actor) return null
  return verifyAuditClaim(r.claim!, r.signature!, device.value.signingPublicKey)
}

/**
 * A claim the compliance tool signed with the organisation's compliance key (XEdDSA, decision
 * 0019): actor `compliance:<keyId>` of the root-certified key; null when the store's certificate
 * does not verify against the root or names another key.
 */
function complianceClaim(r: AuditRecord, source: AuditSource, root: Uint8Array) {
  const cert = source.complianceCertificate
  const key = cert ? verifyComplianceCertificate(cert, root) : null
  if (!key?.ok || r.actor !== COMPLIANCE_ACTOR + key.value.keyId) return null
  const claim = parseAuditClaim(r.claim!)
  if (!claim.ok || xeddsaVerify(r.signature!, r.claim!, key.value.agreementPublicKey)) return claim
  return { ok: false as const, code: 'audit/bad-signature' }
}

/** Why a device-signed record does not verify, or null when it does. */
async function checkClaim(r: AuditRecord, { source, root, seen }: Context): Promise<string | null> {
  if (!r.claim && !r.signature) return null
  if (!r.claim || !r.signature) return 'bad-signature'
  if (!root) return 'no-root'
  // The relay stores a claim once; the same signed claim twice is a replay.
  const id = r.signature.join(',')
  if (seen.has(id)) return 'duplicate-claim'
  seen.add(id)
  const claim = r.actor.startsWith(COMPLIANCE_ACTOR)
    ? complianceClaim(r, source, root)
    : await deviceClaim(r, source, root)
  if (claim === null) return 'unknown-signer'
  if (!claim.ok) return claim.code === 'audit/bad-signature' ? 'bad-signature' : 'claim-mismatch'
  const c = claim.value
  if (c.deviceId !== r.actor || c.event !== r.event || !sameFields(c.fields, r.fields)) {
    return 'claim-mismatch'
  }
  return Math.abs(r.time - c.time) > AUDIT_CLAIM_MAX_SKEW_MS ? 'claim-time' : null
}

/** Why one record breaks the chain after `prev`, or null. */
async function checkRecord(
  r: AuditRecord,
  seq: number,
  prev: Uint8Array,
  ctx: Context,
): Promise<string | null> {
  if (r.seq !== seq) return r.seq > seq ? 'missing-record' : 'bad-seq'
  if (!equalBytes(r.prevHash, prev)) return 'bad-prev-hash'
  let hash: Uint8Array
  try {
    const { hash: _stored, ...rest } = r
    hash = auditRecordHash(rest)
  } catch {
    return 'malformed-record'
  }
  if (!equalBytes(hash, r.hash)) return 'bad-hash'
  return await checkClaim(r, ctx)
}

/** The earliest of two problems (the chain's wins a tie: it explains the checkpoint's). */
const earliest = (a: FirstBad | null, b: FirstBad | null): FirstBad | null =>
  !a ? b : !b ? a : b.seq < a.seq ? b : a

function checkCheckpoints(
  checkpoints: AuditCheckpoint[],
  records: AuditRecord[],
  root: Uint8Array | null,
): FirstBad | null {
  const bySeq = new Map(records.map((r) => [r.seq, r]))
  const last = records.at(-1)?.seq ?? 0
  let bad: FirstBad | null = null
  for (const c of checkpoints) {
    const v = root ? verifyAuditCheckpoint(c, root) : null
    let reason: string | null = null
    if (!v?.ok) reason = 'bad-checkpoint'
    else if (v.value.seq > last) reason = 'truncated'
    else if (!equalBytes(bySeq.get(v.value.seq)?.hash ?? GENESIS, v.value.hash)) {
      reason = 'checkpoint-mismatch'
    }
    if (reason) bad = earliest(bad, { seq: c.seq, reason })
  }
  return bad
}

export async function verifyAuditLog(
  source: AuditSource,
  options: VerifyOptions = {},
): Promise<AuditVerdict> {
  const records = source.records
  const root = source.rootPublicKey
  const verdict = (firstBad: FirstBad | null): AuditVerdict => ({
    ok: firstBad === null,
    records: records.length,
    firstBad,
  })
  if (options.rootFingerprint !== undefined) {
    const stored = root ? normalizeFingerprint(formatRootFingerprint(root)) : ''
    if (stored !== normalizeFingerprint(options.rootFingerprint)) {
      return verdict({ seq: 0, reason: 'root-mismatch' })
    }
  }
  let bad: FirstBad | null = null
  let prev = GENESIS
  const ctx: Context = { source, root, seen: new Set() }
  for (let i = 0; i < records.length; i++) {
    const reason = await checkRecord(records[i]!, i + 1, prev, ctx)
    if (reason) {
      bad = { seq: i + 1, reason }
      break
    }
    prev = records[i]!.hash
  }
  // The head row is the relay's own note of the newest record: a naive cut leaves it behind.
  const head = source.head
  const last = records.length
  if (!bad && head && head.seq > last) bad = { seq: last + 1, reason: 'truncated' }
  else if (
    !bad && head && (head.seq < last || !equalBytes(records[head.seq - 1]!.hash, head.hash))
  ) {
    bad = { seq: head.seq, reason: 'head-mismatch' }
  }
  return verdict(earliest(bad, checkCheckpoints(options.checkpoints ?? [], records, root)))
}
