/**
 * The mailbox time-to-live job (issue 4) on top of compaction (decision 0008): every `everyMs`
 * (and once at start) it prunes, per conversation, the data entries covered by a snapshot stored
 * more than `graceMs` ago (`storage.pruneCovered`); commits and uncovered entries stay. The clock
 * is injectable so a test can age the mailbox at once; `stop` waits for a run in progress.
 * The same run deletes attachment uploads left incomplete for longer than `blobTtlMs`
 * (decision 0018), so nothing half-stored stays.
 */
import type { Log } from './log.ts'
import type { Metrics } from './metrics.ts'
import type { RelayStorage } from './storage/storage.ts'

export type PrunerOptions = {
  graceMs: number
  everyMs: number
  /** Incomplete blob uploads started longer ago than this are deleted (0 or absent: never). */
  blobTtlMs?: number
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
    const pruned = await storage.pruneCovered(now() - o.graceMs)
    if (pruned > 0) {
      o.metrics.inc('wardline_pruned_envelopes_total', '', pruned)
      o.log('compaction.pruned', { entries: pruned })
    }
    if (o.blobTtlMs) {
      const expired = await storage.blobs.deleteIncompleteBlobs(now() - o.blobTtlMs)
      if (expired > 0) o.log('blob.expired', { uploads: expired })
    }
    return pruned
  }

  const runOnce = (): Promise<number> => {
    if (stopped) return Promise.resolve(0)
    running ??= prune().catch((e) => {
      o.log('compaction.failed', { error: e instanceof Error ? e.name : 'unknown' })
      return 0
    }).finally(() => (running = null))
    return running
  }

  const timer = o.everyMs > 0 ? setInterval(() => void runOnce(), o.everyMs) : undefined
  void runOnce()
  return {
    runOnce,
    async stop() {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
