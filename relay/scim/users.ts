/**
 * /Users (RFC 7644 §3.3–§3.6): create, read, list with filters, PUT, PATCH and DELETE of SCIM
 * users. A write that leaves the user inactive (PATCH `active` "False", PUT `active: false`,
 * Okta's no-path `{active:false}`) or a DELETE refuses the user's devices in the same storage
 * transaction and then closes their sockets and tells admin devices (enforce.ts).
 */
import { shortId } from '../log.ts'
import type { ScimUserRow } from '../storage/scim-storage.ts'
import { enforceDeactivation } from './enforce.ts'
import { parseFilter } from './filter.ts'
import { listResources, queryParam, resourceResponse } from './list.ts'
import { applyPatch } from './patch.ts'
import { userDocument, userFields, userResource } from './resources.ts'
import { readScimBody, scimError } from './respond.ts'
import { canonicalizeUser } from './schemas.ts'
import { refusalResponse, SCIM_ACTOR, type ScimContext } from './context.ts'

function one(ctx: ScimContext, url: URL, row: ScimUserRow, status = 200): Response {
  return resourceResponse(userResource(row, ctx.base), url, status)
}

async function afterWrite(
  ctx: ScimContext,
  row: ScimUserRow,
  wasActive: boolean,
  refused: string[],
) {
  if (!row.active && (wasActive || refused.length > 0)) {
    void ctx.deps.audit('scim.user-deactivated', { user: row.userId, devices: refused.length }, SCIM_ACTOR)
    await enforceDeactivation(ctx.deps, row)
  } else {
    const event = row.active && !wasActive ? 'scim.user-reactivated' : 'scim.user-updated'
    void ctx.deps.audit(event, { user: row.userId }, SCIM_ACTOR)
    ctx.notifyAdmins()
  }
}

async function create(ctx: ScimContext, req: Request, url: URL): Promise<Response> {
  const body = await readScimBody(req)
  if (!body.ok) return body.response
  const user = canonicalizeUser(body.value)
  if (!user.ok) return scimError(400, user.detail, 'invalidValue')
  const r = await ctx.deps.storage.scim.createUser(userFields(user.value))
  if ('refused' in r) return refusalResponse(r.refused)
  ctx.deps.log('scim.user-created', { user: shortId(r.row.userId), active: r.row.active })
  void ctx.deps.audit('scim.user-created', { user: r.row.userId, active: r.row.active }, SCIM_ACTOR)
  ctx.notifyAdmins()
  return one(ctx, url, r.row, 201)
}

async function replace(ctx: ScimContext, req: Request, url: URL, id: string): Promise<Response> {
  const body = await readScimBody(req)
  if (!body.ok) return body.response
  const user = canonicalizeUser(body.value)
  if (!user.ok) return scimError(400, user.detail, 'invalidValue')
  let wasActive = false
  const r = await ctx.deps.storage.scim.updateUser(id, (current) => {
    wasActive = current.active
    // A PUT that leaves `active` out keeps it: it must never reactivate a user by omission.
    return userFields({ active: current.active, ...user.value })
  })
  if ('refused' in r) return refusalResponse(r.refused)
  await afterWrite(ctx, r.row, wasActive, r.refusedDeviceIds)
  return one(ctx, url, r.row)
}

async function patch(ctx: ScimContext, req: Request, url: URL, id: string): Promise<Response> {
  const body = await readScimBody(req)
  if (!body.ok) return body.response
  let wasActive = false
  let detail = ''
  const r = await ctx.deps.storage.scim.updateUser(id, (current) => {
    wasActive = current.active
    const patched = applyPatch(userDocument(current), body.value)
    if (!patched.ok) {
      detail = patched.detail
      return { refused: `scim/patch-${patched.scimType}` }
    }
    const user = canonicalizeUser(patched.value)
    if (!user.ok) {
      detail = user.detail
      return { refused: 'scim/patch-invalidValue' }
    }
    return userFields(user.value)
  })
  if ('refused' in r) return refusalResponse(r.refused, detail)
  await afterWrite(ctx, r.row, wasActive, r.refusedDeviceIds)
  return one(ctx, url, r.row)
}

/**
 * The users a list request can match: for the lookups IdPs make before every write (`userName
 * eq "…"`, `externalId eq "…"`) only the indexed rows, else all. listResources still applies the
 * whole filter to them, so both paths answer the same.
 */
function candidates(ctx: ScimContext, url: URL): Promise<ScimUserRow[]> {
  const text = queryParam(url, 'filter')
  const f = text ? parseFilter(text.trim()) : null
  if (
    f?.ok && f.filter.kind === 'compare' && f.filter.op === 'eq' &&
    typeof f.filter.value === 'string'
  ) {
    const { path, value } = f.filter
    const attr = !path.schema && !path.sub ? path.attr.toLowerCase() : ''
    if (attr === 'username') return ctx.deps.storage.scim.findUsers({ userName: value })
    if (attr === 'externalid') return ctx.deps.storage.scim.findUsers({ externalId: value })
  }
  return ctx.deps.storage.scim.listUsers()
}

export async function handleUsers(
  ctx: ScimContext,
  req: Request,
  url: URL,
  id: string | null,
): Promise<Response> {
  const { scim } = ctx.deps.storage
  const m = req.method
  if (id === null) {
    if (m === 'GET') {
      const rows = await candidates(ctx, url)
      return listResources(url, rows.map((u) => userResource(u, ctx.base)))
    }
    if (m === 'POST') return await create(ctx, req, url)
    return scimError(405, 'method not allowed on /Users')
  }
  if (m === 'GET') {
    const row = await scim.getUser(id)
    return row ? one(ctx, url, row) : scimError(404, 'no such user')
  }
  if (m === 'PUT') return await replace(ctx, req, url, id)
  if (m === 'PATCH') return await patch(ctx, req, url, id)
  if (m === 'DELETE') {
    const gone = await scim.deleteUser(id)
    if (!gone) return scimError(404, 'no such user')
    ctx.deps.log('scim.user-deleted', { user: shortId(gone.row.userId) })
    void ctx.deps.audit('scim.user-deleted', { user: gone.row.userId }, SCIM_ACTOR)
    await enforceDeactivation(ctx.deps, gone.row)
    return new Response(null, { status: 204 })
  }
  return scimError(405, 'method not allowed on a user')
}
