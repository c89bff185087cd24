/**
 * A Postgres for the relay's tests (issue 4): WARDLINE_TEST_DATABASE_URL when set (test/run-all.sh
 * starts one cluster for the whole run), otherwise a throwaway cluster from test/postgres.sh that
 * this test process starts once and stops when it exits. Each storage gets a fresh schema, so
 * tests never see each other's rows and run without cleaning up between them.
 */
import postgres from 'postgres'
import { openPostgresStorage, type PostgresStorage } from '../storage/postgres.ts'

const script = new URL('../../test/postgres.sh', import.meta.url).pathname
let started: Promise<string> | null = null

async function startCluster(): Promise<string> {
  const out = await new Deno.Command('bash', { args: [script, 'start'], stderr: 'inherit' })
    .output()
  if (!out.success) throw new Error('test/postgres.sh could not start Postgres')
  const vars = Object.fromEntries(
    new TextDecoder().decode(out.stdout).trim().split('\n')
      .map((line) => line.replace(/^export /, '').split('=', 2) as [string, string]),
  )
  const dir = vars.WARDLINE_TEST_PG_DIR!
  globalThis.addEventListener('unload', () => {
    new Deno.Command('bash', { args: [script, 'stop', dir] }).outputSync()
  })
  return vars.WARDLINE_TEST_DATABASE_URL!
}

/** The URL of the test database, starting a cluster on first use when none was given. */
export function testDatabaseUrl(): Promise<string> {
  const given = Deno.env.get('WARDLINE_TEST_DATABASE_URL')
  if (given) return Promise.resolve(given)
  started ??= startCluster()
  return started
}

/** Creates an empty schema with a random name; `drop` removes it with everything in it. */
export async function createTestSchema(): Promise<
  { url: string; schema: string; drop(): Promise<void> }
> {
  const url = await testDatabaseUrl()
  const schema = `t_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`
  const admin = postgres(url, { max: 1, onnotice: () => {} })
  await admin.unsafe(`CREATE SCHEMA ${schema}`)
  await admin.end()
  return {
    url,
    schema,
    async drop() {
      const sql = postgres(url, { max: 1, onnotice: () => {} })
      await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await sql.end()
    },
  }
}

/** A Postgres storage in a fresh schema that is dropped when the storage closes. */
export async function openTestPostgresStorage(): Promise<PostgresStorage> {
  const { url, schema, drop } = await createTestSchema()
  const storage = await openPostgresStorage(url, { schema })
  const close = storage.close.bind(storage)
  storage.close = async () => {
    await close()
    await drop()
  }
  return storage
}
