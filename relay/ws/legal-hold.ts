/**
 * Legal hold frames (issue 8, docs/decisions/0019-compliance-export.md): an admin or compliance
 * device (the root-signed role of the logged-in session, as for the audit log's reads) sets or
 * releases a hold on a conversation, or lists the holds. A held conversation loses nothing to
 * the mailbox pruner until released (storage/legal-hold.ts). Setting and releasing are audited
 * (`legalhold.set`, `legalhold.released`: conversation id and the acting device) when they change
 * something; a repeat is acked without a second record.
 */
import { shortId } from '../log.ts'
import type { FrameOf } from '../wire/frames.ts'
import { isSaneId, type SessionContext } from './context.ts'

/** Roles that may set, release and list legal holds. */
const HOLD_ROLES = new Set(['admin', 'compliance'])

export async function handleSetLegalHold(
  s: SessionContext,
  f: FrameOf<'setLegalHold'>,
): Promise<void> {
  if (!HOLD_ROLES.has(s.role)) return s.sendError('relay/forbidden', f.ref)
  if (!isSaneId(f.conversationId)) return s.sendError('relay/unknown-conversation', f.ref)
  const r = await s.deps.storage.legalHold.setHold(f.conversationId, s.deviceId, Date.now())
  if (r === 'relay/unknown-conversation') return s.sendError(r, f.ref)
  if (r === 'set') {
    await s.deps.audit(
      'legalhold.set',
      { conversation: f.conversationId, device: s.deviceId },
      s.deviceId,
    )
    s.deps.log('legalhold.set', { device: shortId(s.deviceId) })
  }
  s.sendFrame({ type: 'ack', ref: f.ref, conversationId: f.conversationId, seq: 0 })
}

export async function handleReleaseLegalHold(
  s: SessionContext,
  f: FrameOf<'releaseLegalHold'>,
): Promise<void> {
  if (!HOLD_ROLES.has(s.role)) return s.sendError('relay/forbidden', f.ref)
  const r = await s.deps.storage.legalHold.releaseHold(f.conversationId)
  if (r === 'released') {
    await s.deps.audit(
      'legalhold.released',
      { conversation: f.conversationId, device: s.deviceId },
      s.deviceId,
    )
    s.deps.log('legalhold.released', { device: shortId(s.deviceId) })
  }
  s.sendFrame({ type: 'ack', ref: f.ref, conversationId: f.conversationId, seq: 0 })
}

export async function handleGetLegalHolds(
  s: SessionContext,
  f: FrameOf<'getLegalHolds'>,
): Promise<void> {
  if (!HOLD_ROLES.has(s.role)) return s.sendError('relay/forbidden', f.ref)
  const holds = await s.deps.storage.legalHold.listHolds()
  s.sendFrame({ type: 'legalHolds', ref: f.ref, lines: holds.map((h) => JSON.stringify(h)) })
}
