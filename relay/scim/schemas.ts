/**
 * The SCIM attributes the relay keeps (RFC 7643 §4.1, §4.2, §4.3), as data: `canonicalize`
 * turns an untrusted resource into one with the schema's own attribute names, known attributes
 * only, and booleans that Entra ID sends as "True"/"False" strings made real booleans. The same
 * table answers GET /Schemas. Unknown attributes are dropped, not stored (RFC 7644 §3.3 lets a
 * service provider ignore them), so the directory tables hold only what the schema names.
 */
import { CORE_GROUP, CORE_USER, ENTERPRISE_USER } from './paths.ts'

export type AttrType = 'string' | 'boolean' | 'complex' | 'reference'
export type AttrDef = {
  name: string
  type: AttrType
  multiValued?: boolean
  required?: boolean
  caseExact?: boolean
  uniqueness?: 'server' | 'none'
  mutability?: 'readWrite' | 'readOnly' | 'immutable'
  subAttributes?: AttrDef[]
}

const str = (name: string, extra: Partial<AttrDef> = {}): AttrDef => ({
  name,
  type: 'string',
  ...extra,
})
const multi = (name: string, subs: AttrDef[]): AttrDef => ({
  name,
  type: 'complex',
  multiValued: true,
  subAttributes: subs,
})
const typedValue = [
  str('value'),
  str('display'),
  str('type'),
  { name: 'primary', type: 'boolean' } as AttrDef,
]

export const USER_ATTRIBUTES: AttrDef[] = [
  str('userName', { required: true, uniqueness: 'server' }),
  str('externalId', { caseExact: true }),
  {
    name: 'name',
    type: 'complex',
    subAttributes: [
      'formatted',
      'familyName',
      'givenName',
      'middleName',
      'honorificPrefix',
      'honorificSuffix',
    ]
      .map((n) => str(n)),
  },
  ...[
    'displayName',
    'nickName',
    'profileUrl',
    'title',
    'userType',
    'preferredLanguage',
    'locale',
    'timezone',
  ]
    .map((n) => str(n)),
  { name: 'active', type: 'boolean' },
  multi('emails', typedValue),
  multi('phoneNumbers', typedValue),
  multi('roles', typedValue),
  multi('addresses', [
    ...['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type']
      .map((n) => str(n)),
    { name: 'primary', type: 'boolean' },
  ]),
]

export const ENTERPRISE_ATTRIBUTES: AttrDef[] = [
  ...['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((n) => str(n)),
  {
    name: 'manager',
    type: 'complex',
    subAttributes: [str('value'), str('$ref'), str('displayName')],
  },
]

export const GROUP_ATTRIBUTES: AttrDef[] = [
  str('displayName', { required: true }),
  str('externalId', { caseExact: true }),
  multi('members', [
    str('value', { mutability: 'immutable' }),
    str('display'),
    str('$ref'),
    str('type'),
  ]),
]

/** Longest string attribute a directory may set (names, userName, emails, ids). */
export const MAX_SCIM_STRING = 1024
/** Most values in a multi-valued attribute other than a group's members. */
export const MAX_SCIM_VALUES = 32

export type Canonical = { ok: true; value: Record<string, unknown> } | { ok: false; detail: string }

/** "True", "false", true → boolean; anything else is not a boolean. */
export function parseScimBoolean(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true'
  return null
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

class Invalid extends Error {}

function canonicalValue(def: AttrDef, v: unknown): unknown {
  if (v === null || v === undefined) return undefined
  if (def.type === 'boolean') {
    const b = parseScimBoolean(v)
    if (b === null) throw new Invalid(`${def.name} must be a boolean`)
    return b
  }
  if (def.type === 'complex') {
    // Entra sends the enterprise manager as its id alone.
    const obj = typeof v === 'string' && def.subAttributes?.some((s) => s.name === 'value')
      ? { value: v }
      : v
    if (!isObject(obj)) throw new Invalid(`${def.name} must be an object`)
    const out = canonicalObject(def.subAttributes ?? [], obj)
    return Object.keys(out).length ? out : undefined
  }
  const text = typeof v === 'number' ? String(v) : v
  if (typeof text !== 'string') throw new Invalid(`${def.name} must be a string`)
  if (text.length > MAX_SCIM_STRING) throw new Invalid(`${def.name} must be at most ${MAX_SCIM_STRING} characters`)
  return text
}

function canonicalObject(defs: AttrDef[], input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(input)) {
    const def = defs.find((d) => d.name.toLowerCase() === k.toLowerCase())
    if (!def) continue
    if (def.multiValued) {
      const raw = Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]
      // Group members are many; any other list (emails, phone numbers) is a handful.
      if (def.name !== 'members' && raw.length > MAX_SCIM_VALUES) throw new Invalid(`${def.name} must have at most ${MAX_SCIM_VALUES} values`)
      const list = raw
        .map((el) => canonicalValue({ ...def, multiValued: false }, el))
        .filter((el) => el !== undefined)
      if (list.length) out[def.name] = list
    } else {
      const value = canonicalValue(def, v)
      if (value !== undefined) out[def.name] = value
    }
  }
  return out
}

/** A user with canonical names; `userName` must be a non-empty string. */
export function canonicalizeUser(input: Record<string, unknown>): Canonical {
  try {
    const value = canonicalObject(USER_ATTRIBUTES, input)
    const extKey = Object.keys(input).find((k) => k.toLowerCase() === ENTERPRISE_USER.toLowerCase())
    const ext = extKey === undefined ? undefined : input[extKey]
    if (ext !== undefined && ext !== null) {
      if (!isObject(ext)) throw new Invalid('the enterprise extension must be an object')
      const e = canonicalObject(ENTERPRISE_ATTRIBUTES, ext)
      if (Object.keys(e).length) value[ENTERPRISE_USER] = e
    }
    if (typeof value.userName !== 'string' || value.userName.trim() === '') {
      return { ok: false, detail: 'userName is required' }
    }
    return { ok: true, value }
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, detail: e.message }
    throw e
  }
}

export function canonicalizeGroup(input: Record<string, unknown>): Canonical {
  try {
    const value = canonicalObject(GROUP_ATTRIBUTES, input)
    if (typeof value.displayName !== 'string' || value.displayName.trim() === '') {
      return { ok: false, detail: 'displayName is required' }
    }
    const members = (value.members ?? []) as Record<string, unknown>[]
    if (members.some((m) => typeof m.value !== 'string')) {
      return { ok: false, detail: 'every member needs a value' }
    }
    return { ok: true, value }
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, detail: e.message }
    throw e
  }
}

function describe(a: AttrDef): Record<string, unknown> {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued ?? false,
    required: a.required ?? false,
    caseExact: a.caseExact ?? false,
    mutability: a.mutability ?? 'readWrite',
    returned: 'default',
    uniqueness: a.uniqueness ?? 'none',
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(describe) } : {}),
  }
}

/** GET /Schemas entries (RFC 7643 §7). */
export const SCHEMA_RESOURCES = [
  { id: CORE_USER, name: 'User', description: 'User Account', attributes: USER_ATTRIBUTES },
  {
    id: ENTERPRISE_USER,
    name: 'EnterpriseUser',
    description: 'Enterprise User',
    attributes: ENTERPRISE_ATTRIBUTES,
  },
  { id: CORE_GROUP, name: 'Group', description: 'Group', attributes: GROUP_ATTRIBUTES },
].map((s) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
  id: s.id,
  name: s.name,
  description: s.description,
  attributes: s.attributes.map(describe),
  meta: { resourceType: 'Schema', location: `/Schemas/${s.id}` },
}))
