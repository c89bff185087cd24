/**
 * The mailbox time-to-live job (issue 4): every `everyMs` it deletes data envelopes stored longer
 * than `ttlMs` ago, in batches so one run never holds the database for long. Commit entries stay
 * (storage never prunes them). The clock is injectable so a test can age the mailbox at once.
 */
import type { Log } from './log.ts'
import type { Metrics } from './metrics.ts'
import type { RelayStorage } from './storage/storage.ts'

/** Envelopes deleted per storage call; the job yields to the event loop between batches. */
export const PRUNE_BATCH = 1000

export type PrunerOptions = {
  ttlMs: number
  everyMs: number
  log: Log
  metrics: Metrics
  now?: () => number
}

export type Pruner = { runOnce(): Promise<number>; stop(): Promise<void> }

export function startMailboxPruner(storage: RelayStorage, o: PrunerOptions): Pruner {
  const now = o.now ?? Date.now
  let running: Promise<number> | null = null
  let stopped = false

  const prune = async (): Promise<number> => {
    if (o.ttlMs <= 0) return 0 // 0 keeps envelopes until something else deletes them
    const cutoff = now() - o.ttlMs
    let total = 0
    for (;;) {
      if (stopped) break
      const n = await storage.pruneEnvelopes(cutoff, PRUNE_BATCH)
      total += n
      if (n < PRUNE_BATCH) break
      await new Promise((r) => setTimeout(r, 0))
    }
    if (total > 0) {
      o.metrics.inc('wardline_pruned_envelopes_total', '', total)
      o.log('mailbox.pruned', { envelopes: total })
    }
    return total
  }

  const runOnce = (): Promise<number> => {
    running ??= prune().catch((e) => {
      o.log('mailbox.prune-failed', { error: e instanceof Error ? e.name : 'unknown' })
      return 0
    }).finally(() => (running = null))
    return running
  }

  const enabled = o.ttlMs > 0 && o.everyMs > 0
  const timer = enabled ? setInterval(() => void runOnce(), o.everyMs) : undefined
  return {
    runOnce,
    async stop() {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
