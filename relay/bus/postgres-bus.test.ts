/**
 * The relay bus (issue 4): events between relays parse strictly (they come from the database,
 * where anyone with access could NOTIFY junk), never come back to their sender, keep their order,
 * and a commit with too many added devices to fit a NOTIFY says "look them up" instead.
 */
import postgres from 'postgres'
import { assertEquals } from '../storage/_assert.ts'
import { openPostgresStorage } from '../storage/postgres.ts'
import { createTestSchema } from '../testing/test-postgres.ts'
import { parseRelayEvent, type RelayEvent } from './bus.ts'
import { createPostgresBus } from './postgres-bus.ts'

Deno.test('parseRelayEvent accepts the six event kinds and refuses anything else', () => {
  const good: RelayEvent[] = [
    { type: 'entry', conversationId: 'c', seq: 1 },
    { type: 'commit', conversationId: 'c', seq: 2, added: ['d1'] },
    { type: 'commit', conversationId: 'c', seq: 2, added: null },
    { type: 'receipt', conversationId: 'c', deviceId: 'd' },
    { type: 'created', conversationId: 'c', authorDeviceId: 'd' },
    { type: 'revoked', deviceId: 'd', announce: true },
    { type: 'directoryChanged' },
  ]
  for (const e of good) assertEquals(parseRelayEvent(JSON.parse(JSON.stringify(e))), e)
  const bad: unknown[] = [
    null,
    42,
    'entry',
    [],
    { type: 'entry', conversationId: 'c', seq: 0 },
    { type: 'entry', conversationId: 'c', seq: 1.5 },
    { type: 'entry', conversationId: '', seq: 1 },
    { type: 'entry', conversationId: 'x'.repeat(129), seq: 1 },
    { type: 'commit', conversationId: 'c', seq: 2, added: [3] },
    { type: 'commit', conversationId: 'c', seq: 2 },
    { type: 'receipt', conversationId: 'c' },
    { type: 'revoked', deviceId: 'd', announce: 'yes' },
    { type: '__proto__' },
  ]
  for (const v of bad) assertEquals(parseRelayEvent(v), null)
})

Deno.test('the Postgres bus delivers events in order to the other relays only, and survives junk', async () => {
  const { url, schema, drop } = await createTestSchema()
  const [a, b] = await Promise.all([
    openPostgresStorage(url, { schema }),
    openPostgresStorage(url, { schema }),
  ])
  const logs: string[] = []
  const busA = await createPostgresBus(a.sql, { url, log: () => {} })
  const busB = await createPostgresBus(b.sql, { url, log: (event) => logs.push(event) })
  const heardA: RelayEvent[] = []
  const heardB: RelayEvent[] = []
  await busA.listen((e) => heardA.push(e), () => {})
  await busB.listen((e) => heardB.push(e), () => {})
  const raw = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const sent: RelayEvent[] = Array.from(
      { length: 50 },
      (_, i) => ({ type: 'entry', conversationId: 'c1', seq: i + 1 }),
    )
    for (const e of sent) busA.publish(e)
    const many = Array.from({ length: 256 }, (_, i) => `device-${i}-${'x'.repeat(100)}`)
    busA.publish({ type: 'commit', conversationId: 'c1', seq: 51, added: many })
    await raw`SELECT pg_notify(${`wardline_${schema}`}, 'not json')`
    await raw`SELECT pg_notify(${`wardline_${schema}`}, '{"type":"entry","seq":-1}')`
    busA.publish({ type: 'directoryChanged' })
    const deadline = Date.now() + 5000
    while (heardB.length < 52 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    assertEquals(heardB, [
      ...sent,
      { type: 'commit', conversationId: 'c1', seq: 51, added: null },
      { type: 'directoryChanged' },
    ])
    assertEquals(heardA, [], 'a relay does not hear itself')
    assertEquals(logs, ['bus.bad-event', 'bus.bad-event'])
  } finally {
    await raw.end()
    await busA.close()
    await busB.close()
    await a.close()
    await b.close()
    await drop()
  }
})

/** Ends the listening connections of every relay bus on this channel, as a Postgres restart would. */
async function cutListeners(url: string, channel: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  const cut = await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE application_name = 'wardline-relay-listen' AND query ILIKE ${`%${channel}%`}`
  await sql.end()
  return cut.length
}

Deno.test('a bus whose listening connection is cut listens again and asks for a resync', async () => {
  const { url, schema, drop } = await createTestSchema()
  const [a, b] = await Promise.all([
    openPostgresStorage(url, { schema }),
    openPostgresStorage(url, { schema }),
  ])
  const busA = await createPostgresBus(a.sql, { url, log: () => {}, heartbeatMs: 100 })
  const busB = await createPostgresBus(b.sql, { url, log: () => {}, heartbeatMs: 100 })
  const heard: RelayEvent[] = []
  let resyncs = 0
  await busA.listen(() => {}, () => {})
  await busB.listen((e) => heard.push(e), () => resyncs++)
  const waitFor = async (check: () => boolean) => {
    const deadline = Date.now() + 10_000
    while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  }
  try {
    assertEquals(await cutListeners(url, `wardline_${schema}`) >= 2, true)
    await waitFor(() => resyncs > 0)
    assertEquals(resyncs > 0, true, 'listening resumed and asked for a resync')
    busA.publish({ type: 'entry', conversationId: 'c1', seq: 7 })
    await waitFor(() => heard.length > 0)
    assertEquals(heard, [{ type: 'entry', conversationId: 'c1', seq: 7 }])
  } finally {
    await busA.close()
    await busB.close()
    await a.close()
    await b.close()
    await drop()
  }
})
