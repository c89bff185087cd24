/**
 * Scale-out end to end (issue 4): two real relay processes (relay/main.ts) on one Postgres
 * database, the client engine of the app (workers/core) on each. A device on relay 1 and one on
 * relay 2 exchange messages live; both then send at once through their own relay, and the log
 * stays gap-free and both converge in one order without ever seeing a gap. Last, the whole
 * database (every cell, read through Postgres, plus pg_dump and the cluster's files when local)
 * and both relays' logs hold none of the canary strings the devices wrote (RELIABILITY "Zero
 * knowledge").
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { startRelayProcess } from '../sim/relay-process.ts'
import { canaryForms } from '../canary-forms.ts'
import { testDatabaseUrl } from '../../relay/testing/test-postgres.ts'
import { type DefenceEvent, WardlineClient } from '../../workers/core/client.ts'
import {
  createEnrollment,
  enrollDevice,
  newUserId,
  setupOrganisation,
} from '../../workers/core/identity.ts'
import { MemoryStore } from '../../workers/core/store.ts'
import { until } from '../../workers/core/test-world.ts'

/** A fresh database on the test server, so the relays use its default schema as in production. */
async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = await testDatabaseUrl()
  const name = `e2e_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`
  const admin = postgres(server, { max: 1, onnotice: () => {} })
  await admin.unsafe(`CREATE DATABASE ${name}`)
  const url = new URL(server)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await admin.end()
    },
  }
}

