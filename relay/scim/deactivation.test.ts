/**
 * Directory deactivation end to end (DESIGN §1 rule 8, issue 7): a real relay, a real enrolled
 * and logged-in device, and the exact PATCH / PUT / DELETE that Entra ID and Okta send.
 */
import { assert, assertEquals } from '../storage/_assert.ts'
import { signTestRevocation, type TestDevice } from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import type { TestRelay } from '../testing/test-relay.ts'
import {
  CORE_GROUP,
  entraUser,
  oktaUser,
  PATCH_OP,
  scimRequest,
  withScimRelay,
} from '../testing/scim-client.ts'
import { DIRECTORY_PAGE_USERS, type DirectoryUser } from './directory-users.ts'

/** Every page of `directoryUsers`, as the admin console reads it. */
async function directoryUsers(admin: TestClient, ref = 'du'): Promise<DirectoryUser[]> {
  const out: DirectoryUser[] = []
  let offset = 0
  do {
    admin.send({ type: 'getDirectoryUsers', ref, offset })
    const f = await admin.waitFor('directoryUsers')
    assertEquals(f.ref, ref)
    out.push(...f.users.map((u) => JSON.parse(new TextDecoder().decode(u)) as DirectoryUser))
    offset = f.next
  } while (offset !== 0)
  return out
}

async function userNamed(admin: TestClient, userName: string): Promise<DirectoryUser> {
  const u = (await directoryUsers(admin)).find((x) => x.userName === userName)
  if (!u) throw new Error(`${userName} is not listed`)
  return u
}

/** The relay refuses the device: `relay/device-revoked`, closed 4003, nothing to erase on. */
async function assertLoginRefused(t: TestRelay, device: TestDevice): Promise<void> {
  const c = await TestClient.connect(t.url)
  const reply = await c.login(device)
  assertEquals(reply, { type: 'error', code: 'relay/device-revoked', ref: '' })
  assertEquals((await c.closed).code, 4003)
}

async function assertCutOff(live: TestClient): Promise<void> {
  assertEquals(await live.waitFor('error'), {
    type: 'error',
    code: 'relay/device-revoked',
    ref: '',
  })
  assertEquals((await live.closed).code, 4003)
}

Deno.test('Entra PATCH active "False" closes the live socket, refuses logins and enrollment, and tells the admin device', () =>
  withScimRelay(async (t) => {
    const admin = await TestClient.loggedIn(t.url, t.admin)
    const made = await scimRequest(
      t,
      'POST',
      '/scim/v2/Users',
      entraUser('nurse@ward.example', 'ext-1'),
    )
    const scimId = made.body?.id as string
    const listed = await userNamed(admin, 'nurse@ward.example')
    assertEquals([listed.state, listed.scimId, listed.roleWish, listed.devices], [
      'awaiting-enrollment',
      scimId,
      null,
      [],
    ])
    assertEquals([listed.givenName, listed.familyName, listed.emails], ['Alex', 'Carter', [
      'nurse@ward.example',
    ]])

    // The admin console issues a root-signed enrollment for the directory's user id.
    const phone = await t.enroll(listed.userId, 'clinician')
    assertEquals((await userNamed(admin, 'nurse@ward.example')).state, 'enrolled')
    const live = await TestClient.loggedIn(t.url, phone)

    const off = await scimRequest(t, 'PATCH', `/scim/v2/Users/${scimId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    })
    assertEquals(off.status, 200)
    await assertCutOff(live)
    assertEquals(await admin.waitFor('userDeactivated'), {
      type: 'userDeactivated',
      userId: listed.userId,
      deviceIds: [phone.deviceId],
    })
    await assertLoginRefused(t, phone)
    let enrollError = ''
    await t.enroll(listed.userId).catch((e) => (enrollError = String(e)))
    assert(
      enrollError.includes('403') && enrollError.includes('enroll/user-deactivated'),
      enrollError,
    )
    const after = await userNamed(admin, 'nurse@ward.example')
    assertEquals([after.state, after.toRevoke], ['deactivated', [phone.deviceId]])

    // Reactivated: the user may enroll again, the old phone stays refused until revoked.
    await scimRequest(t, 'PATCH', `/scim/v2/Users/${scimId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'True' }],
    })
    await assertLoginRefused(t, phone)
    const newPhone = await t.enroll(listed.userId, 'clinician')
    const back = await TestClient.loggedIn(t.url, newPhone)
    const again = await userNamed(admin, 'nurse@ward.example')
    assertEquals([again.state, again.toRevoke], ['enrolled', [phone.deviceId]])

    // The admin device signs the revocation the relay cannot sign; then nothing is left to do.
    admin.send({
      type: 'revokeDevice',
      ref: 'rv',
      revocation: signTestRevocation(phone.deviceId, t.org),
    })
    assertEquals((await admin.waitFor('ack')).ref, 'rv')
    assertEquals((await userNamed(admin, 'nurse@ward.example')).toRevoke, [])
    await back.close()
    await admin.close()
  }))

