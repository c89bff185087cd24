/**
 * The ward simulator: replays an MTS-Dialog CSV through a real relay (the same server `npm start`
 * runs, as a child process) with one device per (dialogue, speaker), using the product's own
 * crypto and sync engine. Prints one JSON line (the last line of stdout), logs to stderr, and
 * exits non-zero when anything was lost, duplicated or shown out of order.
 *
 *   npm run sim -- --corpus FILE [--limit N] [--data DIR] [--seed S] [--adversary replay,drop,reorder,fork,inject]
 *                  [--kill-relay N] [--pause-relay SECONDS] [--relays 2 --postgres URL]
 *
 * Relay faults (test/sim/faults.ts): --kill-relay N kills a relay with SIGKILL N times at seeded
 * points of the replay and restarts it on the same port and data; --pause-relay S stops one with
 * SIGSTOP for S seconds mid-run, then SIGCONT; --relays N --postgres URL runs N relay processes on
 * a fresh database on that Postgres server, devices spread across them (a kill or pause hits a
 * seeded one). The devices are never told: they reconnect by themselves. The JSON line then adds
 * `kills`, `pauses` and `maxAttemptsPerDevicePer30s` (connection attempts of the busiest device in
 * any 30 s from the pause on), and the run also fails unless every device shows every message.
 *
 * With --adversary (any subset) the relay turns malicious on the first half of the turns
 * (test/sim/adversary.ts): the run also fails unless every injected fault was caught and no pair
 * of messages is shown in another order than the relay's log.
 */
import { readCorpus } from './corpus.ts'
import { startRelayProcess } from './relay-process.ts'
import { type FaultKind, parseKinds } from './adversary.ts'
import { runScenario, type SimReport } from './scenario.ts'
import { type FaultReport, maxAttemptsPer30s, RelayFleet, runFaults } from './faults.ts'
import { seededRandom } from '../seeded-random.ts'
import postgres from 'postgres'

const FLAGS = new Set(['corpus', 'limit', 'data', 'seed', 'adversary', 'kill-relay', 'pause-relay', 'relays', 'postgres'])
const USAGE = 'usage: npm run sim -- --corpus FILE [--limit N] [--data DIR] [--seed S] [--adversary replay,drop,reorder,fork,inject] ' +
  '[--kill-relay N] [--pause-relay SECONDS] [--relays N --postgres URL]'

/** Flags as written; an unknown flag or a stray word is an error (a typo must not pass quietly). */
function parseArgs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (!a.startsWith('--')) fail(`unexpected argument ${JSON.stringify(a)}\n${USAGE}`)
    const [k, inline] = a.slice(2).split('=', 2) as [string, string | undefined]
    if (!FLAGS.has(k)) fail(`unknown flag --${k}\n${USAGE}`)
    out[k] = inline ?? args[++i] ?? ''
  }
  return out
}

function fail(message: string): never {
  console.error(`sim: ${message}`)
  Deno.exit(2)
}

