/**
 * SCIM PATCH (RFC 7644 §3.5.2) over a resource held as plain JSON: `applyPatch` runs the
 * Operations of a PatchOp body in order on a copy and returns the result, or the SCIM error it
 * earned. Accepts what Entra ID and Okta send: ops in any case ("Replace", "add"), no-path
 * values merged into the resource (keys may themselves be paths or the enterprise URN), value
 * filters in paths (`emails[type eq "work"].value`, `members[value eq "id"]`), and Entra's
 * member removal with a value array. The caller canonicalizes the result against the schema.
 */
import { type Filter, matchesFilter, parseFilter } from './filter.ts'
import { type AttrPath, parseAttrPath } from './paths.ts'
import { GROUP_ATTRIBUTES, USER_ATTRIBUTES } from './schemas.ts'

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
/** More operations than any IdP sends in one request; bounds the work per request. */
export const MAX_PATCH_OPERATIONS = 1000

export type ScimErrorType =
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidFilter'
export type PatchResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; scimType: ScimErrorType; detail: string }

type Json = Record<string, unknown>
type Op = 'add' | 'replace' | 'remove'
type PatchPath = { path: AttrPath; filter?: Filter; filterSub?: string }

const MULTI_VALUED = new Set(
  [...USER_ATTRIBUTES, ...GROUP_ATTRIBUTES].filter((a) => a.multiValued).map((a) =>
    a.name.toLowerCase()
  ),
)

class PatchError extends Error {
  constructor(readonly scimType: ScimErrorType, detail: string) {
    super(detail)
  }
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The key of `obj` that names `name` ignoring case, or `name` itself when absent. */
function keyOf(obj: Json, name: string): string {
  const lower = name.toLowerCase()
  return Object.keys(obj).find((k) => k.toLowerCase() === lower) ?? name
}

/** Parses `attr`, `attr.sub`, `attr[filter]` and `attr[filter].sub`. */
export function parsePatchPath(text: string): PatchPath | null {
  const open = text.indexOf('[')
  if (open < 0) {
    const path = parseAttrPath(text)
    return path ? { path } : null
  }
  const close = text.lastIndexOf(']')
  if (close < open) return null
  const path = parseAttrPath(text.slice(0, open))
  const filter = parseFilter(text.slice(open + 1, close))
  const after = text.slice(close + 1)
  if (!path || path.sub || !filter.ok) return null
  if (after === '') return { path, filter: filter.filter }
  if (!/^\.[A-Za-z$][\w$-]*$/.test(after)) return null
  return { path, filter: filter.filter, filterSub: after.slice(1) }
}

function containerOf(doc: Json, path: AttrPath, create: boolean): Json | null {
  if (!path.schema) return doc
  const k = keyOf(doc, path.schema)
  if (!isObject(doc[k])) {
    if (!create) return null
    doc[k] = {}
  }
  return doc[k] as Json
}

/** Two multi-valued elements are the same when their `value`s are (else when equal as JSON). */
function sameElement(a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b)) {
    const av = a[keyOf(a, 'value')]
    const bv = b[keyOf(b, 'value')]
    if (av !== undefined && bv !== undefined) return av === bv
  }
  return JSON.stringify(a) === JSON.stringify(b)
}

function applyPlain(op: Op, container: Json, path: AttrPath, value: unknown): void {
  const k = keyOf(container, path.attr)
  if (path.sub) {
    if (Array.isArray(container[k])) {
      throw new PatchError('invalidPath', `${path.attr} is multi-valued`)
    }
    if (op === 'remove') {
      if (isObject(container[k])) {
        delete (container[k] as Json)[keyOf(container[k] as Json, path.sub)]
      }
      return
    }
    if (!isObject(container[k])) container[k] = {}
    const target = container[k] as Json
    target[keyOf(target, path.sub)] = value
    return
  }
  const existing = container[k]
  const multi = MULTI_VALUED.has(path.attr.toLowerCase()) || Array.isArray(existing)
  if (op === 'remove') {
    if (multi && Array.isArray(existing) && value !== undefined) {
      // Entra removes members with a value array rather than a filtered path.
      const drop = Array.isArray(value) ? value : [value]
      container[k] = existing.filter((el) => !drop.some((d) => sameElement(el, d)))
    } else {
      delete container[k]
    }
    return
  }
  if (multi) {
    const items = Array.isArray(value) ? value : [value]
    if (op === 'replace' || !Array.isArray(existing)) {
      container[k] = items
      return
    }
    for (const item of items) if (!existing.some((el) => sameElement(el, item))) existing.push(item)
    return
  }
  // A complex attribute without a sub-attribute: the given sub-attributes replace or add.
  container[k] = isObject(existing) && isObject(value) ? { ...existing, ...value } : value
}

