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

function parseArgs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (!a.startsWith('--')) continue
    const [k, inline] = a.slice(2).split('=', 2) as [string, string | undefined]
    out[k] = inline ?? args[++i] ?? ''
  }
  return out
}

const args = parseArgs(Deno.args)
const seed = args.seed !== undefined ? Number(args.seed) : Math.floor(Math.random() * 2 ** 31)
const dataDir = args.data || await Deno.makeTempDir({ prefix: 'wardline-sim-' })
const empty = {
  conversations: 0, devices: 0, sent: 0, delivered: 0, expected: 0, lost: 0, duplicates: 0,
  outOfOrder: 0, p50Ms: 0, p99Ms: 0, seconds: 0, dataDir, seed, visibleOrderChanges: 0,
  replaysInjected: 0, replaysRejected: 0, dropsInjected: 0, dropsDetected: 0, forksInjected: 0,
  forksDetected: 0, injectionsInjected: 0, injectionsBlocked: 0, reordersInjected: 0,
}
const USAGE = 'usage: npm run sim -- --corpus FILE [--limit N] [--data DIR] [--seed S] [--adversary replay,drop,reorder,fork,inject]'
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
  console.error(`sim: ${e instanceof Error ? e.stack ?? e.message : e}`)
  report = { ...empty, error: e instanceof Error ? e.message : String(e) }
} finally {
  await relay?.stop()
}
console.log(JSON.stringify(report))
function adversaryFailed(r: typeof empty): boolean {
  return r.replaysRejected < r.replaysInjected || r.dropsDetected < r.dropsInjected ||
    r.forksDetected < r.forksInjected || r.injectionsBlocked < r.injectionsInjected || r.visibleOrderChanges > 0
}
const failed = 'error' in report || report.lost > 0 || report.duplicates > 0 || report.outOfOrder > 0 ||
  (kinds.length > 0 && adversaryFailed(report))
Deno.exit(failed ? 1 : 0)