Deno.test('Okta PUT with active false, and DELETE, cut off every device of the user at once', () =>
  withScimRelay(async (t) => {
    const admin = await TestClient.loggedIn(t.url, t.admin)
    const a = await scimRequest(t, 'POST', '/scim/v2/Users', oktaUser('sam@ward.example', '00u1'))
    const b = await scimRequest(t, 'POST', '/scim/v2/Users', oktaUser('kim@ward.example', '00u2'))
    const sam = await userNamed(admin, 'sam@ward.example')
    const kim = await userNamed(admin, 'kim@ward.example')
    const [samPhone, samTablet, kimPhone] = [
      await t.enroll(sam.userId, 'clinician'),
      await t.enroll(sam.userId, 'clinician'),
      await t.enroll(kim.userId, 'clinician'),
    ]
    const sockets = [
      await TestClient.loggedIn(t.url, samPhone),
      await TestClient.loggedIn(t.url, samTablet),
    ]
    const kimLive = await TestClient.loggedIn(t.url, kimPhone)

    const put = await scimRequest(t, 'PUT', `/scim/v2/Users/${a.body?.id}`, {
      ...oktaUser('sam@ward.example', '00u1', false),
      id: a.body?.id,
    })
    assertEquals([put.status, put.body?.active], [200, false])
    for (const s of sockets) await assertCutOff(s)
    const told = await admin.waitFor('userDeactivated')
    assertEquals(told.deviceIds.sort(), [samPhone.deviceId, samTablet.deviceId].sort())
    assertEquals(kimLive.ws.readyState, WebSocket.OPEN, 'another user is untouched')

    assertEquals((await scimRequest(t, 'DELETE', `/scim/v2/Users/${b.body?.id}`)).status, 204)
    await assertCutOff(kimLive)
    await assertLoginRefused(t, kimPhone)
    await assertLoginRefused(t, samTablet)
    const gone = (await directoryUsers(admin)).find((u) => u.userName === 'kim@ward.example')
    assertEquals([gone?.deleted, gone?.state, gone?.toRevoke], [true, 'deactivated', [
      kimPhone.deviceId,
    ]])
    await admin.close()
  }))

Deno.test('a role from SCIM groups is only a wish: shown to admins, never granted', () =>
  withScimRelay(async (t) => {
    const admin = await TestClient.loggedIn(t.url, t.admin)
    const u = await scimRequest(t, 'POST', '/scim/v2/Users', entraUser('it@ward.example', 'it-1'))
    const v = await scimRequest(t, 'POST', '/scim/v2/Users', entraUser('co@ward.example', 'co-1'))
    await scimRequest(t, 'POST', '/scim/v2/Groups', {
      schemas: [CORE_GROUP],
      displayName: 'IT Admins',
      members: [{ value: u.body?.id }],
    })
    await scimRequest(t, 'POST', '/scim/v2/Groups', {
      schemas: [CORE_GROUP],
      displayName: 'Compliance Officer',
      members: [{ value: v.body?.id }],
    })
    const it = await userNamed(admin, 'it@ward.example')
    assertEquals([it.roleWish, it.groups], ['admin', ['IT Admins']])
    assertEquals((await userNamed(admin, 'co@ward.example')).roleWish, 'compliance')

    // Enrolled as a clinician by the root-signed authorization: the wish grants nothing.
    const device = await t.enroll(it.userId, 'clinician')
    const c = await TestClient.connect(t.url)
    const ready = await c.login(device)
    assertEquals(ready.type === 'ready' && ready.role, 'clinician')
    c.send({ type: 'getDirectoryUsers', ref: 'x', offset: 0 })
    assertEquals(await c.waitFor('error'), { type: 'error', code: 'relay/forbidden', ref: 'x' })
    await c.close()
    await admin.close()
  }, { roleMap: { 'IT Admins': 'admin' } }))

Deno.test('directory writes tell logged-in admin devices to refetch, a burst of them once more', () =>
  withScimRelay(async (t) => {
    const admin = await TestClient.loggedIn(t.url, t.admin)
    await scimRequest(t, 'POST', '/scim/v2/Users', entraUser('new@ward.example', 'n-1'))
    assertEquals((await admin.waitFor('directoryChanged')).type, 'directoryChanged')
    for (let i = 0; i < 5; i++) {
      await scimRequest(t, 'POST', '/scim/v2/Users', entraUser(`burst${i}@ward.example`, `b-${i}`))
    }
    // An initial sync must not make admin devices refetch once per user: at most one notice a
    // second (one trailing notice unless the burst itself took over a second).
    let notices = 0
    const until = Date.now() + 2500
    while (Date.now() < until) {
      try {
        if ((await admin.nextAny(until - Date.now())).type === 'directoryChanged') notices++
      } catch {
        break // quiet until the end of the window
      }
    }
    assert(notices >= 1 && notices <= 2, `${notices} notices for a burst of 5 writes`)
    assertEquals((await directoryUsers(admin)).length, 6)
    await admin.close()
  }))

Deno.test('directoryUsers comes in pages the admin console follows with next', () =>
  withScimRelay(async (t) => {
    const admin = await TestClient.loggedIn(t.url, t.admin)
    const n = DIRECTORY_PAGE_USERS + 5
    for (let i = 0; i < n; i++) {
      assertEquals(
        (await scimRequest(t, 'POST', '/scim/v2/Users', oktaUser(`u${i}@ward.example`, `o${i}`)))
          .status,
        201,
      )
    }
    admin.send({ type: 'getDirectoryUsers', ref: 'p1', offset: 0 })
    const first = await admin.waitFor('directoryUsers')
    assertEquals([first.users.length, first.next], [DIRECTORY_PAGE_USERS, DIRECTORY_PAGE_USERS])
    const all = await directoryUsers(admin)
    assertEquals(
      all.map((u) => u.userName),
      Array.from({ length: n }, (_, i) => `u${i}@ward.example`),
    )
    assert(all.every((u) => u.state === 'awaiting-enrollment'))
    await admin.close()
  }))
