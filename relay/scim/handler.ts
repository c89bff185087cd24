/**
 * The SCIM 2.0 service provider (RFC 7643/7644, issue 7) under /scim/v2, on the app's port, for
 * Entra ID and Okta provisioning. Served only when the relay has WARDLINE_SCIM_TOKEN (server.ts
 * answers 404 for /scim otherwise); every request needs that bearer token (401 with the SCIM
 * error body otherwise). The directory it keeps never vouches for a device (DESIGN §3): it can
 * only refuse the devices of a deactivated user and tell admin devices what to sign.
 */
import type { RelayDeps } from '../ws/context.ts'
import { createAdminNotifier, type ScimContext } from './context.ts'
import { handleDiscovery } from './discovery.ts'
import { handleGroups } from './groups.ts'
import { createBearerCheck, scimError } from './respond.ts'
import { handleUsers } from './users.ts'

export const SCIM_PREFIX = '/scim/v2'

export type ScimHandler = {
  handle: (req: Request, url: URL) => Promise<Response>
  /** Drops a pending admin notice; called when the relay drains. */
  close: () => void
}

/** A malformed %-escape yields '' (answered 404), never a thrown URIError. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return ''
  }
}

export function isScimPath(pathname: string): boolean {
  return pathname === '/scim' || pathname.startsWith('/scim/')
}

export async function createScimHandler(
  deps: RelayDeps,
  options: { token: string; publicOrigin?: string | null },
): Promise<ScimHandler> {
  const isAuthorized = await createBearerCheck(options.token)
  const notifier = createAdminNotifier(deps)
  const handle = async (req: Request, url: URL): Promise<Response> => {
    if (!(await isAuthorized(req))) {
      deps.log('scim.auth-refused')
      deps.metrics.inc('wardline_errors_total', 'scim/unauthorized')
      const res = scimError(401, 'a valid bearer token is required')
      res.headers.set('WWW-Authenticate', 'Bearer realm="wardline-scim"')
      return res
    }
    const ctx: ScimContext = {
      deps,
      base: `${options.publicOrigin ?? url.origin}${SCIM_PREFIX}`,
      notifyAdmins: notifier.notify,
    }
    const rest = url.pathname.startsWith(`${SCIM_PREFIX}/`)
      ? url.pathname.slice(SCIM_PREFIX.length + 1)
      : null
    const parts = rest === null ? [] : rest.split('/').map(safeDecode)
    if (parts.length === 0 || parts.length > 2 || parts.some((p) => p === '')) {
      return scimError(404, 'no such endpoint')
    }
    const [resource, id = null] = parts as [string, string?]
    if (resource === 'Users') return await handleUsers(ctx, req, url, id)
    if (resource === 'Groups') return await handleGroups(ctx, req, url, id)
    if (req.method === 'GET') {
      const found = handleDiscovery(ctx.base, resource, id)
      if (found) return found
    }
    if (resource === 'Bulk' || resource === '.search' || resource === 'Me') {
      return scimError(501, `${resource} is not supported`)
    }
    return scimError(404, 'no such endpoint')
  }
  return { handle, close: notifier.close }
}
