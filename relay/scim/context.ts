/**
 * What the SCIM route handlers share: the relay's dependencies, the base URL resources are
 * located under, the mapping of storage refusals to SCIM errors (RFC 7644 §3.12), and the quiet
 * notice admin devices get after an ordinary directory write.
 */
import type { RelayDeps } from '../ws/context.ts'
import { scimError } from './respond.ts'

export type ScimContext = {
  deps: RelayDeps
  /** `https://host/scim/v2`: where `meta.location` points. */
  base: string
}

/** A storage or PATCH refusal as the SCIM error a client expects. */
export function refusalResponse(code: string, detail = ''): Response {
  if (code === 'scim/uniqueness') return scimError(409, 'userName is already taken', 'uniqueness')
  if (code === 'scim/not-found') return scimError(404, 'no such resource')
  if (code === 'scim/unknown-member') {
    return scimError(400, 'a member is not a known user', 'invalidValue')
  }
  const patch = /^scim\/patch-(\w+)$/.exec(code)
  if (patch) return scimError(400, detail || 'the patch cannot be applied', patch[1])
  return scimError(400, detail || 'refused', 'invalidValue')
}

/**
 * After a create or an ordinary update, admin devices on this relay refetch directoryUsers.
 * Only admins are told: an initial sync of thousands of users must not make every device
 * refetch the device directory thousands of times. Deactivations announce to all (enforce.ts).
 */
export async function notifyAdmins(deps: RelayDeps): Promise<void> {
  const admins = deps.hub.sessionsOf(await deps.storage.scim.adminDeviceIds())
  for (const a of admins) a.sendFrame({ type: 'directoryChanged' })
}
