/**
 * The ward simulator: replays an MTS-Dialog CSV through a real relay (the same server `npm start`
 * runs, as a child process) with one device per (dialogue, speaker), using the product's own
 * crypto and sync engine. Prints one JSON line (the last line of stdout), logs to stderr, and
 * exits non-zero when anything was lost, duplicated or shown out of order.
 *
 *   npm run sim -- --corpus FILE [--limit N] [--data DIR] [--seed S] [--adversary replay,drop,reorder,fork,inject]
 *
 * With --adversary (any subset) the relay turns malicious on the first half of the turns
 * (test/sim/adversary.ts): the run also fails unless every injected fault was caught and no pair
 * of messages is shown in another order than the relay's log.
 */
import { readCorpus } from './corpus.ts'
import { startRelayProcess } from './relay-process.ts'
import { type FaultKind, parseKinds } from './adversary.ts'
import { runScenario, type SimReport } from './scenario.ts'

const FLAGS = new Set(['corpus', 'limit', 'data', 'seed', 'adversary'])
const USAGE = 'usage: npm run sim -- --corpus FILE [--limit N] [--data DIR] [--seed S] [--adversary replay,drop,reorder,fork,inject]'

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
const dataDir = args.data || await Deno.makeTempDir({ prefix: 'wardline-sim-' })
const empty = {
  conversations: 0, devices: 0, sent: 0, delivered: 0, expected: 0, lost: 0, duplicates: 0,
  outOfOrder: 0, p50Ms: 0, p99Ms: 0, seconds: 0, dataDir, seed, visibleOrderChanges: 0,
  replaysInjected: 0, replaysRejected: 0, dropsInjected: 0, dropsDetected: 0, forksInjected: 0,
  forksDetected: 0, injectionsInjected: 0, injectionsBlocked: 0, reordersInjected: 0,
}
let kinds: FaultKind[] = []

let report: SimReport | (typeof empty & { error: string })
let relay: Awaited<ReturnType<typeof startRelayProcess>> | null = null
try {
  if (!args.corpus) throw new Error(USAGE)
  if (args.adversary !== undefined) kinds = parseKinds(args.adversary)
  const limit = args.limit !== undefined ? Number(args.limit) : undefined
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new Error('--limit expects a whole number')
  const dialogues = readCorpus(await Deno.readTextFile(args.corpus), limit)
  relay = await startRelayProcess(dataDir)
  report = await runScenario({ dialogues, relayUrl: relay.url, setupCode: relay.setupCode, seed, dataDir, adversary: kinds })
} catch (e) {
  console.error(`sim: ${e instanceof Error ? e.message : e}`)
  report = { ...empty, error: e instanceof Error ? e.message : String(e) }
} finally {
  await relay?.stop()
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
  (kinds.length > 0 && adversaryFailed(report))
// A passing run's temporary data is removed; a failing one's is kept for a look (its path is in the JSON).
if (!failed && !args.data) await Deno.remove(dataDir, { recursive: true }).catch(() => {})
Deno.exit(failed ? 1 : 0)
