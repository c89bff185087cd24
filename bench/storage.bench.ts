/**
 * Durable appends per second on the relay's two storage backends, same machine, same run
 * (issue 4): SQLite (WAL, synchronous=FULL) against Postgres (fsync on, synchronous_commit on),
 * through RelayStorage.appendEnvelope, 256-byte envelopes, 8 conversations of 4 devices.
 *
 *   writers=1   one append at a time: each waits for its own durable commit (latency-bound)
 *   writers=32  32 appends in flight across the 8 conversations (what many devices do)
 *   pools=2     Postgres only: the 32 writers split over two storage instances, as two relays
 *
 * Postgres comes from WARDLINE_BENCH_DATABASE_URL, else a throwaway durable cluster from
 * test/postgres.sh. Prints one JSON line; never asserts.
 *
 *   deno run -A bench/storage.bench.ts [seconds per run = 3]
 */
import { openSqliteStorage } from '../relay/storage/sqlite.ts'
import { openPostgresStorage } from '../relay/storage/postgres.ts'
import type { RelayStorage } from '../relay/storage/storage.ts'
import postgres from 'postgres'

const SECONDS = Number(Deno.args[0] ?? 3)
const CONVERSATIONS = 8
const DEVICES = 4
const ENVELOPE_BYTES = 256
const script = new URL('../test/postgres.sh', import.meta.url).pathname

async function seed(s: RelayStorage): Promise<void> {
  for (let d = 0; d < DEVICES; d++) {
    await s.putAuthorization({
      id: `a${d}`,
      blob: new Uint8Array([d]),
      userId: `u${d}`,
      displayName: `D${d}`,
      role: 'member',
      expiresAt: 9e12,
    })
    await s.registerDevice({
      deviceId: `d${d}`,
      userId: `u${d}`,
      authorizationId: `a${d}`,
      binding: new Uint8Array([d]),
    })
  }
  const deviceIds = Array.from({ length: DEVICES }, (_, d) => `d${d}`)
  for (let c = 0; c < CONVERSATIONS; c++) {
    await s.createConversation({
      conversationId: `c${c}`,
      genesis: new Uint8Array([c]),
      headHash: new Uint8Array(32),
      deviceIds,
      boxes: [],
    })
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0

/** Runs `writers` loops for SECONDS, each appending as fast as its commits return. */
async function measure(instances: RelayStorage[], writers: number) {
  const envelope = crypto.getRandomValues(new Uint8Array(ENVELOPE_BYTES))
  const latencies: number[] = []
  const counters = new Map<string, number>()
  const end = performance.now() + SECONDS * 1000
  const writer = async (w: number) => {
    const s = instances[w % instances.length]!
    const conversationId = `c${w % CONVERSATIONS}`
    const senderDeviceId = `d${Math.floor(w / CONVERSATIONS) % DEVICES}`
    const key = `${conversationId}/${senderDeviceId}`
    while (performance.now() < end) {
      const counter = (counters.get(key) ?? 0) + 1
      counters.set(key, counter)
      const t0 = performance.now()
      await s.appendEnvelope({ conversationId, senderDeviceId, epoch: 0, counter, envelope })
      latencies.push(performance.now() - t0)
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)))
  const seconds = (performance.now() - t0) / 1000
  latencies.sort((a, b) => a - b)
  return {
    appends: latencies.length,
    appendsPerSec: Math.round(latencies.length / seconds),
    p50Ms: +percentile(latencies, 0.5).toFixed(2),
    p99Ms: +percentile(latencies, 0.99).toFixed(2),
  }
}

async function postgresUrl(): Promise<{ url: string; stop(): Promise<void> }> {
  const given = Deno.env.get('WARDLINE_BENCH_DATABASE_URL')
  if (given) return { url: given, stop: () => Promise.resolve() }
  const out = await new Deno.Command('bash', {
    args: [script, 'start'],
    env: { WARDLINE_TEST_PG_DURABLE: '1' },
    stderr: 'inherit',
  }).output()
  if (!out.success) throw new Error('test/postgres.sh could not start Postgres')
  const vars = Object.fromEntries(
    new TextDecoder().decode(out.stdout).trim().split('\n')
      .map((l) => l.replace(/^export /, '').split('=', 2) as [string, string]),
  )
  return {
    url: vars.WARDLINE_TEST_DATABASE_URL!,
    stop: async () => {
      await new Deno.Command('bash', { args: [script, 'stop', vars.WARDLINE_TEST_PG_DIR!] })
        .output()
    },
  }
}

const runs: Record<string, unknown>[] = []

const dir = await Deno.makeTempDir({ prefix: 'wardline-bench-' })
try {
  for (const writers of [1, 32]) {
    const sub = await Deno.makeTempDir({ dir })
    const s = await openSqliteStorage(sub)
    await seed(s)
    runs.push({ backend: 'sqlite', writers, pools: 1, ...(await measure([s], writers)) })
    await s.close()
  }
} finally {
  await Deno.remove(dir, { recursive: true })
}

const pg = await postgresUrl()
try {
  for (const [writers, pools] of [[1, 1], [32, 1], [32, 2]] as const) {
    const schema = `bench_${writers}_${pools}`
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} })
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`)
    const instances = await Promise.all(
      Array.from({ length: pools }, () => openPostgresStorage(pg.url, { schema })),
    )
    await seed(instances[0]!)
    runs.push({ backend: 'postgres', writers, pools, ...(await measure(instances, writers)) })
    for (const s of instances) await s.close()
    await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`)
    await admin.end()
  }
} finally {
  await pg.stop()
}

const rate = (backend: string, writers: number, pools = 1) =>
  (runs.find((r) => r.backend === backend && r.writers === writers && r.pools === pools)
    ?.appendsPerSec as number) ?? 0
console.log(JSON.stringify({
  bench: 'storage-append',
  runtime: `deno ${Deno.version.deno}`,
  secondsPerRun: SECONDS,
  envelopeBytes: ENVELOPE_BYTES,
  conversations: CONVERSATIONS,
  runs,
  ratios: {
    postgresOverSqlite1Writer: +(rate('postgres', 1) / rate('sqlite', 1)).toFixed(2),
    postgresOverSqlite32Writers: +(rate('postgres', 32) / rate('sqlite', 32)).toFixed(2),
  },
}))
