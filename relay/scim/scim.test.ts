/**
 * SCIM 2.0 against a real relay on port 0, with the request bodies Entra ID and Okta send.
 */
import { assert, assertEquals } from '../storage/_assert.ts'
import { startTestRelay } from '../testing/test-relay.ts'
import {
  CORE_GROUP,
  ENTERPRISE,
  entraUser,
  type Json,
  oktaUser,
  PATCH_OP,
  scimRequest,
  withScimRelay,
} from '../testing/scim-client.ts'

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
const q = encodeURIComponent

Deno.test('without WARDLINE_SCIM_TOKEN every /scim path is 404', async () => {
  const t = await startTestRelay()
  try {
    for (
      const path of [
        '/scim',
        '/scim/v2/Users',
        '/scim/v2/ServiceProviderConfig',
        '/scim/v2/Groups/x',
      ]
    ) {
      const r = await scimRequest(t, 'GET', path)
      assertEquals(r.status, 404, path)
    }
    assertEquals(
      (await scimRequest(t, 'POST', '/scim/v2/Users', entraUser('a@x', 'e1'))).status,
      404,
    )
  } finally {
    await t.close()
  }
})

Deno.test('a missing or wrong bearer token gets 401 with the SCIM error body', () =>
  withScimRelay(async (t) => {
    for (const token of [null, 'wrong', 'scim-test-token-6f1d2', 'scim-test-token-6f1d2bX']) {
      const r = await scimRequest(t, 'GET', '/scim/v2/Users', undefined, token)
      assertEquals(r.status, 401)
      assertEquals(r.body?.schemas, [ERROR])
      assertEquals(r.body?.status, '401')
      assertEquals(r.headers.get('content-type'), 'application/scim+json')
    }
    const ok = await scimRequest(t, 'GET', '/scim/v2/Users')
    assertEquals(ok.status, 200)
  }))

Deno.test('discovery: ServiceProviderConfig, ResourceTypes and Schemas', () =>
  withScimRelay(async (t) => {
    const spc = await scimRequest(t, 'GET', '/scim/v2/ServiceProviderConfig')
    assertEquals(spc.status, 200)
    assertEquals((spc.body?.patch as Json).supported, true)
    assertEquals((spc.body?.filter as Json).supported, true)
    assertEquals((spc.body?.bulk as Json).supported, false)
    const types = await scimRequest(t, 'GET', '/scim/v2/ResourceTypes')
    assertEquals(types.body?.schemas, [LIST])
    assertEquals((types.body?.Resources as Json[]).map((r) => r.endpoint), ['/Users', '/Groups'])
    const schemas = await scimRequest(t, 'GET', '/scim/v2/Schemas')
    assertEquals(schemas.body?.totalResults, 3)
    const ent = await scimRequest(t, 'GET', `/scim/v2/Schemas/${ENTERPRISE}`)
    assertEquals(ent.body?.id, ENTERPRISE)
    assertEquals(
      (await scimRequest(t, 'GET', '/scim/v2/ResourceTypes/Group')).body?.schema,
      CORE_GROUP,
    )
  }))

