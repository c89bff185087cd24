/**
 * Test helpers for the SCIM routes: a real relay started with a SCIM token, and a client that
 * sends what Entra ID and Okta send (bearer token, application/scim+json). Used only by tests.
 */
import { startTestRelay, type TestRelay } from './test-relay.ts'

export const SCIM_TOKEN = 'scim-test-token-6f1d2b'
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

export type Json = Record<string, unknown>
export type ScimReply = { status: number; body: Json | null; headers: Headers }

export async function scimRequest(
  t: { url: string },
  method: string,
  path: string,
  body?: unknown,
  token: string | null = SCIM_TOKEN,
): Promise<ScimReply> {
  const headers: Record<string, string> = { Accept: 'application/scim+json' }
  if (token !== null) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers['Content-Type'] = 'application/scim+json; charset=utf-8'
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) as Json : null, headers: res.headers }
}

export async function withScimRelay(
  fn: (t: TestRelay) => Promise<void>,
  options: { roleMap?: Record<string, 'admin' | 'compliance' | 'clinician'> } = {},
): Promise<void> {
  const t = await startTestRelay({
    scimToken: SCIM_TOKEN,
    ...(options.roleMap
      ? {
        scimRoleMap: new Map(Object.entries(options.roleMap).map(([k, v]) => [k.toLowerCase(), v])),
      }
      : {}),
  })
  try {
    await fn(t)
  } finally {
    await t.close()
  }
}

/** A user as Entra ID's provisioning service creates it (attribute mapping defaults). */
export function entraUser(userName: string, externalId: string): Json {
  return {
    schemas: [CORE_USER, ENTERPRISE],
    externalId,
    userName,
    active: true,
    displayName: 'Alex Carter',
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Alex Carter', familyName: 'Carter', givenName: 'Alex' },
    roles: [],
    title: 'Charge Nurse',
    [ENTERPRISE]: { department: 'ICU', employeeNumber: '1042' },
  }
}

/** A user as Okta's SCIM 2.0 app creates it (it also sends password and groups). */
export function oktaUser(userName: string, externalId: string, active = true): Json {
  return {
    schemas: [CORE_USER],
    userName,
    name: { givenName: 'Sam', familyName: 'Okafor' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Sam Okafor',
    locale: 'en-US',
    externalId,
    groups: [],
    password: 'xZ9#okta-sends-this',
    active,
  }
}
