/**
 * Directory frames: the list of enrolled devices (each as its authorization and binding, so
 * clients verify the whole chain against the pinned root, plus the revocation certificate of a
 * revoked device) and admins' uploads of new
 * root-signed authorizations. The relay checks the root signature so it never stores junk, but
 * it cannot create an authorization itself: it has no root key (DESIGN §3).
 */
import { authorizationId, encodeTuple, verifyAuthorization } from '../crypto-surface.ts'
import type { FrameOf } from '../wire/frames.ts'
import type { SessionContext } from './context.ts'

export async function handleGetDirectory(s: SessionContext): Promise<void> {
  const { storage } = s.deps
  const org = await storage.getOrg()
  const rows = await storage.listDirectory()
  s.sendFrame({
    type: 'directory',
    rootPublicKey: org.rootPublicKey ?? new Uint8Array(0),
    entries: rows.map((r) =>
      encodeTuple(
        r.revocation ? [r.authorization, r.binding, r.revocation] : [r.authorization, r.binding],
      )
    ),
  })
}

export async function handlePutAuthorization(
  s: SessionContext,
  f: FrameOf<'putAuthorization'>,
): Promise<void> {
  if (s.role !== 'admin') return s.sendError('relay/forbidden', f.ref)
  const { storage, log } = s.deps
  const root = (await storage.getOrg()).rootPublicKey
  const auth = root ? verifyAuthorization(f.authorization, root) : null
  if (!auth?.ok) return s.sendError('relay/bad-authorization', f.ref)
  const a = auth.value
  const stored = await storage.putAuthorization({
    id: authorizationId(a.enrollPublicKey),
    blob: f.authorization,
    userId: a.userId,
    displayName: a.displayName,
    role: a.role,
    expiresAt: a.expiresAt,
  })
  if (stored !== 'ok') return s.sendError(stored, f.ref)
  log('authorization.stored', { role: a.role })
  // A directory change: who may enroll, under which role (the display name stays out).
  await s.deps.audit('authorization.stored', {
    role: a.role,
    authorization: authorizationId(a.enrollPublicKey).slice(0, 8),
  }, s.deviceId)
  s.sendFrame({ type: 'ack', ref: f.ref, conversationId: '', seq: 0 })
}
