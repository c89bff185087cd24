/**
 * Logs and metrics carry neither content nor names (DESIGN §5, issue 4): a full run — setup,
 * enrollment under a distinctive display name, a conversation, sends, receipts, refusals, a
 * revocation — then every log line and the /metrics text are scanned for the display names, the
 * setup code, full device ids and the envelope bytes in every encoding test/canary-forms.ts knows.
 */
import { canaryForms } from '../test/canary-forms.ts'
import { toBase64url } from '../crypto/bytes.ts'
import { formatLogLine, type LogFields } from './log.ts'
import { assert, assertEquals } from './storage/_assert.ts'
import { createAuthorization, createDevice, createTestConversation, sealTestEnvelope, signTestRevocation } from './testing/fixtures.ts'
import { TestClient } from './testing/test-client.ts'
import { postJson, startTestRelay, TEST_SETUP_CODE } from './testing/test-relay.ts'

const NAME = 'Zebulon Canarywood'

Deno.test('logs and metrics hold no display name, setup code, full device id or envelope bytes', async () => {
  const lines: string[] = []
  const log = (event: string, fields?: LogFields) => void lines.push(formatLogLine(event, fields))
  const t = await startTestRelay({ log })
  try {
    const auth = createAuthorization(t.org, { userId: 'u-7', displayName: NAME })
    await t.putAuthorization(auth)
    const nurse = createDevice(auth)
    const enrolled = await postJson(`${t.url}/api/devices`, { authorizationId: auth.id, binding: toBase64url(nurse.binding) })
    assertEquals(enrolled.status, 200)
    await enrolled.body?.cancel()
    const admin = await TestClient.loggedIn(t.url, t.admin)
    admin.send({ type: 'createConversation', ref: 'c', ...createTestConversation(t.admin, [nurse], 'c1') })
    await admin.waitFor('ack')
    const n = await TestClient.loggedIn(t.url, nurse)
    const envelopes = [1, 2, 3].map((i) => sealTestEnvelope(nurse, 'c1', i))
    for (const [i, envelope] of envelopes.entries()) {
      n.send({ type: 'send', ref: `r${i}`, conversationId: 'c1', envelope })
      await n.waitFor('ack')
    }
    n.send({ type: 'send', ref: 'bad', conversationId: 'c1', envelope: new Uint8Array([1, 2, 3]) })
    await n.waitFor('error')
    await n.close()
    const wrongLogin = await TestClient.connect(t.url)
    await wrongLogin.login(nurse, new Uint8Array(64))
    admin.send({ type: 'revokeDevice', ref: 'rv', revocation: signTestRevocation(nurse.deviceId, t.org) })
    await admin.waitFor('ack')
    await admin.close()
    const metrics = await (await fetch(`${t.url}/metrics`)).text()

    const text = lines.join('\n') + '\n' + metrics
    for (const line of lines) {
      const parsed = JSON.parse(line)
      assert(typeof parsed.time === 'string' && typeof parsed.event === 'string' && parsed.level, line)
    }
    assert(lines.some((l) => l.includes('"login.refused"')), 'the run was logged')
    const secrets = [NAME, 'Name of admin', TEST_SETUP_CODE, nurse.deviceId, t.admin.deviceId]
    const bytes = new TextEncoder().encode(text)
    const contains = (form: Uint8Array) =>
      bytes.some((_, i) => form.length > 0 && form.every((b, j) => bytes[i + j] === b))
    for (const s of secrets) {
      assert(!canaryForms(s).some(contains), `found ${s.slice(0, 12)}… in logs or metrics`)
    }
    for (const e of envelopes) {
      assert(!text.includes(toBase64url(e).slice(8, 40)), 'envelope bytes in logs or metrics')
    }
  } finally {
    await t.close()
  }
})