Deno.test('Entra ID: create, look up by userName and externalId, PATCH active "False" and emails[type eq "work"].value', () =>
  withScimRelay(async (t) => {
    // Entra first looks the user up, then creates it.
    const none = await scimRequest(
      t,
      'GET',
      `/scim/v2/Users?filter=${q('userName eq "alex.carter@ward.example"')}`,
    )
    assertEquals([none.body?.totalResults, none.body?.Resources], [0, []])
    const made = await scimRequest(
      t,
      'POST',
      '/scim/v2/Users',
      entraUser('alex.carter@ward.example', '0a21f0f2-8d2a'),
    )
    assertEquals(made.status, 201)
    assert(made.headers.get('content-type')?.startsWith('application/scim+json'))
    const id = made.body?.id as string
    assertEquals(made.headers.get('location'), `${t.url}/scim/v2/Users/${id}`)
    assertEquals((made.body?.[ENTERPRISE] as Json).department, 'ICU')
    assertEquals((made.body?.meta as Json).resourceType, 'User')
    // Attribute names and the operator ignore case.
    const found = await scimRequest(
      t,
      'GET',
      `/scim/v2/Users?filter=${q('USERNAME EQ "Alex.Carter@ward.example"')}`,
    )
    assertEquals((found.body?.Resources as Json[]).map((r) => r.id), [id])
    const byExt = await scimRequest(
      t,
      'GET',
      `/scim/v2/Users?filter=${q('externalId eq "0a21f0f2-8d2a"')}`,
    )
    assertEquals(byExt.body?.totalResults, 1)

    const work = await scimRequest(t, 'PATCH', `/scim/v2/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'alex.c@ward.example' },
        { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+44 7700 900123' },
        { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Cardiology' },
        { op: 'Add', path: `${ENTERPRISE}:manager`, value: 'c6d4e1b0' },
        { op: 'Replace', path: 'name.givenName', value: 'Alexandra' },
      ],
    })
    assertEquals(work.status, 200)
    assertEquals(work.body?.emails, [{ primary: true, type: 'work', value: 'alex.c@ward.example' }])
    assertEquals(work.body?.phoneNumbers, [{ type: 'mobile', value: '+44 7700 900123' }])
    assertEquals(work.body?.[ENTERPRISE], {
      department: 'Cardiology',
      employeeNumber: '1042',
      manager: { value: 'c6d4e1b0' },
    })
    assertEquals((work.body?.name as Json).givenName, 'Alexandra')

    const off = await scimRequest(t, 'PATCH', `/scim/v2/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    })
    assertEquals([off.status, off.body?.active], [200, false])
    const inactive = await scimRequest(t, 'GET', `/scim/v2/Users?filter=${q('active eq false')}`)
    assertEquals(inactive.body?.totalResults, 1)
    const on = await scimRequest(t, 'PATCH', `/scim/v2/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { active: 'True', 'name.familyName': 'Carter-Jones' } }],
    })
    assertEquals([on.body?.active, (on.body?.name as Json).familyName], [true, 'Carter-Jones'])
  }))

Deno.test('Okta: filter lookups with startIndex and count, PUT of the full user, no-path replace, DELETE', () =>
  withScimRelay(async (t) => {
    const look = await scimRequest(
      t,
      'GET',
      `/scim/v2/Users?filter=${q('userName eq "sam.okafor@ward.example"')}&startIndex=1&count=100`,
    )
    assertEquals(look.body, {
      schemas: [LIST],
      totalResults: 0,
      itemsPerPage: 0,
      startIndex: 1,
      Resources: [],
    })
    const made = await scimRequest(
      t,
      'POST',
      '/scim/v2/Users',
      oktaUser('sam.okafor@ward.example', '00u1abcd'),
    )
    assertEquals(made.status, 201)
    assert(
      !('password' in made.body!) && !('groups' in made.body!),
      'unknown attributes are not kept',
    )
    const id = made.body?.id as string
    const again = await scimRequest(
      t,
      'GET',
      `/scim/v2/Users?filter=${q('userName eq "sam.okafor@ward.example"')}&startIndex=1&count=100`,
    )
    assertEquals([again.body?.totalResults, again.body?.itemsPerPage], [1, 1])

    const full = {
      ...oktaUser('sam.okafor@ward.example', '00u1abcd'),
      id,
      displayName: 'Sam O.',
      name: { givenName: 'Sam', familyName: 'O.' },
    }
    const put = await scimRequest(t, 'PUT', `/scim/v2/Users/${id}`, full)
    assertEquals([put.status, put.body?.displayName, (put.body?.meta as Json).version], [
      200,
      'Sam O.',
      'W/"2"',
    ])

    const off = await scimRequest(t, 'PATCH', `/scim/v2/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { active: false } }],
    })
    assertEquals(off.body?.active, false)
    // A PUT that leaves `active` out does not reactivate the user.
    const withoutActive: Json = { ...full }
    delete withoutActive.active
    const kept = await scimRequest(t, 'PUT', `/scim/v2/Users/${id}`, withoutActive)
    assertEquals([kept.status, kept.body?.active], [200, false])
    const deleted = await scimRequest(t, 'DELETE', `/scim/v2/Users/${id}`)
    assertEquals(deleted.status, 204)
    const gone = await scimRequest(t, 'GET', `/scim/v2/Users/${id}`)
    assertEquals([gone.status, gone.body?.schemas, gone.body?.status], [404, [ERROR], '404'])
    assertEquals((await scimRequest(t, 'DELETE', `/scim/v2/Users/${id}`)).status, 404)
  }))

