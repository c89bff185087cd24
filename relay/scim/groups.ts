/**
 * /Groups (RFC 7644 §3.3–§3.6, RFC 7643 §4.2): groups and their user members, as Entra ID and
 * Okta push them (PATCH `members` add, `members[value eq "id"]` remove, remove with a value
 * array, PUT of the whole member list). A group's displayName may name a Wardline role (roles.ts):
 * that is recorded as the directory's wish only.
 */
import type { ScimGroupRow } from '../storage/scim-storage.ts'
import { listResources, queryParam, resourceResponse } from './list.ts'
import { applyPatch } from './patch.ts'
import { groupDocument, groupFields, groupResource } from './resources.ts'
import { readScimBody, scimError } from './respond.ts'
import { canonicalizeGroup } from './schemas.ts'
import { refusalResponse, SCIM_ACTOR, type ScimContext } from './context.ts'

function one(ctx: ScimContext, url: URL, row: ScimGroupRow, status = 200): Response {
  return resourceResponse(groupResource(row, ctx.base), url, status)
}

async function create(ctx: ScimContext, req: Request, url: URL): Promise<Response> {
  const body = await readScimBody(req)
  if (!body.ok) return body.response
  const group = canonicalizeGroup(body.value)
  if (!group.ok) return scimError(400, group.detail, 'invalidValue')
  const r = await ctx.deps.storage.scim.createGroup(groupFields(group.value))
  if ('refused' in r) return refusalResponse(r.refused)
  ctx.deps.log('scim.group-created', { members: r.memberIds.length })
  void ctx.deps.audit('scim.group-created', { group: r.id, members: r.memberIds.length }, SCIM_ACTOR)
  ctx.notifyAdmins()
  return one(ctx, url, r, 201)
}

async function update(
  ctx: ScimContext,
  req: Request,
  url: URL,
  id: string,
  kind: 'PUT' | 'PATCH',
): Promise<Response> {
  const body = await readScimBody(req)
  if (!body.ok) return body.response
  let detail = ''
  const r = await ctx.deps.storage.scim.updateGroup(id, (current) => {
    let doc: Record<string, unknown> = body.value
    if (kind === 'PATCH') {
      const patched = applyPatch(groupDocument(current), body.value)
      if (!patched.ok) {
        detail = patched.detail
        return { refused: `scim/patch-${patched.scimType}` }
      }
      doc = patched.value
    }
    const group = canonicalizeGroup(doc)
    if (!group.ok) {
      detail = group.detail
      return { refused: 'scim/patch-invalidValue' }
    }
    return groupFields(group.value)
  })
  if ('refused' in r) return refusalResponse(r.refused, detail)
  void ctx.deps.audit('scim.group-updated', { group: r.id, members: r.memberIds.length }, SCIM_ACTOR)
  ctx.notifyAdmins()
  // Entra accepts 204 for a group PATCH and it spares sending thousands of members back.
  if (kind === 'PATCH' && queryParam(url, 'attributes') === null) {
    return new Response(null, { status: 204 })
  }
  return one(ctx, url, r)
}

export async function handleGroups(
  ctx: ScimContext,
  req: Request,
  url: URL,
  id: string | null,
): Promise<Response> {
  const { scim } = ctx.deps.storage
  const m = req.method
  if (id === null) {
    if (m === 'GET') {
      return listResources(
        url,
        (await scim.listGroups()).map((g) => groupResource(g, ctx.base)),
      )
    }
    if (m === 'POST') return await create(ctx, req, url)
    return scimError(405, 'method not allowed on /Groups')
  }
  if (m === 'GET') {
    const row = await scim.getGroup(id)
    return row ? one(ctx, url, row) : scimError(404, 'no such group')
  }
  if (m === 'PUT' || m === 'PATCH') return await update(ctx, req, url, id, m)
  if (m === 'DELETE') {
    if (!(await scim.deleteGroup(id))) return scimError(404, 'no such group')
    void ctx.deps.audit('scim.group-deleted', { group: id }, SCIM_ACTOR)
    ctx.notifyAdmins()
    return new Response(null, { status: 204 })
  }
  return scimError(405, 'method not allowed on a group')
}
