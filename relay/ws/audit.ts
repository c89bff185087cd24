/**
 * Audit log frames (issue 8, docs/decisions/0013-audit-log.md). `putAuditEvent`: a logged-in
 * device appends an event it signed itself (a compliance export, a break-glass, and from admin
 * devices only `admin.*`, e.g. `admin.root-restored`, decision 0016); the relay checks
 * the claim with the strict verifier against the device's registered key, that it names this
 * device and is fresh, and stores claim and signature with the record so any verifier can check
 * them again. `getAuditHead` / `getAuditRecords`: admin and compliance devices read the chain head
 * (to sign a checkpoint, crypto/audit-checkpoint.ts) and the records as JSON lines, authorized by
 * the logged-in session's role like every other admin-only frame.
 */
import {
  AUDIT_CLAIM_MAX_SKEW_MS,
  auditRecordJson,
  MAX_AUDIT_CLAIM_BYTES,
  parseDeviceBinding,
  verifyAuditClaim,
} from '../crypto-surface.ts'
import { shortId } from '../log.ts'
import type { FrameOf } from '../wire/frames.ts'
import type { SessionContext } from './context.ts'

/** Event namespaces a device may append; everything else is the relay's own to record. */
const CLIENT_EVENT = /^(compliance|breakglass)\./
/** Only a device whose authorization names the admin role may state `admin.*` events. */
const ADMIN_EVENT = /^admin\./
/** Most records in one `auditRecords` frame (≤ ~3 KiB each: well under MAX_FRAME_BYTES). */
export const AUDIT_PAGE_MAX = 100
/** Roles that may read the audit log. */
const READER_ROLES = new Set(['admin', 'compliance'])

export async function handlePutAuditEvent(
  s: SessionContext,
  f: FrameOf<'putAuditEvent'>,
): Promise<void> {
  const { storage, log } = s.deps
  if (f.claim.length > MAX_AUDIT_CLAIM_BYTES) {
    return s.sendError('relay/malformed-audit-claim', f.ref)
  }
  const device = await storage.getDevice(s.deviceId)
  const binding = device ? parseDeviceBinding(device.binding) : null
  if (!binding?.ok) return s.sendError('relay/unknown-device', f.ref)
  const claim = verifyAuditClaim(f.claim, f.signature, binding.value.signingPublicKey)
  if (!claim.ok) {
    const code = claim.code === 'audit/bad-signature'
      ? 'relay/bad-audit-signature'
      : 'relay/malformed-audit-claim'
    return s.sendError(code, f.ref)
  }
  const c = claim.value
  if (c.deviceId !== s.deviceId) return s.sendError('relay/wrong-sender', f.ref)
  const allowed = CLIENT_EVENT.test(c.event) || (ADMIN_EVENT.test(c.event) && s.role === 'admin')
  if (!allowed) return s.sendError('relay/bad-audit-event', f.ref)
  const now = Date.now()
  if (Math.abs(now - c.time) > AUDIT_CLAIM_MAX_SKEW_MS) {
    return s.sendError('relay/stale-audit-claim', f.ref)
  }
  const r = await storage.appendAudit({
    time: now,
    event: c.event,
    actor: s.deviceId,
    fields: c.fields,
    claim: f.claim,
    signature: f.signature,
  })
  log('audit.claim-stored', { device: shortId(s.deviceId), seq: r.seq })
  s.sendFrame({ type: 'ack', ref: f.ref, conversationId: '', seq: r.seq })
}

export async function handleGetAuditHead(
  s: SessionContext,
  f: FrameOf<'getAuditHead'>,
): Promise<void> {
  if (!READER_ROLES.has(s.role)) return s.sendError('relay/forbidden', f.ref)
  const head = await s.deps.storage.auditHead()
  s.sendFrame({
    type: 'auditHead',
    ref: f.ref,
    seq: head?.seq ?? 0,
    hash: head?.hash ?? new Uint8Array(32),
    time: head?.time ?? 0,
  })
}

export async function handleGetAuditRecords(
  s: SessionContext,
  f: FrameOf<'getAuditRecords'>,
): Promise<void> {
  if (!READER_ROLES.has(s.role)) return s.sendError('relay/forbidden', f.ref)
  const limit = Math.min(Math.max(f.limit, 1), AUDIT_PAGE_MAX)
  const records = await s.deps.storage.auditRecords(f.since, limit)
  s.sendFrame({
    type: 'auditRecords',
    ref: f.ref,
    lines: records.map((r) => JSON.stringify(auditRecordJson(r))),
  })
}
