/**
 * The audit log as a running relay writes it (issue 8): every audited code path through the real
 * HTTP API and WebSockets, device-signed events with their refusals, admin/compliance-only reads,
 * a checkpoint signed from the head the relay served, and the verifier over the data directory.
 * Also the canary: a display name and a message body never reach the audit table.
 */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { randomBytes, toBase64url } from '../../crypto/bytes.ts'
import { signAuditClaim } from '../../crypto/audit.ts'
import { makeAuditCheckpoint } from '../../crypto/audit-checkpoint.ts'
import { sealEnvelope } from '../../crypto/envelope.ts'
import { DEFAULT_POLICY, signPolicy } from '../../crypto/policy.ts'
import { assert, assertEquals } from '../storage/_assert.ts'
import { SQLITE_FILE } from '../storage/sqlite.ts'
import { checkpointSigner } from '../testing/audit-log.ts'
import {
  createAuthorization,
  createDevice,
  createTestConversation,
  signTestRevocation,
} from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { postJson, startTestRelay, type TestRelay } from '../testing/test-relay.ts'
import { openSqliteAuditSource } from '../storage/sqlite-audit.ts'
import { verifyAuditLog } from './verify-log.ts'

const NAME_CANARY = 'Canary Nurse Zebedee-7731'
const BODY_CANARY = 'CANARY-BODY-patient-MRN-99887766'

async function enrollNamed(t: TestRelay, userId: string, displayName: string) {
  const auth = createAuthorization(t.org, { userId, displayName, role: 'clinician' })
  await t.putAuthorization(auth)
  const device = createDevice(auth)
  const r = await postJson(`${t.url}/api/devices`, {
    authorizationId: auth.id,
    binding: toBase64url(device.binding),
  })
  assertEquals(r.status, 200)
  await r.body?.cancel()
  return device
}

/** Every record as {event, actor, fields}, read by an officer's device page by page. */
async function readAll(
  c: TestClient,
): Promise<{ seq: number; event: string; actor: string; fields: Record<string, unknown> }[]> {
  const out = []
  for (let since = 0, ref = 0;; ref++) {
    c.send({ type: 'getAuditRecords', ref: `r${ref}`, since, limit: 3 })
    const page = await c.waitFor('auditRecords')
    if (page.lines.length === 0) return out
    for (const line of page.lines) out.push(JSON.parse(line))
    since = out.at(-1)!.seq
  }
}

