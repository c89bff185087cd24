/**
 * Storage rows ↔ SCIM resources (RFC 7643 §3, §4): the JSON a SCIM client reads back (schemas,
 * id, meta with location and version) and the indexed fields a write stores. The stored
 * document is already canonical (schemas.ts); ids, meta and group members come from storage.
 */
import type {
  ScimGroupFields,
  ScimGroupRow,
  ScimUserFields,
  ScimUserRow,
} from '../storage/scim-storage.ts'
import { CORE_GROUP, CORE_USER, ENTERPRISE_USER } from './paths.ts'

type Json = Record<string, unknown>

const iso = (ms: number) => new Date(ms).toISOString()

function meta(
  resourceType: string,
  location: string,
  row: { createdAt: number; updatedAt: number; version: number },
) {
  return {
    resourceType,
    created: iso(row.createdAt),
    lastModified: iso(row.updatedAt),
    location,
    version: `W/"${row.version}"`,
  }
}

export function userResource(row: ScimUserRow, base: string): Json {
  const doc = JSON.parse(row.document) as Json
  return {
    schemas: doc[ENTERPRISE_USER] ? [CORE_USER, ENTERPRISE_USER] : [CORE_USER],
    id: row.id,
    ...doc,
    userName: row.userName,
    active: row.active,
    meta: meta('User', `${base}/Users/${row.id}`, row),
  }
}

/** The writable part of a resource (what PATCH works on): no schemas, id or meta. */
export function userDocument(row: ScimUserRow): Json {
  return { ...(JSON.parse(row.document) as Json), userName: row.userName, active: row.active }
}

/** Fields to store from a canonical user; `active` defaults to true (RFC 7643 §4.1.1). */
export function userFields(doc: Json): ScimUserFields {
  const active = doc.active !== false
  const stored = { ...doc, active }
  return {
    externalId: typeof doc.externalId === 'string' ? doc.externalId : null,
    userName: doc.userName as string,
    active,
    displayName: typeof doc.displayName === 'string' ? doc.displayName : null,
    document: JSON.stringify(stored),
  }
}

export function groupResource(row: ScimGroupRow, base: string): Json {
  return {
    schemas: [CORE_GROUP],
    id: row.id,
    displayName: row.displayName,
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    members: row.memberIds.map((id) => ({ value: id, $ref: `${base}/Users/${id}`, type: 'User' })),
    meta: meta('Group', `${base}/Groups/${row.id}`, row),
  }
}

export function groupDocument(row: ScimGroupRow): Json {
  return {
    displayName: row.displayName,
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    members: row.memberIds.map((value) => ({ value })),
  }
}

export function groupFields(doc: Json): ScimGroupFields {
  const members = (doc.members ?? []) as { value: string }[]
  return {
    externalId: typeof doc.externalId === 'string' ? doc.externalId : null,
    displayName: doc.displayName as string,
    memberIds: members.map((m) => m.value),
  }
}

/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5), on top-level names only: schemas, id
 * and meta are always returned; a sub-attribute name keeps (or drops) its whole attribute.
 */
export function projectResource(
  resource: Json,
  attributes: string | null,
  excluded: string | null,
): Json {
  const topName = (a: string) => {
    const s = /^urn:/i.test(a.trim()) ? a.trim().slice(a.trim().lastIndexOf(':') + 1) : a.trim()
    return s.split('.')[0]!.toLowerCase()
  }
  const names = (s: string) => new Set(s.split(',').map(topName).filter(Boolean))
  const always = new Set(['schemas', 'id', 'meta'])
  if (attributes) {
    const keep = names(attributes)
    const keepExtension = attributes.toLowerCase().includes(ENTERPRISE_USER.toLowerCase())
    return Object.fromEntries(
      Object.entries(resource).filter(([k]) =>
        always.has(k) || keep.has(k.toLowerCase()) || (k === ENTERPRISE_USER && keepExtension)
      ),
    )
  }
  if (excluded) {
    const drop = names(excluded)
    return Object.fromEntries(
      Object.entries(resource).filter(([k]) => always.has(k) || !drop.has(k.toLowerCase())),
    )
  }
  return resource
}