/** `type eq "work"` → { type: 'work' }: what a new element must carry to match the filter. */
function seedOf(filter: Filter): Json | null {
  if (filter.kind === 'and') {
    const l = seedOf(filter.left)
    const r = seedOf(filter.right)
    return l && r ? { ...l, ...r } : null
  }
  if (filter.kind === 'compare' && filter.op === 'eq' && !filter.path.sub && !filter.path.schema) {
    return { [filter.path.attr]: filter.value }
  }
  return null
}

function applyFiltered(op: Op, container: Json, p: PatchPath, value: unknown): void {
  const k = keyOf(container, p.path.attr)
  const list = Array.isArray(container[k]) ? container[k] as unknown[] : []
  const matches = list.filter((el) => isObject(el) && matchesFilter(el, p.filter!)) as Json[]
  if (op === 'remove') {
    if (p.filterSub) { for (const el of matches) delete el[keyOf(el, p.filterSub)] }
    else container[k] = list.filter((el) => !matches.includes(el as Json))
    return
  }
  if (matches.length === 0) {
    // Entra replaces `emails[type eq "work"].value` on a user with no work email yet.
    const seed = seedOf(p.filter!)
    if (!seed) throw new PatchError('noTarget', `no ${p.path.attr} matches the filter`)
    const el = p.filterSub
      ? { ...seed, [p.filterSub]: value }
      : isObject(value)
      ? { ...seed, ...value }
      : null
    if (!el) throw new PatchError('invalidValue', `${p.path.attr} elements are objects`)
    container[k] = [...list, el]
    return
  }
  for (const el of matches) {
    if (p.filterSub) el[keyOf(el, p.filterSub)] = value
    else if (isObject(value)) Object.assign(el, value)
    else throw new PatchError('invalidValue', `${p.path.attr} elements are objects`)
  }
}

function applyAt(op: Op, doc: Json, p: PatchPath, value: unknown): void {
  const container = containerOf(doc, p.path, op !== 'remove')
  if (!container) return
  if (p.filter) applyFiltered(op, container, p, value)
  else applyPlain(op, container, p.path, value)
}

/** A no-path add or replace: every key of the value object is a path of its own. */
function applyMerge(op: Op, doc: Json, value: unknown): void {
  if (!isObject(value)) {
    throw new PatchError('invalidValue', 'a value object is required without a path')
  }
  for (const [key, v] of Object.entries(value)) {
    const path = parseAttrPath(key)
    if (!path) throw new PatchError('invalidPath', 'a value key is not an attribute path')
    if (!path.schema && isObject(v) && /^urn:/i.test(path.attr)) {
      // The extension object: merge its attributes one by one.
      for (const [sub, sv] of Object.entries(v)) {
        const inner = parseAttrPath(sub)
        if (!inner || inner.schema) throw new PatchError('invalidPath', 'bad extension attribute')
        applyAt(op, doc, { path: { ...inner, schema: path.attr } }, sv)
      }
      continue
    }
    applyAt(op, doc, { path }, v)
  }
}

export function applyPatch(resource: Json, body: Json): PatchResult {
  const ops = body[keyOf(body, 'Operations')]
  if (!Array.isArray(ops) || ops.length === 0 || ops.length > MAX_PATCH_OPERATIONS) {
    return { ok: false, scimType: 'invalidSyntax', detail: 'Operations must be a non-empty list' }
  }
  const doc = structuredClone(resource)
  try {
    for (const raw of ops) {
      if (!isObject(raw)) throw new PatchError('invalidSyntax', 'an operation must be an object')
      const op = String(raw[keyOf(raw, 'op')] ?? '').toLowerCase()
      if (op !== 'add' && op !== 'replace' && op !== 'remove') {
        throw new PatchError('invalidSyntax', 'op must be add, replace or remove')
      }
      const pathText = raw[keyOf(raw, 'path')]
      const value = raw[keyOf(raw, 'value')]
      if (pathText === undefined || pathText === null || pathText === '') {
        if (op === 'remove') throw new PatchError('noTarget', 'remove needs a path')
        applyMerge(op, doc, value)
        continue
      }
      if (typeof pathText !== 'string') throw new PatchError('invalidPath', 'path must be a string')
      const p = parsePatchPath(pathText)
      if (!p) {
        // A bad filter inside the brackets is an invalid path too (RFC 7644 §3.5.2).
        throw new PatchError('invalidPath', 'path does not parse')
      }
      if (op !== 'remove' && value === undefined) {
        throw new PatchError('invalidValue', 'value is required')
      }
      applyAt(op, doc, p, value)
    }
  } catch (e) {
    if (e instanceof PatchError) return { ok: false, scimType: e.scimType, detail: e.message }
    throw e
  }
  return { ok: true, value: doc }
}
