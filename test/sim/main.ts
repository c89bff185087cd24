/**
 * The ward simulator: replays an MTS-Dialog CSV through a real relay (the same server `npm start`
 * runs, as a child process) with one device per (dialogue, speaker), using the product's own
 * crypto and sync engine. Prints one JSON line (the last line of stdout), logs to stderr, and
 * exits non-zero when anything was lost, duplicated or shown out of order.
 *
 *   npm run sim -- --corpus FILE [--limit N] [--data DIR] [--seed S]
 */
import { readCorpus } from './corpus.ts'
import { startRelayProcess } from './relay-process.ts'
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
  outOfOrder: 0, p50Ms: 0, p99Ms: 0, seconds: 0, dataDir, seed,
}

let report: SimReport | (typeof empty & { error: string })
let relay: Awaited<ReturnType<typeof startRelayProcess>> | null = null
try {
  if (!args.corpus) throw new Error('usage: npm run sim -- --corpus FILE [--limit N] [--data DIR] [--seed S]')
  const limit = args.limit !== undefined ? Number(args.limit) : undefined
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new Error('--limit expects a whole number')
  const dialogues = readCorpus(await Deno.readTextFile(args.corpus), limit)
  relay = await startRelayProcess(dataDir)
  report = await runScenario({ dialogues, relayUrl: relay.url, setupCode: relay.setupCode, seed, dataDir })
} catch (e) {
  console.error(`sim: ${e instanceof Error ? e.stack ?? e.message : e}`)
  report = { ...empty, error: e instanceof Error ? e.message : String(e) }
} finally {
  await relay?.stop()
}
console.log(JSON.stringify(report))
const failed = 'error' in report || report.lost > 0 || report.duplicates > 0 || report.outOfOrder > 0
Deno.exit(failed ? 1 : 0)
