import { toBase64url } from '../../crypto/bytes.ts'
import { assertEquals } from '../storage/_assert.ts'
import { createAuthorization, createDevice } from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { postJson, startTestRelay } from '../testing/test-relay.ts'

Deno.test('revokeAuthorization: a revoked code cannot enroll (enroll/code-revoked), a used one cannot be revoked, nurses are refused', async () => {
  const t = await startTestRelay()
  try {
    const auth = createAuthorization(t.org, { userId: 'u-new' })
    await t.putAuthorization(auth)
    const admin = await TestClient.loggedIn(t.url, t.admin)
    admin.send({ type: 'revokeAuthorization', ref: 'r1', authorizationId: auth.id })
    assertEquals((await admin.waitFor('ack')).ref, 'r1')
    admin.send({ type: 'revokeAuthorization', ref: 'r2', authorizationId: auth.id })
    assertEquals((await admin.waitFor('ack')).ref, 'r2') // idempotent
    const lookup = await fetch(`${t.url}/api/authorizations/${auth.id}`)
    assertEquals([lookup.status, await lookup.json()], [410, { error: 'enroll/code-revoked' }])
    const device = createDevice(auth)
    const r = await postJson(`${t.url}/api/devices`, {
      authorizationId: auth.id,
      binding: toBase64url(device.binding),
    })
    assertEquals([r.status, await r.json()], [410, { error: 'enroll/code-revoked' }])

    const used = await t.enroll('u-used')
    admin.send({ type: 'revokeAuthorization', ref: 'r3', authorizationId: used.authorization.id })
    assertEquals(await admin.waitFor('error'), {
      type: 'error',
      code: 'enroll/code-used',
      ref: 'r3',
    })
    admin.send({ type: 'revokeAuthorization', ref: 'r4', authorizationId: 'f'.repeat(64) })
    assertEquals(await admin.waitFor('error'), {
      type: 'error',
      code: 'enroll/unknown-code',
      ref: 'r4',
    })

    const nurse = await TestClient.loggedIn(t.url, used)
    nurse.send({ type: 'revokeAuthorization', ref: 'n', authorizationId: auth.id })
    assertEquals(await nurse.waitFor('error'), { type: 'error', code: 'relay/forbidden', ref: 'n' })
    nurse.send({ type: 'getDevicesSeen', ref: 'n2' })
    assertEquals(await nurse.waitFor('error'), {
      type: 'error',
      code: 'relay/forbidden',
      ref: 'n2',
    })
    await nurse.close()
    await admin.close()
  } finally {
    await t.close()
  }
})

Deno.test('getDevicesSeen lists the last login time of each device that logged in', async () => {
  const t = await startTestRelay()
  try {
    const member = await t.enroll('u-member')
    const before = Date.now()
    const nurse = await TestClient.loggedIn(t.url, member)
    const admin = await TestClient.loggedIn(t.url, t.admin)
    // The login's write is not awaited by the session: ask until it shows.
    let seen: { deviceId: string; lastSeenAt: number }[] = []
    for (let i = 0; i < 20 && seen.length < 2; i++) {
      admin.send({ type: 'getDevicesSeen', ref: `s${i}` })
      const f = await admin.waitFor('devicesSeen')
      seen = f.lines.map((l) => JSON.parse(l))
    }
    const byId = new Map(seen.map((s) => [s.deviceId, s.lastSeenAt]))
    assertEquals(byId.has(member.deviceId) && byId.has(t.admin.deviceId), true)
    assertEquals(byId.get(member.deviceId)! >= before, true)
    await nurse.close()
    await admin.close()
  } finally {
    await t.close()
  }
})
