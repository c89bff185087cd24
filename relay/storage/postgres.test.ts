/**
 * The storage contract on Postgres (issue 4), plus what only Postgres has: schema versions shared
 * by several relays, and a clear error when the server is down. Each storage gets a fresh schema
 * in the test database (relay/testing/test-postgres.ts starts one when none is given).
 */
import postgres from 'postgres'
import { assert, assertEquals } from './_assert.ts'
import { runStorageContract } from './contract.ts'
import { runScimStorageContract } from './scim-contract.ts'
import { runLegalHoldContract } from './legal-hold-contract.ts'
import { openPostgresStorage } from './postgres.ts'
import { PG_SCHEMA_VERSION } from './postgres-schema.ts'
import { createTestSchema, openTestPostgresStorage } from '../testing/test-postgres.ts'

runStorageContract('Postgres storage', openTestPostgresStorage, async () => {
  const { url, schema, drop } = await createTestSchema()
  // Two pools, as two relay processes have; the second starts while the first migrates.
  const [a, b] = await Promise.all([
    openPostgresStorage(url, { schema }),
    openPostgresStorage(url, { schema }),
  ])
  const closeB = b.close.bind(b)
  b.close = async () => {
    await closeB()
    await drop()
  }
  return [a, b]
})

Deno.test('Postgres storage: the schema version is recorded, and a newer one is refused at start', async () => {
  const { url, schema, drop } = await createTestSchema()
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { search_path: schema } })
  try {
    await (await openPostgresStorage(url, { schema })).close()
    await (await openPostgresStorage(url, { schema })).close()
    const [row] = await sql`SELECT version FROM wardline_schema`
    assertEquals(row?.version, PG_SCHEMA_VERSION)
    await sql`UPDATE wardline_schema SET version = ${PG_SCHEMA_VERSION + 1}`
    let refused = ''
    await openPostgresStorage(url, { schema }).catch((e) => (refused = String(e)))
    assert(refused.includes('newer relay'), refused)
  } finally {
    await sql.end()
    await drop()
  }
})

Deno.test('Postgres storage: an unreachable server is a clear error that never shows the password', async () => {
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 })
  const port = (listener.addr as Deno.NetAddr).port
  listener.close() // nothing listens on this port now
  let message = ''
  await openPostgresStorage(`postgres://relay:s3cret@127.0.0.1:${port}/wardline`)
    .catch((e) => (message = e instanceof Error ? e.message : String(e)))
  assert(message.startsWith(`cannot reach Postgres at 127.0.0.1:${port}/wardline`), message)
  assert(!message.includes('s3cret'), message)
})

runScimStorageContract('Postgres storage', openTestPostgresStorage)
runLegalHoldContract('Postgres storage', openTestPostgresStorage)
