/**
 * SCIM filter expressions (RFC 7644 §3.4.2.2): `parseFilter` turns the untrusted `filter` query
 * parameter (or the bracketed part of a PATCH path) into a small tree, `matchesFilter` tests a
 * SCIM resource (plain JSON) against it. Attribute names and operators are case-insensitive;
 * string comparison ignores case except for the case-exact id and externalId (RFC 7643 §3.1). Supports eq ne co sw ew gt ge lt le pr, and, or, not, parentheses and
 * valuePath brackets (`emails[type eq "work" and primary eq true]`). Touches no storage.
 * Slightly past the ~250-line norm: the tokenizer, grammar and evaluator read best together.
 */
import { type AttrPath, parseAttrPath } from './paths.ts'

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le'
export type Filter =
  | { kind: 'compare'; path: AttrPath; op: CompareOp; value: string | number | boolean | null }
  | { kind: 'present'; path: AttrPath }
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  /** `attr[filter]`: some element of the multi-valued attribute matches `filter`. */
  | { kind: 'valuePath'; path: AttrPath; filter: Filter }

export type FilterResult = { ok: true; filter: Filter } | { ok: false; code: 'scim/invalid-filter' }

const OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'])
/** Longest filter accepted: IdPs send short ones; this bounds the parser's work. */
export const MAX_FILTER_LENGTH = 2048
const MAX_DEPTH = 32

type Token = { t: 'word' | 'string' | '(' | ')' | '[' | ']'; v: string }

function tokenize(input: string): Token[] | null {
  const out: Token[] = []
  let i = 0
  while (i < input.length) {
    const ch = input[i]!
    if (/\s/.test(ch)) {
      i++
    } else if ('()[]'.includes(ch)) {
      out.push({ t: ch as Token['t'], v: ch })
      i++
    } else if (ch === '"') {
      // A JSON string: find its end honouring escapes, then let JSON.parse decode it.
      let j = i + 1
      while (j < input.length && input[j] !== '"') j += input[j] === '\\' ? 2 : 1
      if (j >= input.length) return null
      try {
        out.push({ t: 'string', v: JSON.parse(input.slice(i, j + 1)) as string })
      } catch {
        return null
      }
      i = j + 1
    } else {
      let j = i
      while (j < input.length && !/[\s()[\]"]/.test(input[j]!)) j++
      out.push({ t: 'word', v: input.slice(i, j) })
      i = j
    }
  }
  return out
}

class Parser {
  private i = 0
  private depth = 0
  constructor(private readonly tokens: Token[]) {}

  private peekWord(): string | null {
    const t = this.tokens[this.i]
    return t?.t === 'word' ? t.v.toLowerCase() : null
  }

  private fail(): never {
    throw new SyntaxError('invalid filter')
  }

  private expect(t: Token['t']): Token {
    const tok = this.tokens[this.i++]
    if (tok?.t !== t) this.fail()
    return tok
  }

  parseAll(): Filter {
    const f = this.parseOr()
    if (this.i !== this.tokens.length) this.fail()
    return f
  }

  parseOr(): Filter {
    if (++this.depth > MAX_DEPTH) this.fail()
    let left = this.parseAnd()
    while (this.peekWord() === 'or') {
      this.i++
      left = { kind: 'or', left, right: this.parseAnd() }
    }
    this.depth--
    return left
  }

  private parseAnd(): Filter {
    let left = this.parseUnary()
    while (this.peekWord() === 'and') {
      this.i++
      left = { kind: 'and', left, right: this.parseUnary() }
    }
    return left
  }

  private parseUnary(): Filter {
    const tok = this.tokens[this.i]
    if (!tok) this.fail()
    if (tok.t === '(') {
      this.i++
      const inner = this.parseOr()
      this.expect(')')
      return inner
    }
    if (tok.t === 'word' && tok.v.toLowerCase() === 'not' && this.tokens[this.i + 1]?.t === '(') {
      this.i += 2
      const inner = this.parseOr()
      this.expect(')')
      return { kind: 'not', filter: inner }
    }
    return this.parseAttrExp()
  }

  private parseAttrExp(): Filter {
    const name = this.expect('word').v
    const path = parseAttrPath(name)
    if (!path) this.fail()
    if (this.tokens[this.i]?.t === '[') {
      this.i++
      const inner = this.parseOr()
      this.expect(']')
      return { kind: 'valuePath', path, filter: inner }
    }
    const op = this.peekWord()
    if (op === 'pr') {
      this.i++
      return { kind: 'present', path }
    }
    if (!op || !OPS.has(op)) this.fail()
    this.i++
    return { kind: 'compare', path, op: op as CompareOp, value: this.parseValue() }
  }

  private parseValue(): string | number | boolean | null {
    const tok = this.tokens[this.i++]
    if (!tok) this.fail()
    if (tok.t === 'string') return tok.v
    if (tok.t !== 'word') this.fail()
    const w = tok.v.toLowerCase()
    if (w === 'true') return true
    if (w === 'false') return false
    if (w === 'null') return null
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(tok.v)) return Number(tok.v)
    this.fail()
  }
}

export function parseFilter(input: string): FilterResult {
  if (input.length === 0 || input.length > MAX_FILTER_LENGTH) {
    return { ok: false, code: 'scim/invalid-filter' }
  }
  const tokens = tokenize(input)
  if (!tokens) return { ok: false, code: 'scim/invalid-filter' }
  try {
    return { ok: true, filter: new Parser(tokens).parseAll() }
  } catch {
    return { ok: false, code: 'scim/invalid-filter' }
  }
}

/** Attributes whose strings compare exactly (RFC 7643 §3.1); ids are lower-case UUIDs anyway. */
const CASE_EXACT = new Set(['id', 'externalid'])

function findKey(obj: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase()
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k]
  return undefined
}

