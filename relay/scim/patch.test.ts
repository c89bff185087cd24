import { assertEquals } from '../storage/_assert.ts'
import { applyPatch } from './patch.ts'
import { canonicalizeUser } from './schemas.ts'

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const base = () => ({
  userName: 'a@x',
  active: true,
  emails: [{ value: 'a@x', type: 'work', primary: true }],
  name: { givenName: 'A', familyName: 'B' },
})
const patch = (doc: Record<string, unknown>, ...Operations: unknown[]) => {
  const r = applyPatch(doc, { schemas: [PATCH_OP], Operations })
  if (!r.ok) return r
  const c = canonicalizeUser(r.value)
  return c.ok ? c.value : c
}

Deno.test('PATCH: Entra "Replace" of active with the string "False" gives a boolean', () => {
  assertEquals(patch(base(), { op: 'Replace', path: 'active', value: 'False' }), {
    ...base(),
    active: false,
  })
  assertEquals(patch(base(), { op: 'replace', path: 'ACTIVE', value: 'true' }), base())
})

Deno.test('PATCH: a filtered path replaces the matching element, or adds one seeded from the filter', () => {
  const r = patch(base(), { op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@x' })
  assertEquals((r as Record<string, unknown>).emails, [{
    value: 'new@x',
    type: 'work',
    primary: true,
  }])
  const added = patch(base(), { op: 'Add', path: 'emails[type eq "home"].value', value: 'h@x' })
  assertEquals((added as Record<string, unknown>).emails, [
    { value: 'a@x', type: 'work', primary: true },
    { type: 'home', value: 'h@x' },
  ])
  const removed = patch(base(), { op: 'Remove', path: 'emails[type eq "work"]' })
  assertEquals((removed as Record<string, unknown>).emails, undefined)
})

Deno.test('PATCH: no path merges the value object, whose keys may be paths or the extension', () => {
  const r = patch(
    base(),
    { op: 'replace', value: { active: false, 'name.givenName': 'Z', displayName: 'Z B' } },
    { op: 'Add', value: { [ENT]: { department: 'ICU', manager: 'm-1' } } },
    { op: 'add', value: { [`${ENT}:costCenter`]: 'CC9' } },
  ) as Record<string, unknown>
  assertEquals([r.active, (r.name as Record<string, unknown>).givenName, r.displayName], [
    false,
    'Z',
    'Z B',
  ])
  assertEquals(r[ENT], { costCenter: 'CC9', department: 'ICU', manager: { value: 'm-1' } })
})

Deno.test('PATCH: add to a multi-valued attribute appends without duplicates; remove with a value array', () => {
  const g = { displayName: 'G', members: [{ value: 'u1' }] }
  const added = applyPatch(g, {
    Operations: [{ op: 'Add', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] }],
  })
  assertEquals(added.ok && added.value.members, [{ value: 'u1' }, { value: 'u2' }])
  const removed = applyPatch(g, {
    Operations: [{ op: 'Remove', path: 'members', value: [{ value: 'u1' }] }],
  })
  assertEquals(removed.ok && removed.value.members, [])
  const byFilter = applyPatch(g, { Operations: [{ op: 'remove', path: 'members[value eq "u1"]' }] })
  assertEquals(byFilter.ok && byFilter.value.members, [])
  assertEquals(g.members, [{ value: 'u1' }], 'the input is not modified')
})

Deno.test('PATCH: malformed operations are SCIM errors', () => {
  const err = (ops: unknown) => {
    const r = applyPatch(base(), { Operations: ops })
    return r.ok ? 'ok' : r.scimType
  }
  assertEquals(err([]), 'invalidSyntax')
  assertEquals(err('x'), 'invalidSyntax')
  assertEquals(err([{ op: 'copy', path: 'a' }]), 'invalidSyntax')
  assertEquals(err([{ op: 'remove' }]), 'noTarget')
  assertEquals(err([{ op: 'replace', path: 'emails[type eq' }]), 'invalidPath')
  assertEquals(err([{ op: 'replace', path: 'emails[display pr].value', value: 'x' }]), 'noTarget')
  assertEquals(err([{ op: 'replace', value: 'not an object' }]), 'invalidValue')
  assertEquals(err([{ op: 'add', path: 'title' }]), 'invalidValue')
})
