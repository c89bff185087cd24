/**
 * Device revocation (DESIGN §1 rule 8, §3, §5): a certificate signed by the organisation root or
 * by another unrevoked device of the same user. The relay cannot make one, only check, store and
 * serve it; it closes the revoked device's live sockets at once, refuses its logins, and marks
 * its conversations rotation pending so the first member device online commits a new epoch.
 */
import { encodeTuple, parseDeviceBinding, parseRevocation, verifyRevocation } from '../crypto-surface.ts'
import { shortId } from '../log.ts'
import type { FrameOf } from '../wire/frames.ts'
import { announceDirectoryChanged, type RelayDeps, type SessionContext } from './context.ts'
import type { Hub } from './hub.ts'

/** Close code for a revoked device's sockets (and its refused logins). */
export const CLOSE_REVOKED = 4003

/** Returns the error code, or null when the certificate is signed by someone entitled to. */
async function checkRevocation(s: SessionContext, blob: Uint8Array): Promise<string | null> {
  const { storage } = s.deps
  const r = parseRevocation(blob)
  if (!r.ok) return 'relay/malformed-revocation'
  const target = await storage.getDevice(r.value.deviceId)
  if (!target) return 'relay/unknown-device'
  if (r.value.signer === 'root') {
    const root = (await storage.getOrg()).rootPublicKey
    return root && verifyRevocation(blob, root).ok ? null : 'relay/bad-revocation'
  }
  // Otherwise another device of the same user, itself registered and not revoked.
  const signer = await storage.getDevice(r.value.signer)
  if (!signer || signer.revoked || signer.userId !== target.userId) return 'relay/bad-revocation'
  const binding = parseDeviceBinding(signer.binding)
  if (!binding.ok || !verifyRevocation(blob, binding.value.signingPublicKey).ok) {
    return 'relay/bad-revocation'
  }
  return null
}

/** Tells each live session of the device it was revoked and closes it with 4003. */
export function disconnectRevoked(hub: Hub, deviceId: string, notice?: FrameOf<'revoked'> | null): void {
  for (const m of hub.sessionsOf([deviceId])) {
    if (notice) m.sendFrame(notice)
    m.sendFrame({ type: 'error', code: 'relay/device-revoked', ref: '' })
    m.close(CLOSE_REVOKED)
  }
}

/**
 * The `revoked` frame for a revoked device: its stored certificate and, for a sibling's
 * signature, the signer's directory entry (authorization, binding), so the device can verify the
 * chain itself before it wipes (decision 0012). null when nothing is stored (never expected).
 */
export async function revocationNotice(
  storage: RelayDeps['storage'],
  deviceId: string,
): Promise<FrameOf<'revoked'> | null> {
  const row = (await storage.listRevocations()).find((r) => r.deviceId === deviceId)
  const parsed = row ? parseRevocation(row.certificate) : null
  if (!row || !parsed?.ok) return null
  let signer: Uint8Array = new Uint8Array(0)
  if (parsed.value.signer !== 'root') {
    const device = await storage.getDevice(parsed.value.signer)
    const auth = device ? await storage.getAuthorization(device.authorizationId) : null
    if (device && auth) signer = encodeTuple([auth.blob, device.binding])
  }
  return { type: 'revoked', certificate: row.certificate, signer }
}

export async function handleRevokeDevice(
  s: SessionContext,
  f: FrameOf<'revokeDevice'>,
): Promise<void> {
  const bad = await checkRevocation(s, f.revocation)
  if (bad) return s.sendError(bad, f.ref)
  const { storage, hub, log } = s.deps
  const deviceId = parseRevocation(f.revocation)
  if (!deviceId.ok) return s.sendError('relay/malformed-revocation', f.ref)
  const revoked = deviceId.value.deviceId
  const result = await storage.revokeDevice({
    deviceId: revoked,
    certificate: f.revocation,
    revokedAt: Date.now(),
  })
  const ack = () => s.sendFrame({ type: 'ack', ref: f.ref, conversationId: '', seq: 0 })
  // A device revoking itself hears the ack before its own socket closes.
  if (revoked === s.deviceId) ack()
  disconnectRevoked(hub, revoked, await revocationNotice(storage, revoked))
  s.deps.bus.publish({ type: 'revoked', deviceId: revoked, announce: result.stored })
  if (result.stored) {
    log('device.revoked', { device: shortId(revoked), conversations: result.pending.length })
    for (const c of result.pending) {
      const others = c.deviceIds.filter((id) => id !== revoked)
      for (const peer of hub.sessionsOf(others)) {
        peer.sendFrame({
          type: 'rotationPending',
          conversationId: c.conversationId,
          epoch: c.epoch,
        })
      }
    }
    announceDirectoryChanged(s.deps)
    // After the notices, so recording it never delays them.
    await s.deps.audit('device.revoked', {
      device: revoked,
      // admin: root-signed; self: "remove Wardline from this device"; sibling: reported lost
      // from the user's other device. The certificate's free-text reason stays out of the log.
      by: deviceId.value.signer === 'root' ? 'admin' : deviceId.value.signer === revoked ? 'self' : 'sibling',
      signer: deviceId.value.signer,
      conversations: result.pending.length,
    }, s.deviceId)
  }
  if (revoked !== s.deviceId) ack()
}
