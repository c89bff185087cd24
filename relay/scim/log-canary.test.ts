/**
 * SCIM traffic leaves no staff name, email, userName, externalId or token in the relay's logs or
 * /metrics (DESIGN §5: names live only in directory tables). A full directory run — create,
 * lookups, PATCH, a group, a bad token, a deactivation with a live device, a DELETE — then the
 * log lines and metrics are scanned for each canary in every form test/canary-forms.ts knows.
 */
import { canaryForms } from '../../test/canary-forms.ts'
import { formatLogLine, type LogFields } from '../log.ts'
import { assert } from '../storage/_assert.ts'
import { TestClient } from '../testing/test-client.ts'
import { startTestRelay } from '../testing/test-relay.ts'
import { CORE_GROUP, entraUser, PATCH_OP, SCIM_TOKEN, scimRequest } from '../testing/scim-client.ts'
import type { DirectoryUser } from './directory-users.ts'

const USER_NAME = 'quentin.canaryfield@ward.example'
const EXTERNAL_ID = 'ext-canary-93f1a7'
const GROUP = 'Canary Ward Nurses'

function findsIn(text: string) {
  const bytes = new TextEncoder().encode(text)
  const contains = (form: Uint8Array) =>
    bytes.some((_, i) => form.length > 0 && form.every((b, j) => bytes[i + j] === b))
  return (canary: string) => canaryForms(canary).some(contains)
}

Deno.test('SCIM runs log no name, userName, externalId, group name or token', async () => {
  const lines: string[] = []
  const log = (event: string, fields?: LogFields) => void lines.push(formatLogLine(event, fields))
  const t = await startTestRelay({ log, scimToken: SCIM_TOKEN })
  try {
    const body = {
      ...entraUser(USER_NAME, EXTERNAL_ID),
      displayName: 'Quentin Canaryfield',
      name: { givenName: 'Quentin', familyName: 'Canaryfield' },
    }
    const made = await scimRequest(t, 'POST', '/scim/v2/Users', body)
    await scimRequest(
      t,
      'GET',
      `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${USER_NAME}"`)}`,
    )
    await scimRequest(t, 'GET', '/scim/v2/Users', undefined, 'wrong-token')
    await scimRequest(
      t,
      'GET',
      `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${USER_NAME}`)}`,
    )
    await scimRequest(t, 'POST', '/scim/v2/Groups', {
      schemas: [CORE_GROUP],
      displayName: GROUP,
      members: [{ value: made.body?.id }],
    })
    const admin = await TestClient.loggedIn(t.url, t.admin)
    admin.send({ type: 'getDirectoryUsers', ref: 'd', offset: 0 })
    const user = JSON.parse(
      new TextDecoder().decode((await admin.waitFor('directoryUsers')).users[0]!),
    ) as DirectoryUser
    const phone = await t.enroll(user.userId, 'clinician')
    const live = await TestClient.loggedIn(t.url, phone)
    await scimRequest(t, 'PATCH', `/scim/v2/Users/${made.body?.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    })
    await live.closed
    const again = await TestClient.connect(t.url)
    await again.login(phone)
    await scimRequest(t, 'DELETE', `/scim/v2/Users/${made.body?.id}`)
    await admin.close()
    const metrics = await (await fetch(`${t.url}/metrics`)).text()

    const text = lines.join('\n') + '\n' + metrics
    assert(lines.some((l) => l.includes('"scim.user-deactivated"')), 'the run was logged')
    assert(
      lines.some((l) => l.includes('"login.refused-by-directory"')),
      'the refused login was logged',
    )
    assert(
      lines.some((l) => l.includes('"scim.auth-refused"') && l.includes('"level":"warn"')),
      'a bad token is logged as a warning',
    )
    // The scanner catches a canary planted on purpose before it is trusted to find none.
    assert(
      findsIn(`${text}\n{"planted":"${USER_NAME}"}`)(USER_NAME),
      'the scan finds a planted canary',
    )
    const finds = findsIn(text)
    for (
      const canary of [
        USER_NAME,
        EXTERNAL_ID,
        GROUP,
        'Canaryfield',
        SCIM_TOKEN,
        user.userId,
        phone.deviceId,
      ]
    ) {
      assert(!finds(canary), `found ${canary.slice(0, 10)}… in logs or metrics`)
    }
  } finally {
    await t.close()
  }
})
