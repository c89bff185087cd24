/**
 * `putAuditEvent` takes `admin.*` events (decision 0016: `admin.root-restored` after a device
 * rebuilt the organisation key from shares) only from a device whose authorization names the admin
 * role; a clinician stating one, or an admin stating another namespace, is refused.
 */
import { signAuditClaim } from '../../crypto/audit.ts'
import { assertEquals } from '../storage/_assert.ts'
import type { TestDevice } from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { startTestRelay } from '../testing/test-relay.ts'

const claim = (d: TestDevice, event: string) =>
  signAuditClaim(
    { deviceId: d.deviceId, event, time: Date.now(), fields: { shares: 2 } },
    d.signing.secretKey,
  )

Deno.test('admin.root-restored is stored from an admin device and refused from a clinician', async () => {
  const t = await startTestRelay()
  try {
    const admin = await TestClient.loggedIn(t.url, t.admin)
    admin.send({ type: 'putAuditEvent', ref: 'a1', ...claim(t.admin, 'admin.root-restored') })
    const ack = await admin.waitFor('ack')
    assertEquals(ack.ref, 'a1')
    admin.send({ type: 'putAuditEvent', ref: 'a2', ...claim(t.admin, 'root.restored') })
    assertEquals(await admin.waitFor('error'), {
      type: 'error',
      code: 'relay/bad-audit-event',
      ref: 'a2',
    })
    const nurseDevice = await t.enroll('nurse', 'clinician')
    const n2 = await TestClient.loggedIn(t.url, nurseDevice)
    n2.send({ type: 'putAuditEvent', ref: 'n1', ...claim(nurseDevice, 'admin.root-restored') })
    assertEquals(await n2.waitFor('error'), {
      type: 'error',
      code: 'relay/bad-audit-event',
      ref: 'n1',
    })
    admin.send({ type: 'getAuditRecords', ref: 'r', since: 0, limit: 100 })
    const page = await admin.waitFor('auditRecords')
    assertEquals(page.lines.filter((l) => l.includes('"admin.root-restored"')).length, 1)
    await admin.close()
    await n2.close()
  } finally {
    await t.close()
  }
})
