/**
 * The audit log with two relays on one Postgres (issue 8 on issue 4's scale-out): logins and
 * device-signed events arriving through both relays at once still make one gap-free, correctly
 * linked chain, and records appended without being awaited (logins) survive the draining close.
 */
import { signAuditClaim } from '../../crypto/audit.ts'
import { createPostgresBus } from '../bus/postgres-bus.ts'
import { silentLog } from '../log.ts'
import { assertEquals } from '../storage/_assert.ts'
import { openPostgresAuditSource } from '../storage/postgres-audit.ts'
import { openPostgresStorage } from '../storage/postgres.ts'
import { TestClient } from '../testing/test-client.ts'
import { createTestSchema } from '../testing/test-postgres.ts'
import { startBareRelay, startTestRelay } from '../testing/test-relay.ts'
import { verifyAuditLog } from './verify-log.ts'

Deno.test('two relays on one Postgres append concurrent logins and signed events to one gap-free audit chain', async () => {
  const { url, schema, drop } = await createTestSchema()
  const open = async () => {
    const storage = await openPostgresStorage(url, { schema })
    return { storage, bus: await createPostgresBus(storage.sql, { url, log: silentLog }) }
  }
  const t = await startTestRelay(await open())
  const second = await startBareRelay(await open())
  try {
    const devices = await Promise.all(['a', 'b', 'c', 'd'].map((u) => t.enroll(u)))
    const rounds = 5
    await Promise.all(devices.flatMap((d, i) =>
      Array.from({ length: rounds }, async (_, r) => {
        const c = await TestClient.loggedIn((i + r) % 2 === 0 ? t.url : second.url, d)
        const signed = signAuditClaim({
          deviceId: d.deviceId,
          event: 'breakglass.open',
          time: Date.now(),
          fields: { round: r },
        }, d.signing.secretKey)
        c.send({ type: 'putAuditEvent', ref: `e${r}`, ...signed })
        await c.waitFor('ack')
        await c.close()
      })
    ))
  } finally {
    await second.close()
    await t.relay.close()
  }
  const scoped = new URL(url)
  scoped.searchParams.set('search_path', schema)
  const source = await openPostgresAuditSource(scoped.href)
  try {
    const verdict = await verifyAuditLog(source)
    assertEquals(verdict.ok, true, JSON.stringify(verdict))
    const count = (event: string) => source.records.filter((r) => r.event === event).length
    // 4 devices × 5 rounds, plus the enrolling admin's logins (one per putAuthorization).
    assertEquals(count('breakglass.open'), 20)
    assertEquals(count('login.ok'), 20 + 4)
    assertEquals(count('device.enrolled'), 4)
    assertEquals(source.records.map((r) => r.seq), source.records.map((_, i) => i + 1))
  } finally {
    await source.close()
    await t.close()
    await drop()
  }
})
