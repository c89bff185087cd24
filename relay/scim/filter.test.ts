import { assert, assertEquals } from '../storage/_assert.ts'
import { matchesFilter, parseFilter } from './filter.ts'
import { parseAttrPath } from './paths.ts'
import { parseRoleMap, roleWish } from './roles.ts'

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const user = {
  id: '2819c223-7f76-453a-919d-413861904646',
  externalId: 'Ext-1',
  userName: 'Bjensen@Example.com',
  active: true,
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  [ENT]: { department: 'ICU' },
  meta: { lastModified: '2026-01-02T00:00:00.000Z' },
}

const matches = (f: string) => {
  const p = parseFilter(f)
  if (!p.ok) throw new Error(`did not parse: ${f}`)
  return matchesFilter(user, p.filter)
}

Deno.test('filters: eq ignores case of names, operator and (non-exact) values', () => {
  assert(matches('userName eq "bjensen@example.com"'))
  assert(matches('USERNAME EQ "BJENSEN@EXAMPLE.COM"'))
  assert(matches('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com"'))
  assert(matches('externalId eq "Ext-1"'))
  assert(!matches('externalId eq "ext-1"'), 'externalId is case-exact (RFC 7643 §3.1)')
  assert(matches(`id eq "${user.id}"`))
})

Deno.test('filters: and, or, not, parentheses, co, sw, ew, pr, booleans and dates', () => {
  assert(matches('name.familyName co "ens" and active eq true'))
  assert(matches('userName sw "bj" and (emails.type eq "home" or title pr)'))
  assert(!matches('not (userName ew ".com")'))
  assert(matches('title pr or name.givenName pr'))
  assert(!matches('title pr'))
  assert(matches('active eq "True"'), 'Entra-style string booleans compare as booleans')
  assert(matches('meta.lastModified gt "2025-12-31T00:00:00Z"'))
  assert(matches('emails eq "BABS@jensen.org"'), 'a multi-valued attribute compares its values')
  assert(matches('emails[type eq "work" and value co "example"]'))
  assert(!matches('emails[type eq "other"]'))
  assert(matches(`${ENT}:department eq "icu"`))
  assert(matches('userName ne "someone@else"'))
})

Deno.test('filters: malformed input is invalid-filter, never a throw', () => {
  for (
    const f of [
      '',
      'userName',
      'userName eq',
      'userName eq "unterminated',
      'userName xx "a"',
      '(userName eq "a"',
      'userName eq "a" or',
      'not userName eq "a"',
      'emails[type eq "work"',
      'eq eq eq',
      'a eq b',
      '"x" eq "y"',
      '('.repeat(100) + 'userName eq "a"' + ')'.repeat(100),
      'x'.repeat(3000),
    ]
  ) {
    assertEquals(parseFilter(f), { ok: false, code: 'scim/invalid-filter' }, f)
  }
})

Deno.test('attribute paths: core prefix dropped, extension named, sub-attributes kept', () => {
  assertEquals(parseAttrPath('name.givenName'), { attr: 'name', sub: 'givenName' })
  assertEquals(parseAttrPath('urn:ietf:params:scim:schemas:core:2.0:User:userName'), {
    attr: 'userName',
  })
  assertEquals(parseAttrPath(`${ENT}:manager.value`), {
    schema: ENT,
    attr: 'manager',
    sub: 'value',
  })
  assertEquals(parseAttrPath(ENT.toUpperCase()), { attr: ENT })
  assertEquals(parseAttrPath('a.b.c'), null)
  assertEquals(parseAttrPath('urn:unknown:ext:attr'), null)
})

Deno.test('WARDLINE_SCIM_ROLE_MAP: a JSON object of group name → role; misuse throws RangeError', () => {
  const map = parseRoleMap('{"ICU Nurses":"clinician","IT Admins":"admin"}')
  assertEquals(roleWish(['icu nurses '], map), 'clinician')
  assertEquals(roleWish(['ICU Nurses', 'IT Admins'], map), 'admin')
  assertEquals(roleWish(['Compliance Officer'], map), 'compliance')
  assertEquals(roleWish(['Porters'], map), null)
  assertEquals(parseRoleMap(undefined).size, 0)
  for (const bad of ['not json', '[]', '{"X":"superuser"}', '"admin"']) {
    let thrown: unknown = null
    try {
      parseRoleMap(bad)
    } catch (e) {
      thrown = e
    }
    assert(
      thrown instanceof RangeError && thrown.message.startsWith('expected WARDLINE_SCIM_ROLE_MAP'),
      bad,
    )
  }
})
