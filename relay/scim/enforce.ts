/**
 * What a directory deactivation does at once (DESIGN §1 rule 8, issue 7): storage has already
 * refused the user's devices in the write's transaction; here every live socket of those devices
 * is told `relay/device-revoked` and closed with 4003 (ws/revocation.ts), other relays on the
 * same store do the same (bus `revoked` without announcement), and admin devices are told which
 * devices to revoke: only a root- or sibling-signed certificate revokes (the relay cannot sign
 * one), and only a certificate makes a device erase itself (decision 0012).
 */
import { shortId } from '../log.ts'
import type { ScimUserRow } from '../storage/scim-storage.ts'
import { announceDirectoryChanged, type RelayDeps } from '../ws/context.ts'
import { disconnectRevoked } from '../ws/revocation.ts'

export async function enforceDeactivation(deps: RelayDeps, user: ScimUserRow): Promise<void> {
  const { storage, hub, bus, log } = deps
  const devices = await storage.scim.devicesOfUser(user.userId)
  for (const d of devices) {
    // No certificate exists, so none is shown: the device stops but does not erase itself.
    disconnectRevoked(hub, d.deviceId, null)
    bus.publish({ type: 'revoked', deviceId: d.deviceId, announce: false })
  }
  const toRevoke = devices.filter((d) => !d.revoked).map((d) => d.deviceId)
  const notice = { type: 'userDeactivated' as const, userId: user.userId, deviceIds: toRevoke }
  for (const admin of hub.sessionsOf(await storage.scim.adminDeviceIds())) admin.sendFrame(notice)
  // Admins on other relays (and this one's later logins) find the same list in directoryUsers.
  announceDirectoryChanged(deps)
  log('scim.user-deactivated', {
    user: shortId(user.userId),
    devices: devices.length,
    toRevoke: toRevoke.length,
  })
}