/** The values at `path` in `resource`: one per element for multi-valued attributes. */
export function valuesAt(resource: Record<string, unknown>, path: AttrPath): unknown[] {
  let base: unknown = resource
  if (path.schema) base = findKey(resource, path.schema)
  if (typeof base !== 'object' || base === null) return []
  const top = findKey(base as Record<string, unknown>, path.attr)
  const items = Array.isArray(top) ? top : top === undefined ? [] : [top]
  if (!path.sub) {
    // `emails eq "x"` compares each element's `value` (RFC 7644 §3.4.2.2, multi-valued).
    return items.map((v) =>
      typeof v === 'object' && v !== null && !Array.isArray(v)
        ? findKey(v as Record<string, unknown>, 'value')
        : v
    )
  }
  return items.flatMap((v) =>
    typeof v === 'object' && v !== null ? [findKey(v as Record<string, unknown>, path.sub!)] : []
  )
}

function compare(actual: unknown, op: CompareOp, expected: unknown, exact: boolean): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    const a = exact ? actual : actual.toLowerCase()
    const e = exact ? expected : expected.toLowerCase()
    switch (op) {
      case 'eq':
        return a === e
      case 'ne':
        return a !== e
      case 'co':
        return a.includes(e)
      case 'sw':
        return a.startsWith(e)
      case 'ew':
        return a.endsWith(e)
      case 'gt':
        return a > e
      case 'ge':
        return a >= e
      case 'lt':
        return a < e
      case 'le':
        return a <= e
    }
  }
  // Booleans sent as strings by Entra ("True") compare as booleans.
  const norm = (v: unknown) =>
    typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v
  const a = norm(actual)
  const e = norm(expected)
  if (op === 'eq') return a === e
  if (op === 'ne') return a !== e
  if (typeof a === 'number' && typeof e === 'number') {
    return op === 'gt'
      ? a > e
      : op === 'ge'
      ? a >= e
      : op === 'lt'
      ? a < e
      : op === 'le'
      ? a <= e
      : false
  }
  return false
}

export function matchesFilter(resource: Record<string, unknown>, f: Filter): boolean {
  switch (f.kind) {
    case 'and':
      return matchesFilter(resource, f.left) && matchesFilter(resource, f.right)
    case 'or':
      return matchesFilter(resource, f.left) || matchesFilter(resource, f.right)
    case 'not':
      return !matchesFilter(resource, f.filter)
    case 'present':
      return valuesAt(resource, f.path).some((v) => v !== null && v !== undefined && v !== '')
    case 'compare': {
      const exact = CASE_EXACT.has((f.path.sub ?? f.path.attr).toLowerCase())
      const values = valuesAt(resource, f.path)
      if (f.op === 'ne') return values.every((v) => compare(v, 'ne', f.value, exact))
      return values.some((v) => compare(v, f.op, f.value, exact))
    }
    case 'valuePath': {
      let base: unknown = resource
      if (f.path.schema) base = findKey(resource, f.path.schema)
      const top = typeof base === 'object' && base !== null
        ? findKey(base as Record<string, unknown>, f.path.attr)
        : undefined
      const items = Array.isArray(top) ? top : []
      return items.some((el) =>
        typeof el === 'object' && el !== null &&
        matchesFilter(el as Record<string, unknown>, f.filter)
      )
    }
  }
}
