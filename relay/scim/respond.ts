/**
 * SCIM responses (RFC 7644 §3.1, §3.12): `application/scim+json` bodies, the error schema with
 * `status` as a string and `scimType` where one applies, ListResponse, and a body reader with a
 * larger cap than the JSON API's (an Okta PUT of a big group lists every member). The bearer
 * token check compares HMACs under a per-process random key in constant time, so neither the
 * token's length nor its bytes leak through timing.
 */
import { equalBytes } from '../crypto-surface.ts'
import { readBodyBytes } from '../http/respond.ts'

export const SCIM_CONTENT_TYPE = 'application/scim+json'
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error'
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
/** Largest SCIM request body: a group of ~10,000 members as Okta PUTs it. */
export const MAX_SCIM_BODY_BYTES = 1024 * 1024

export function scimJson(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': SCIM_CONTENT_TYPE, 'Cache-Control': 'no-store', ...headers },
  })
}

export function scimError(status: number, detail: string, scimType?: string): Response {
  return scimJson({
    schemas: [ERROR_SCHEMA],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
  }, status)
}

export function listResponse(resources: unknown[], total: number, startIndex: number): Response {
  return scimJson({
    schemas: [LIST_SCHEMA],
    totalResults: total,
    itemsPerPage: resources.length,
    startIndex,
    Resources: resources,
  })
}

export type ScimBody = { ok: true; value: Record<string, unknown> } | {
  ok: false
  response: Response
}

/** Reads at most MAX_SCIM_BODY_BYTES of JSON object. */
export async function readScimBody(req: Request): Promise<ScimBody> {
  const all = await readBodyBytes(req, MAX_SCIM_BODY_BYTES)
  if (!all) return { ok: false, response: scimError(413, 'the request body is too large') }
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(all))
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return { ok: true, value }
    }
  } catch {
    // answered below
  }
  return { ok: false, response: scimError(400, 'the body is not a JSON object', 'invalidSyntax') }
}

/** Checks `Authorization: Bearer <token>` in constant time (HMAC both, compare the MACs). */
export async function createBearerCheck(
  token: string,
): Promise<(req: Request) => Promise<boolean>> {
  if (token.length === 0) throw new RangeError('expected a non-empty SCIM token, got an empty one')
  const key = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = async (s: string) =>
    new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(s)))
  const expected = await mac(token)
  return async (req) => {
    const header = req.headers.get('authorization') ?? ''
    const m = /^Bearer\s+(.+)$/i.exec(header.trim())
    // The MAC is computed whatever the header holds, so a missing token takes as long.
    const given = await mac(m ? m[1]! : '\u0000')
    return equalBytes(given, expected) && m !== null
  }
}
