/**
 * Roles the directory wishes for (issue 7): a SCIM group whose displayName names a Wardline role
 * (`admin`, `compliance` or `compliance officer`, `clinician`) or that WARDLINE_SCIM_ROLE_MAP
 * maps to one grants that wish to its members. It is only a wish: roles are bound by
 * root-signed authorizations (DESIGN §3), so the relay records it and shows it to admin devices
 * and never grants anything from it.
 */

/** The roles enrollment authorizations carry (web/elements/wl-add-person.ts, decision 0004). */
export const WARDLINE_ROLES = ['admin', 'compliance', 'clinician'] as const
export type WardlineRole = typeof WARDLINE_ROLES[number]

/** Group names → role, keys compared trimmed and ignoring case. */
export type RoleMap = ReadonlyMap<string, WardlineRole>

const BUILT_IN: Record<string, WardlineRole> = {
  admin: 'admin',
  compliance: 'compliance',
  'compliance officer': 'compliance',
  clinician: 'clinician',
}

const key = (name: string) => name.trim().toLowerCase()
const isRole = (v: unknown): v is WardlineRole => WARDLINE_ROLES.includes(v as WardlineRole)

/**
 * Parses WARDLINE_SCIM_ROLE_MAP: a JSON object of group display name → role, e.g.
 * `{"ICU Nurses":"clinician","IT Admins":"admin"}`. Misuse throws RangeError at start.
 */
export function parseRoleMap(text: string | undefined): RoleMap {
  const map = new Map<string, WardlineRole>()
  if (text === undefined || text.trim() === '') return map
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new RangeError(
      'expected WARDLINE_SCIM_ROLE_MAP to be a JSON object, got text that does not parse',
    )
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RangeError(
      'expected WARDLINE_SCIM_ROLE_MAP to be a JSON object, got another JSON value',
    )
  }
  for (const [name, role] of Object.entries(value)) {
    if (!isRole(role)) {
      throw new RangeError(
        `expected WARDLINE_SCIM_ROLE_MAP roles to be one of ${WARDLINE_ROLES.join(', ')}, got ${
          JSON.stringify(role)
        }`,
      )
    }
    map.set(key(name), role)
  }
  return map
}

/** The role a group grants, or null. The operator's map wins over the built-in names. */
export function roleOfGroup(displayName: string, map: RoleMap): WardlineRole | null {
  return map.get(key(displayName)) ?? BUILT_IN[key(displayName)] ?? null
}

/** The strongest role among the user's groups (admin > compliance > clinician), or null. */
export function roleWish(groupNames: readonly string[], map: RoleMap): WardlineRole | null {
  const roles = new Set(groupNames.map((g) => roleOfGroup(g, map)))
  return WARDLINE_ROLES.find((r) => roles.has(r)) ?? null
}
