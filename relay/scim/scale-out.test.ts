/**
 * A directory deactivation on one relay cuts off a device logged in on another relay sharing the
 * same Postgres (issue 4's scale-out, issue 7's deactivation): the bus carries the refusal, and
 * the storage both read refuses the next login.
 */
import { assertEquals } from '../storage/_assert.ts'
import { createPostgresBus } from '../bus/postgres-bus.ts'
import { silentLog } from '../log.ts'
import { openPostgresStorage } from '../storage/postgres.ts'
import { TestClient } from '../testing/test-client.ts'
import { startBareRelay, startTestRelay } from '../testing/test-relay.ts'
import { createTestSchema } from '../testing/test-postgres.ts'
import { entraUser, PATCH_OP, SCIM_TOKEN, scimRequest } from '../testing/scim-client.ts'
import type { DirectoryUser } from './directory-users.ts'

Deno.test('two relays on one Postgres: a SCIM deactivation through relay 1 closes the socket on relay 2', async () => {
  const { url, schema, drop } = await createTestSchema()
  const open = async () => {
    const storage = await openPostgresStorage(url, { schema })
    return { storage, bus: await createPostgresBus(storage.sql, { url, log: silentLog }) }
  }
  const t = await startTestRelay({ ...(await open()), scimToken: SCIM_TOKEN })
  const second = await startBareRelay(await open())
  try {
    const made = await scimRequest(
      t,
      'POST',
      '/scim/v2/Users',
      entraUser('far@ward.example', 'far-1'),
    )
    const admin = await TestClient.loggedIn(second.url, t.admin)
    admin.send({ type: 'getDirectoryUsers', ref: 'd', offset: 0 })
    const users = (await admin.waitFor('directoryUsers')).users
      .map((u) => JSON.parse(new TextDecoder().decode(u)) as DirectoryUser)
    const phone = await t.enroll(users[0]!.userId, 'clinician')
    const live = await TestClient.loggedIn(second.url, phone)

    const off = await scimRequest(t, 'PATCH', `/scim/v2/Users/${made.body?.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    })
    assertEquals(off.status, 200)
    assertEquals(await live.waitFor('error', 5000), {
      type: 'error',
      code: 'relay/device-revoked',
      ref: '',
    })
    assertEquals((await live.closed).code, 4003)
    // The admin on relay 2 hears directoryChanged and finds the device to revoke.
    await admin.waitFor('directoryChanged', 5000)
    admin.send({ type: 'getDirectoryUsers', ref: 'd2', offset: 0 })
    const after = (await admin.waitFor('directoryUsers')).users
      .map((u) => JSON.parse(new TextDecoder().decode(u)) as DirectoryUser)
    assertEquals([after[0]!.state, after[0]!.toRevoke], ['deactivated', [phone.deviceId]])
    const again = await TestClient.connect(second.url)
    assertEquals(await again.login(phone), { type: 'error', code: 'relay/device-revoked', ref: '' })
    await admin.close()
  } finally {
    await second.close()
    await t.close()
    await drop()
  }
})
