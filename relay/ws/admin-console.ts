/**
 * Frames only the admin console uses (issue 7): `revokeAuthorization` marks an enrollment code an
 * admin created, and nobody used yet, revoked so enrolling with it fails with
 * `enroll/code-revoked`; `getDevicesSeen` lists each device's last login time ("last seen").
 * Both are authorized by the logged-in session's role like `putAuthorization`. Nothing here
 * touches keys or message content; the relay only learns what it already saw (logins).
 */
import type { FrameOf } from '../wire/frames.ts'
import type { SessionContext } from './context.ts'

const AUTHORIZATION_ID = /^[0-9a-f]{64}$/
/** Most devices in one `devicesSeen` frame (each line ≤ ~100 bytes: far under the frame limit). */
export const DEVICES_SEEN_MAX = 2000

export async function handleRevokeAuthorization(
  s: SessionContext,
  f: FrameOf<'revokeAuthorization'>,
): Promise<void> {
  if (s.role !== 'admin') return s.sendError('relay/forbidden', f.ref)
  if (!AUTHORIZATION_ID.test(f.authorizationId)) return s.sendError('enroll/unknown-code', f.ref)
  const result = await s.deps.storage.revokeAuthorization(f.authorizationId)
  if (result !== 'ok') return s.sendError(result, f.ref)
  s.deps.log('authorization.revoked', {})
  await s.deps.audit(
    'authorization.revoked',
    { authorization: f.authorizationId.slice(0, 8) },
    s.deviceId,
  )
  s.sendFrame({ type: 'ack', ref: f.ref, conversationId: '', seq: 0 })
}

export async function handleGetDevicesSeen(
  s: SessionContext,
  f: FrameOf<'getDevicesSeen'>,
): Promise<void> {
  if (s.role !== 'admin') return s.sendError('relay/forbidden', f.ref)
  const rows = await s.deps.storage.listDevicesSeen()
  // Newest first, so a very large organisation still sees who was active recently.
  rows.sort((a, b) => b.lastSeenAt - a.lastSeenAt)
  const lines = rows.slice(0, DEVICES_SEEN_MAX).map((r) => JSON.stringify(r))
  s.sendFrame({ type: 'devicesSeen', ref: f.ref, lines })
}
