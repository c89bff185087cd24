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
  /** Tells admin devices on this relay to refetch, at most once per NOTIFY_INTERVAL_MS. */
  notifyAdmins: () => void
}

/** The actor of audit records for directory writes: the identity provider, through the SCIM token. */
export const SCIM_ACTOR = 'scim'

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

/** At most one `directoryChanged` per this long for ordinary directory writes. */
export const NOTIFY_INTERVAL_MS = 1000

/**
 * After a create or an ordinary update, admin devices on this relay refetch directoryUsers. Only
 * admins are told, and at most once a second (the first write at once, the rest of a burst in
 * one trailing notice): an initial sync of thousands of users must not make devices refetch
 * thousands of times. Deactivations announce to everyone at once (enforce.ts). `close` drops a
 * pending notice when the relay stops.
 */
export function createAdminNotifier(deps: RelayDeps): { notify: () => void; close: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined
  let lastSent = -Infinity
  let closed = false
  const send = () => {
    lastSent = Date.now()
    deps.storage.scim.adminDeviceIds().then((ids) => {
      for (const a of deps.hub.sessionsOf(ids)) a.sendFrame({ type: 'directoryChanged' })
    }).catch(() => {}) // storage closing under a late notice: nobody is left to tell
  }
  return {
    notify() {
      if (closed || timer !== undefined) return
      const wait = lastSent + NOTIFY_INTERVAL_MS - Date.now()
      if (wait <= 0) return send()
      timer = setTimeout(() => {
        timer = undefined
        if (!closed) send()
      }, wait)
    },
    close() {
      closed = true
      clearTimeout(timer)
    },
  }
}