/** Every cell of every table, blobs as their raw bytes, read through Postgres itself. */
async function dumpTables(url: string): Promise<Uint8Array[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  const out: Uint8Array[] = []
  const tables = await sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`
  for (const { tablename } of tables) {
    for (const row of await sql`SELECT * FROM ${sql(tablename as string)}`) {
      for (const v of Object.values(row)) {
        out.push(v instanceof Uint8Array ? v : new TextEncoder().encode(String(v)))
      }
    }
  }
  await sql.end()
  return out
}

function pgDump(url: string): Uint8Array[] {
  const bin = readdirSync('/usr/lib/postgresql').sort().map((v) =>
    `/usr/lib/postgresql/${v}/bin/pg_dump`
  ).pop()
  if (!bin) return []
  const out = new Deno.Command(bin, { args: ['--no-owner', url] }).outputSync()
  assert.ok(out.success, 'pg_dump ran')
  return [out.stdout]
}

/** The local cluster's files (heap, TOAST, WAL), when this test started the server itself. */
function clusterFiles(): Uint8Array[] {
  const dir = Deno.env.get('WARDLINE_TEST_PG_DIR')
  if (!dir) return []
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((n) =>
      statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]
    )
  return walk(`${dir}/data`).map((f) => readFileSync(f))
}

const includes = (hay: Uint8Array, needle: Uint8Array) =>
  Buffer.from(hay).includes(Buffer.from(needle))

Deno.test('two relay processes on one Postgres: devices on each exchange messages live, concurrent sends stay gap-free, and the database holds no plaintext', async () => {
  const db = await freshDatabase()
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()]
  const env = { WARDLINE_DATABASE_URL: db.url }
  const relays = [await startRelayProcess(dirs[0]!, { env })]
  const clients: WardlineClient[] = []
  try {
    const http1 = { baseUrl: relays[0]!.url, fetch: globalThis.fetch.bind(globalThis) }
    const { identity: adminId } = await setupOrganisation(
      http1,
      relays[0]!.setupCode,
      'Ann Admin',
      {
        threshold: 1,
        officers: ['Officer'],
      },
    )
    // The second relay starts on the organisation the first one set up.
    relays.push(await startRelayProcess(dirs[1]!, { env }))
    const http2 = { baseUrl: relays[1]!.url, fetch: globalThis.fetch.bind(globalThis) }
    const defences: DefenceEvent[] = []
    const make = (identity: typeof adminId, relayUrl: string) => {
      const client = new WardlineClient({
        wsUrl: relayUrl.replace('http', 'ws') + '/ws',
        identity,
        store: new MemoryStore(),
        emit: () => {},
        onDefence: (e) => defences.push(e),
      })
      clients.push(client)
      return client
    }
    const admin = make(adminId, relays[0]!.url)
    await admin.start()
    const made = createEnrollment({
      secretKey: adminId.rootSecretKey!,
      publicKey: adminId.rootPublicKey,
    }, {
      userId: newUserId(),
      displayName: 'Ben Nurse',
      role: 'clinician',
      expiresAt: Date.now() + 60_000,
    })
    await admin.putAuthorization(made.authorization)
    const benId = await enrollDevice(http2, made.code) // enrolled through relay 2
    const ben = make(benId, relays[1]!.url)
    await ben.start()
    await until(() => admin.people().length === 2 && ben.people().length === 2, 'directories')

    const canaries = Array.from(
      { length: 6 },
      (_, i) => `CANARY-${i}-${crypto.randomUUID().slice(0, 8)}`,
    )
    const conv = await admin.createConversation([benId.userId])
    await until(() => ben.conversations.has(conv), 'the conversation reaches relay 2')
    await admin.sendMessage(conv, `ward 3 ${canaries[0]}`, 'a0')
    await until(() => ben.listMessages(conv).length === 1, 'live delivery relay 1 → relay 2')
    await ben.sendMessage(conv, `ack ${canaries[1]}`, 'b0')
    await until(() => admin.listMessages(conv).length === 2, 'live delivery relay 2 → relay 1')

    // Both at once, each through its own relay.
    const n = 25
    await Promise.all([
      ...Array.from(
        { length: n },
        (_, i) => admin.sendMessage(conv, `a${i} ${canaries[2 + (i % 2)]}`, `a${i + 1}`),
      ),
      ...Array.from(
        { length: n },
        (_, i) => ben.sendMessage(conv, `b${i} ${canaries[4 + (i % 2)]}`, `b${i + 1}`),
      ),
    ])
    const total = 2 + 2 * n
    await until(
      () =>
        admin.listMessages(conv).length === total && ben.listMessages(conv).length === total &&
        admin.queuedCount() === 0 && ben.queuedCount() === 0,
      'both converge',
      30_000,
    )
    const bodies = (c: WardlineClient) => c.listMessages(conv).map((m) => m.body)
    assert.deepEqual(bodies(admin), bodies(ben), 'one order on both relays')
    assert.deepEqual(defences.filter((e) => e.kind === 'gap'), [], 'no device ever saw a gap')

    const sql = postgres(db.url, { max: 1, onnotice: () => {} })
    const seqs = (await sql`SELECT seq FROM envelopes WHERE conversation_id = ${conv} ORDER BY seq`)
      .map((r) => Number(r.seq))
    const [head] = await sql`SELECT head_seq FROM conversations WHERE conversation_id = ${conv}`
    await sql.end()
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'gap-free log')
    assert.equal(Number(head?.head_seq), seqs.length)

    for (const c of clients) c.stop()
    for (const r of relays) await r.stop()
    const blobs = [
      ...(await dumpTables(db.url)),
      ...pgDump(db.url),
      ...clusterFiles(),
      ...relays.map((r) => new TextEncoder().encode(r.logs())),
    ]
    // Control: the directory's names are stored in clear (DESIGN §5), so the scan must see them.
    assert.ok(
      canaryForms('Ben Nurse').some((form) => blobs.some((b) => includes(b, form))),
      'scan sees stored text',
    )
    const found = canaries.filter((c) =>
      canaryForms(c).some((form) => blobs.some((b) => includes(b, form)))
    )
    assert.deepEqual(found, [], 'no canary in the database, its files or the relay logs')
  } finally {
    for (const c of clients) c.stop()
    for (const r of relays) await r.stop()
    for (const d of dirs) await Deno.remove(d, { recursive: true })
    await db.drop()
  }
})
