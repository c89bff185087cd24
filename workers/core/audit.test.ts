import assert from 'node:assert/strict'
import * as c from '../../crypto/mod.ts'
import { verifyAuditLog } from '../../relay/audit/verify-log.ts'
import { startRelay } from '../../relay/server.ts'
import { openSqliteAuditSource } from '../../relay/storage/sqlite-audit.ts'
import { TestClient } from '../../relay/testing/test-client.ts'
import { checkpointFromHead, signedAuditEvent } from './audit.ts'
import { setupOrganisation } from './identity.ts'

Deno.test("an admin identity's signed event is stored by the relay, and its checkpoint of the served head verifies the log", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: 'wardline-audit-core-' })
  const relay = await startRelay({
    port: 0,
    hostname: '127.0.0.1',
    dataDir,
    staticDir: `${dataDir}/x`,
    setupCode: 'TESTCODE',
    log: () => {},
  })
  try {
    const http = { baseUrl: relay.url, fetch: globalThis.fetch.bind(globalThis) }
    const { identity } = await setupOrganisation(http, 'TESTCODE', 'Ann Admin', {
      threshold: 1,
      officers: ['Officer'],
    })
    const client = await TestClient.connect(relay.url)
    const challenge = await client.next('challenge')
    const signature = c.sign(
      c.loginChallengeMessage(challenge.origin, challenge.nonce, identity.deviceId),
      identity.signingSecretKey,
    )
    client.send({ type: 'login', deviceId: identity.deviceId, signature })
    await client.waitFor('ready')
    client.send({
      type: 'putAuditEvent',
      ref: 'bg',
      ...signedAuditEvent(identity, 'breakglass.open', { conversations: 1 }, Date.now()),
    })
    const ack = await client.waitFor('ack')
    client.send({ type: 'getAuditHead', ref: 'h' })
    const head = await client.waitFor('auditHead')
    assert.equal(head.seq, ack.seq)
    const { checkpoint, line } = checkpointFromHead(identity, head, Date.now())
    assert.deepEqual(c.parseCheckpointLine(line), { ok: true, value: checkpoint })
    await client.close()
    await relay.close()
    const source = openSqliteAuditSource(dataDir)
    try {
      assert.deepEqual(await verifyAuditLog(source, { checkpoints: [checkpoint] }), {
        ok: true,
        records: head.seq,
        firstBad: null,
      })
      assert.deepEqual(source.records.map((r) => r.event), [
        'org.setup',
        'login.ok',
        'breakglass.open',
      ])
    } finally {
      await source.close()
    }
  } finally {
    await relay.close()
    await Deno.remove(dataDir, { recursive: true })
  }
})