const args = parseArgs(Deno.args)
if (args.seed !== undefined && !/^\d+$/.test(args.seed)) fail(`--seed expects a whole number, got ${JSON.stringify(args.seed)}`)
const seed = args.seed !== undefined ? Number(args.seed) : Math.floor(Math.random() * 2 ** 31)
const whole = (flag: string, fallback: number): number => {
  const v = args[flag]
  if (v === undefined) return fallback
  if (!/^\d+$/.test(v)) fail(`--${flag} expects a whole number, got ${JSON.stringify(v)}`)
  return Number(v)
}
const kills = whole('kill-relay', 0)
const pauseSeconds = whole('pause-relay', 0)
const relayCount = whole('relays', 1)
if (relayCount < 1) fail('--relays expects at least 1')
if (relayCount > 1 && !args.postgres) fail('--relays above 1 needs --postgres URL (relays share one store only on Postgres)')
if (args.postgres !== undefined && !/^postgres(ql)?:\/\//.test(args.postgres)) fail('--postgres expects a postgres:// URL')
const faulty = kills > 0 || pauseSeconds > 0
const dataDir = args.data || await Deno.makeTempDir({ prefix: 'wardline-sim-' })
const empty = {
  conversations: 0, devices: 0, sent: 0, delivered: 0, expected: 0, lost: 0, duplicates: 0,
  outOfOrder: 0, acksChanged: 0, p50Ms: 0, p99Ms: 0, seconds: 0, dataDir, seed, visibleOrderChanges: 0,
  replaysInjected: 0, replaysRejected: 0, dropsInjected: 0, dropsDetected: 0, forksInjected: 0,
  forksDetected: 0, injectionsInjected: 0, injectionsBlocked: 0, reordersInjected: 0,
}
let kinds: FaultKind[] = []

/** A fresh database on the given server, so a run never meets an earlier run's organisation. */
async function freshDatabase(server: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `wardline_sim_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`
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

type FaultFields = { kills: number; pauses: number; maxAttemptsPerDevicePer30s: number; relays: number }
let report: (SimReport | (typeof empty & { error: string })) & Partial<FaultFields>
let relay: Awaited<ReturnType<typeof startRelayProcess>> | null = null
let fleet: RelayFleet | null = null
let database: Awaited<ReturnType<typeof freshDatabase>> | null = null
let faultReport: FaultReport = { kills: 0, pauses: 0, pauseStartedAt: null, pauseEndedAt: null }
try {
  if (!args.corpus) throw new Error(USAGE)
  if (args.adversary !== undefined) kinds = parseKinds(args.adversary)
  const limit = args.limit !== undefined ? Number(args.limit) : undefined
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new Error('--limit expects a whole number')
  const dialogues = readCorpus(await Deno.readTextFile(args.corpus), limit)
  if (!faulty && relayCount === 1 && !args.postgres) {
    relay = await startRelayProcess(dataDir)
    report = await runScenario({ dialogues, relayUrl: relay.url, setupCode: relay.setupCode, seed, dataDir, adversary: kinds })
  } else {
    if (args.postgres) database = await freshDatabase(args.postgres)
    fleet = await RelayFleet.start({
      dataDirs: Array.from({ length: relayCount }, (_, i) => `${dataDir}/relay-${i}`),
      ...(database ? { env: { WARDLINE_DATABASE_URL: database.url } } : {}),
    })
    const started = fleet
    const socketAttempts = new Map<string, number[]>()
    // Its own stream, so the faults' moments do not shift the scenario's own seeded choices.
    const random = seededRandom(seed ^ 0x5eed_fa17)
    const scenario = await runScenario({
      dialogues,
      relayUrl: started.urls[0]!,
      relayUrls: started.urls,
      setupCode: started.relays[0]!.setupCode,
      seed,
      dataDir,
      adversary: kinds,
      socketAttempts,
      faults: async (ctx) => {
        faultReport = await runFaults(started, { kills, pauseSeconds, random }, ctx)
      },
    })
    report = {
      ...scenario,
      relays: relayCount,
      kills: faultReport.kills,
      pauses: faultReport.pauses,
      maxAttemptsPerDevicePer30s: faultReport.pauseStartedAt === null ? 0 : maxAttemptsPer30s(socketAttempts, faultReport.pauseStartedAt),
    }
  }
} catch (e) {
  console.error(`sim: ${e instanceof Error ? e.message : e}`)
  report = { ...empty, error: e instanceof Error ? e.message : String(e), ...(faulty ? { kills: faultReport.kills, pauses: faultReport.pauses } : {}) }
} finally {
  await relay?.stop()
  await fleet?.stop()
}
console.log(JSON.stringify(report))
if (!('error' in report) && kinds.length > 0) {
  // Say so when a requested kind of fault never found a place to act (a short or two-person corpus).
  const acted: Record<string, number> = {
    replay: report.replaysInjected, drop: report.dropsInjected, reorder: report.reordersInjected,
    fork: report.forksInjected, inject: report.injectionsInjected,
  }
  const idle = kinds.filter((k) => acted[k] === 0)
  if (idle.length > 0) console.error(`sim: warning: no ${idle.join(', ')} fault was injected in this run (the corpus gave it no place)`)
}
function adversaryFailed(r: typeof empty): boolean {
  return r.replaysRejected < r.replaysInjected || r.dropsDetected < r.dropsInjected ||
    r.forksDetected < r.forksInjected || r.injectionsBlocked < r.injectionsInjected || r.visibleOrderChanges > 0
}
const failed = 'error' in report || report.lost > 0 || report.duplicates > 0 || report.outOfOrder > 0 ||
  (kinds.length > 0 && adversaryFailed(report)) ||
  // Under relay faults every device must also converge: show every message of its conversation.
  (faulty && (('missingAtEnd' in report ? report.missingAtEnd : 0) > 0 || report.acksChanged > 0))
if (database) {
  if (!failed) await database.drop().catch(() => {})
  else console.error(`sim: kept database ${new URL(database.url).pathname.slice(1)} for a look`)
}
// A passing run's temporary data is removed; a failing one's is kept for a look (its path is in the JSON).
if (!failed && !args.data) await Deno.remove(dataDir, { recursive: true }).catch(() => {})
Deno.exit(failed ? 1 : 0)