Deno.test('a duplicate userName is 409 uniqueness; a bad filter is 400 invalidFilter; bad PATCH ops are 400', () =>
  withScimRelay(async (t) => {
    const a = await scimRequest(t, 'POST', '/scim/v2/Users', oktaUser('dup@ward.example', 'x1'))
    assertEquals(a.status, 201)
    const b = await scimRequest(t, 'POST', '/scim/v2/Users', oktaUser('DUP@ward.example', 'x2'))
    assertEquals(b.status, 409)
    assertEquals(b.body, {
      schemas: [ERROR],
      status: '409',
      scimType: 'uniqueness',
      detail: 'userName is already taken',
    })
    for (
      const f of [
        'userName eq',
        'userName zz "a"',
        '(userName eq "a"',
        'userName eq "a" and',
        'emails[type eq "work"',
      ]
    ) {
      const r = await scimRequest(t, 'GET', `/scim/v2/Users?filter=${q(f)}`)
      assertEquals([r.status, r.body?.scimType, r.body?.status], [400, 'invalidFilter', '400'], f)
    }
    const id = a.body?.id as string
    const badOp = await scimRequest(t, 'PATCH', `/scim/v2/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'move', path: 'active', value: false }],
    })
    assertEquals([badOp.status, badOp.body?.scimType], [400, 'invalidSyntax'])
    const noTarget = await scimRequest(t, 'PATCH', `/scim/v2/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Remove' }],
    })
    assertEquals([noTarget.status, noTarget.body?.scimType], [400, 'noTarget'])
    const badBool = await scimRequest(t, 'PATCH', `/scim/v2/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'maybe' }],
    })
    assertEquals([badBool.status, badBool.body?.scimType], [400, 'invalidValue'])
    const noName = await scimRequest(t, 'POST', '/scim/v2/Users', { schemas: [], displayName: 'x' })
    assertEquals([noName.status, noName.body?.scimType], [400, 'invalidValue'])
    assertEquals(
      (await scimRequest(t, 'PATCH', '/scim/v2/Users/nope', {
        Operations: [{ op: 'add', path: 'title', value: 'x' }],
      })).status,
      404,
    )
  }))

Deno.test('pagination: startIndex and count page through users in a stable order', () =>
  withScimRelay(async (t) => {
    for (let i = 0; i < 7; i++) {
      assertEquals(
        (await scimRequest(t, 'POST', '/scim/v2/Users', oktaUser(`p${i}@ward.example`, `p${i}`)))
          .status,
        201,
      )
    }
    const seen: string[] = []
    for (let start = 1; start <= 7; start += 3) {
      const page = await scimRequest(t, 'GET', `/scim/v2/Users?startIndex=${start}&count=3`)
      assertEquals([page.body?.totalResults, page.body?.startIndex], [7, start])
      seen.push(...(page.body?.Resources as Json[]).map((r) => r.userName as string))
    }
    assertEquals(seen, [0, 1, 2, 3, 4, 5, 6].map((i) => `p${i}@ward.example`))
    const count0 = await scimRequest(t, 'GET', '/scim/v2/Users?count=0')
    assertEquals([count0.body?.totalResults, count0.body?.itemsPerPage], [7, 0])
    const co = await scimRequest(
      t,
      'GET',
      `/scim/v2/Users?filter=${q('userName sw "p1" or userName co "5@"')}`,
    )
    assertEquals((co.body?.Resources as Json[]).map((r) => r.userName), [
      'p1@ward.example',
      'p5@ward.example',
    ])
    const only = await scimRequest(t, 'GET', '/scim/v2/Users?attributes=userName&count=1')
    assertEquals(Object.keys((only.body?.Resources as Json[])[0]!).sort(), [
      'id',
      'meta',
      'schemas',
      'userName',
    ])
  }))

Deno.test('groups: Entra adds and removes members (value array), Okta removes by filter path and renames', () =>
  withScimRelay(async (t) => {
    const ids: string[] = []
    for (const n of ['a', 'b', 'c']) {
      ids.push(
        (await scimRequest(t, 'POST', '/scim/v2/Users', entraUser(`${n}@ward.example`, n))).body
          ?.id as string,
      )
    }
    const [a, b, c] = ids as [string, string, string]
    const g = await scimRequest(t, 'POST', '/scim/v2/Groups', {
      schemas: [CORE_GROUP],
      externalId: 'e-g1',
      displayName: 'ICU Nurses',
      members: [],
    })
    assertEquals(g.status, 201)
    const gid = g.body?.id as string
    const look = await scimRequest(
      t,
      'GET',
      `/scim/v2/Groups?excludedAttributes=members&filter=${q('displayName eq "icu nurses"')}`,
    )
    assertEquals((look.body?.Resources as Json[]).map((r) => [r.id, 'members' in r]), [[
      gid,
      false,
    ]])

    const isMember = async (user: string) => {
      const f = q(`id eq "${gid}" and members eq "${user}"`)
      const r = await scimRequest(
        t,
        'GET',
        `/scim/v2/Groups?filter=${f}&excludedAttributes=members`,
      )
      return r.body?.totalResults === 1
    }
    assertEquals(await isMember(a), false)
    const add = await scimRequest(t, 'PATCH', `/scim/v2/Groups/${gid}`, {
      schemas: [PATCH_OP],
      Operations: [{
        op: 'Add',
        path: 'members',
        value: [{ value: a }, { value: b }, { value: c }],
      }],
    })
    assertEquals(add.status, 204)
    const members = async () =>
      ((await scimRequest(t, 'GET', `/scim/v2/Groups/${gid}`)).body?.members as Json[]).map((m) =>
        m.value
      ).sort()
    assertEquals(await members(), [a, b, c].sort())
    assertEquals(await isMember(a), true, "Entra's membership check: id eq … and members eq …")
    await scimRequest(t, 'PATCH', `/scim/v2/Groups/${gid}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Remove', path: 'members', value: [{ value: a }] }],
    })
    assertEquals(await members(), [b, c].sort())
    await scimRequest(t, 'PATCH', `/scim/v2/Groups/${gid}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'remove', path: `members[value eq "${b}"]` },
        { op: 'replace', value: { id: gid, displayName: 'ICU Nurses (Ward 4)' } },
      ],
    })
    assertEquals(await members(), [c])
    assertEquals(
      (await scimRequest(t, 'GET', `/scim/v2/Groups/${gid}`)).body?.displayName,
      'ICU Nurses (Ward 4)',
    )
    const unknown = await scimRequest(t, 'PATCH', `/scim/v2/Groups/${gid}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: [{ value: 'no-such-user' }] }],
    })
    assertEquals([unknown.status, unknown.body?.scimType], [400, 'invalidValue'])
    const put = await scimRequest(t, 'PUT', `/scim/v2/Groups/${gid}`, {
      schemas: [CORE_GROUP],
      displayName: 'ICU Nurses',
      members: [{ value: a, display: 'a' }],
    })
    assertEquals((put.body?.members as Json[]).map((m) => m.value), [a])
    assertEquals((await scimRequest(t, 'DELETE', `/scim/v2/Groups/${gid}`)).status, 204)
    assertEquals((await scimRequest(t, 'GET', `/scim/v2/Groups/${gid}`)).status, 404)
  }))

Deno.test('an over-long attribute or too many values is refused as invalidValue, and nothing is stored', () =>
  withScimRelay(async (t) => {
    const long = await scimRequest(t, 'POST', '/scim/v2/Users', { ...oktaUser('x@ward.example', 'ext-long'), userName: 'a'.repeat(200_000) })
    assertEquals([long.status, long.body?.scimType], [400, 'invalidValue'])
    const many = await scimRequest(t, 'POST', '/scim/v2/Users', {
      ...oktaUser('y@ward.example', 'ext-many'),
      emails: Array.from({ length: 100 }, (_, i) => ({ value: `y${i}@ward.example` })),
    })
    assertEquals([many.status, many.body?.scimType], [400, 'invalidValue'])
    const list = await scimRequest(t, 'GET', '/scim/v2/Users')
    assertEquals(list.body?.totalResults, 0)
  }))
