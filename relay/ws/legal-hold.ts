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

/** A hold that changed is audited (conversation, acting device) and logged (short device id only). */
async function recordChange(s: SessionContext, event: 'legalhold.set' | 'legalhold.released', conversationId: string) {
  await s.deps.audit(event, { conversation: conversationId, device: s.deviceId }, s.deviceId)
  s.deps.log(event, { device: shortId(s.deviceId) })
}

export async function handleSetLegalHold(
  s: SessionContext,
  f: FrameOf<'setLegalHold'>,
): Promise<void> {
  if (!HOLD_ROLES.has(s.role)) return s.sendError('relay/forbidden', f.ref)
  if (!isSaneId(f.conversationId)) return s.sendError('relay/unknown-conversation', f.ref)
  const r = await s.deps.storage.legalHold.setHold(f.conversationId, s.deviceId, Date.now())
  if (r === 'relay/unknown-conversation') return s.sendError(r, f.ref)
  if (r === 'set') await recordChange(s, 'legalhold.set', f.conversationId)
  s.sendFrame({ type: 'ack', ref: f.ref, conversationId: f.conversationId, seq: 0 })
}

export async function handleReleaseLegalHold(
  s: SessionContext,
  f: FrameOf<'releaseLegalHold'>,
): Promise<void> {
  if (!HOLD_ROLES.has(s.role)) return s.sendError('relay/forbidden', f.ref)
  const r = await s.deps.storage.legalHold.releaseHold(f.conversationId)
  if (r === 'released') await recordChange(s, 'legalhold.released', f.conversationId)
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