Deno.test('the relay audits setup, enrollment, logins, refusals, revocations, policy and device-signed events, and the log verifies', async () => {
  const t = await startTestRelay()
  try {
    const officer = await t.enroll('officer', 'compliance')
    const nurse = await enrollNamed(t, 'nurse', NAME_CANARY)
    const tablet = await t.enroll('nurse')
    const spare = await t.enroll('porter')

    // A message with the canary in its body; messages themselves are never audited.
    const n = await TestClient.loggedIn(t.url, nurse)
    const conv = createTestConversation(nurse, [t.admin], 'c1')
    n.send({ type: 'createConversation', ref: 'cc', ...conv })
    await n.waitFor('ack')
    const body = new TextEncoder().encode(BODY_CANARY)
    const key = randomBytes(32)
    n.send({
      type: 'send',
      ref: 's1',
      conversationId: 'c1',
      envelope: sealEnvelope(
        { conversationId: 'c1', epoch: 0, senderDeviceId: nurse.deviceId, counter: 1 },
        body,
        key,
        nurse.signing.secretKey,
      ),
    })
    await n.waitFor('ack')

    // Refused logins: bad signature, unknown device.
    const bad = await TestClient.connect(t.url)
    await bad.login(nurse, new Uint8Array(64))
    await bad.closed
    const stranger = await TestClient.connect(t.url)
    await stranger.login(createDevice(createAuthorization(t.org, { userId: 'x' })))
    await stranger.closed

    // Policy change and revocations: by an admin, by the user's other device, by the device itself.
    const admin = await TestClient.loggedIn(t.url, t.admin)
    admin.send({
      type: 'putPolicy',
      ref: 'p',
      policy: signPolicy({ ...DEFAULT_POLICY, version: 2 }, t.org.root.secretKey),
    })
    await admin.waitFor('ack')
    admin.send({
      type: 'revokeDevice',
      ref: 'rv',
      revocation: signTestRevocation(spare.deviceId, t.org),
    })
    await admin.waitFor('ack')
    n.send({
      type: 'revokeDevice',
      ref: 'lost',
      revocation: signTestRevocation(tablet.deviceId, nurse, 'lost on ward 7'),
    })
    await n.waitFor('ack')
    n.send({
      type: 'revokeDevice',
      ref: 'self',
      revocation: signTestRevocation(nurse.deviceId, nurse, 'removed'),
    })
    await n.waitFor('ack')
    const revoked = await TestClient.connect(t.url)
    await revoked.login(tablet)
    await revoked.closed

    // Device-signed events: accepted from the officer, refused when forged, misnamed or stale.
    const o = await TestClient.loggedIn(t.url, officer)
    const claim = (over: Partial<{ deviceId: string; event: string; time: number }> = {}) =>
      signAuditClaim({
        deviceId: officer.deviceId,
        event: 'compliance.export',
        time: Date.now(),
        fields: { conversations: 1 },
        ...over,
      }, officer.signing.secretKey)
    const good = claim()
    o.send({ type: 'putAuditEvent', ref: 'e1', ...good })
    const ack = await o.waitFor('ack')
    o.send({ type: 'putAuditEvent', ref: 'e1-retry', ...good })
    assertEquals((await o.waitFor('ack')).seq, ack.seq)
    const refusals: [string, { claim: Uint8Array; signature: Uint8Array }][] = [
      ['relay/bad-audit-signature', {
        ...claim(),
        signature: claim().signature.map((b, i) => (i === 0 ? b ^ 1 : b)),
      }],
      ['relay/wrong-sender', claim({ deviceId: t.admin.deviceId })],
      ['relay/bad-audit-event', claim({ event: 'login.ok' })],
      ['relay/stale-audit-claim', claim({ time: Date.now() - 3600_000 })],
      ['relay/malformed-audit-claim', { claim: new Uint8Array(5), signature: new Uint8Array(64) }],
    ]
    for (const [code, c] of refusals) {
      o.send({ type: 'putAuditEvent', ref: code, ...c })
      assertEquals(await o.waitFor('error'), { type: 'error', code, ref: code })
    }

    // Reads: forbidden to a clinician, served to the officer; a checkpoint from the served head.
    const porter = await TestClient.loggedIn(t.url, await t.enroll('porter2'))
    porter.send({ type: 'getAuditHead', ref: 'h' })
    assertEquals(await porter.waitFor('error'), {
      type: 'error',
      code: 'relay/forbidden',
      ref: 'h',
    })
    o.send({ type: 'getAuditHead', ref: 'h' })
    const head = await o.waitFor('auditHead')
    const records = await readAll(o)
    assertEquals(records.length, head.seq)
    const events = records.map((r) =>
      `${r.event}${r.fields.reason ? `:${r.fields.reason}` : ''}${
        r.fields.by ? `:${r.fields.by}` : ''
      }`
    )
    for (
      const e of [
        'org.setup',
        'authorization.stored',
        'device.enrolled',
        'login.ok',
        'login.refused:bad-signature',
        'login.refused:unknown-device',
        'policy.changed',
        'device.revoked:admin',
        'device.revoked:sibling',
        'device.revoked:self',
        'login.refused:revoked-device',
        'compliance.export',
      ]
    ) {
      assert(events.includes(e), `expected ${e} in ${events.join(', ')}`)
    }
    assertEquals(events.filter((e) => e === 'compliance.export').length, 1)
    // Nothing else: the conversation, the message and the receipts left no record.
    const known = /^(org\.setup|authorization\.stored|device\.enrolled|login\.ok|login\.refused|policy\.changed|device\.revoked|compliance\.export)$/
    assertEquals(records.filter((r) => !known.test(r.event)), [])
    assertEquals(records.find((r) => r.event === 'compliance.export')?.actor, officer.deviceId)
    const checkpoint = makeAuditCheckpoint(
      { seq: head.seq, hash: head.hash, time: head.time },
      checkpointSigner(officer),
      Date.now(),
    )
    for (const c of [n, admin, o, porter]) await c.close()
    await t.relay.close()

    // The canaries never reach the audit table (its every column, blobs read as text too).
    const db = new DatabaseSync(join(t.dataDir, SQLITE_FILE), { readOnly: true })
    const dump = JSON.stringify(
      db.prepare('SELECT * FROM audit_log').all(),
      (_k, v) => v instanceof Uint8Array ? new TextDecoder().decode(v) : v,
    )
    db.close()
    for (const canary of [NAME_CANARY, BODY_CANARY, 'lost on ward 7', 'Name of']) {
      assert(!dump.includes(canary), `audit table holds ${canary}`)
    }

    const source = openSqliteAuditSource(t.dataDir)
    try {
      assertEquals(await verifyAuditLog(source, { checkpoints: [checkpoint] }), {
        ok: true,
        records: head.seq,
        firstBad: null,
      })
    } finally {
      await source.close()
    }
  } finally {
    await t.close()
  }
})
