/**
 * Untrusted SCIM input never throws past the parsers (STYLE.md "Errors"): seeded random filters
 * built from the grammar's own pieces, random PATCH operations, and random bodies sent to a real
 * relay, which must answer every one with a SCIM status below 500.
 */
import { assert } from '../storage/_assert.ts'
import { matchesFilter, parseFilter } from './filter.ts'
import { applyPatch } from './patch.ts'
import { canonicalizeGroup, canonicalizeUser } from './schemas.ts'
import { oktaUser, scimRequest, withScimRelay } from '../testing/scim-client.ts'
import { seededRandom } from '../../test/seeded-random.ts'

const rng = seededRandom

const PIECES = [
  'userName',
  'emails',
  'emails.value',
  'name.givenName',
  'active',
  'members',
  'value',
  'type',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
  'meta.lastModified',
  'eq',
  'ne',
  'co',
  'sw',
  'ew',
  'gt',
  'pr',
  'and',
  'or',
  'not',
  '(',
  ')',
  '[',
  ']',
  '"x"',
  '"\\"q\\""',
  'true',
  'false',
  'null',
  '42',
  '"',
  '\\',
  '.',
  ':',
  ' ',
  '  ',
]

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 5 : 8))
  if (k === 0) return null
  if (k === 1) return r() < 0.5
  if (k === 2) return pick(r, ['True', 'False', 'maybe', ''])
  if (k === 3) return Math.floor(r() * 100)
  if (k === 4) return pick(r, PIECES)
  if (k === 5) return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, depth + 1))
  const o: Record<string, unknown> = {}
  for (let i = 0; i < Math.floor(r() * 4); i++) o[pick(r, PIECES)] = randomValue(r, depth + 1)
  return o
}

const sample = {
  userName: 'a@x',
  emails: [{ value: 'a@x', type: 'work' }],
  name: { givenName: 'A' },
  active: true,
  members: [{ value: 'u1' }],
}

const ATTRS = PIECES.slice(0, 10)
const OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']
const VALUES = ['"x"', '"a@x"', 'true', 'false', 'null', '42', '"work"']

/** A filter from the grammar (RFC 7644 §3.4.2.2), so most parse and get matched. */
function grammarFilter(r: () => number, depth = 0): string {
  const k = Math.floor(r() * (depth > 2 ? 2 : 6))
  if (k === 0) return `${pick(r, ATTRS)} ${pick(r, OPS)} ${pick(r, VALUES)}`
  if (k === 1) return `${pick(r, ATTRS)} pr`
  if (k === 2) {
    return `${grammarFilter(r, depth + 1)} ${pick(r, ['and', 'or'])} ${grammarFilter(r, depth + 1)}`
  }
  if (k === 3) return `not (${grammarFilter(r, depth + 1)})`
  if (k === 4) return `(${grammarFilter(r, depth + 1)})`
  return `${pick(r, ['emails', 'members'])}[${grammarFilter(r, depth + 1)}]`
}

Deno.test('random filters parse or are refused, and never throw when matched', () => {
  let parsed = 0
  for (let seed = 1; seed <= 3000; seed++) {
    const r = rng(seed)
    // Two in three from the grammar (one of those with a piece dropped or inserted), one noise.
    const k = r()
    let text = k < 2 / 3
      ? grammarFilter(r)
      : Array.from({ length: 1 + Math.floor(r() * 9) }, () => pick(r, PIECES)).join(' ')
    if (k < 1 / 3) {
      const words = text.split(' ')
      const at = Math.floor(r() * words.length)
      if (r() < 0.5) words.splice(at, 1)
      else words.splice(at, 0, pick(r, PIECES))
      text = words.join(' ')
    }
    const f = parseFilter(text)
    if (f.ok) {
      parsed++
      matchesFilter(sample, f.filter)
    } else assert(f.code === 'scim/invalid-filter', `seed ${seed}`)
  }
  assert(parsed > 1000, `only ${parsed} of 3000 parsed: the generator lost its grammar`)
})

Deno.test('random PATCH operations apply or are refused, and the result canonicalizes or is refused', () => {
  let applied = 0
  for (let seed = 1; seed <= 3000; seed++) {
    const r = rng(seed)
    const ops = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
      op: pick(r, ['add', 'Replace', 'remove', 'move', '']),
      ...(r() < 0.8
        ? {
          path: Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(r, PIECES)).join(
            r() < 0.5 ? '' : ' ',
          ),
        }
        : {}),
      ...(r() < 0.8 ? { value: randomValue(r) } : {}),
    }))
    const out = applyPatch(sample, { Operations: ops })
    if (out.ok) applied++
    if (out.ok) {
      canonicalizeUser(out.value)
      canonicalizeGroup(out.value)
    }
  }
  assert(applied > 100, `only ${applied} of 3000 applied`)
})

Deno.test('random bodies to a real relay get SCIM answers, never a 500', () =>
  withScimRelay(async (t) => {
    const made = await scimRequest(t, 'POST', '/scim/v2/Users', oktaUser('fuzz@ward.example', 'f1'))
    const g = await scimRequest(t, 'POST', '/scim/v2/Groups', { displayName: 'G', members: [] })
    const r = rng(7)
    for (let i = 0; i < 150; i++) {
      const target = pick(
        r,
        [
          ['POST', '/scim/v2/Users'],
          ['PUT', `/scim/v2/Users/${made.body?.id}`],
          ['PATCH', `/scim/v2/Users/${made.body?.id}`],
          ['PATCH', `/scim/v2/Groups/${g.body?.id}`],
          ['POST', '/scim/v2/Groups'],
          [
            'GET',
            `/scim/v2/Users?filter=${encodeURIComponent(pick(r, PIECES) + ' ' + pick(r, PIECES))}`,
          ],
          ['GET', `/scim/v2/Users/%E0%A4%A`],
        ] as const,
      )
      const body = target[0] === 'GET' ? undefined : target[0] === 'PATCH'
        ? {
          Operations: [{
            op: pick(r, ['add', 'replace', 'remove']),
            path: pick(r, PIECES),
            value: randomValue(r),
          }],
        }
        : randomValue(r)
      const res = await scimRequest(t, target[0], target[1], body)
      assert(res.status < 500, `${target[0]} ${target[1]} ${JSON.stringify(body)} → ${res.status}`)
      if (res.status >= 400) {
        assert(res.body?.status === String(res.status), JSON.stringify(res.body))
      }
    }
  }))
