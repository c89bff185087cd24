/**
 * Wrong-PIN throttling (DESIGN §1 rule 6): pure arithmetic over the persisted counter
 * `{ failures, lastFailureAt }`, so the worker and its tests agree on the schedule. It slows a
 * thief at the unlock screen only; a copied profile is protected by the scrypt cost alone
 * (docs/THREAT_MODEL.md).
 */

export type PinFailures = { failures: number; lastFailureAt: number }
export const NO_FAILURES: PinFailures = { failures: 0, lastFailureAt: 0 }

/** Failures answered at once; each later one doubles the wait, up to the cap. */
export const FREE_FAILURES = 3
export const MAX_DELAY_MS = 30_000

/** Wait after the n-th consecutive failure: 0 s for the first 3, then 2^(n−3) s, capped at 30 s. */
export function failureDelayMs(failures: number, unitMs = 1000): number {
  if (failures <= FREE_FAILURES) return 0
  return Math.min(MAX_DELAY_MS, 2 ** (failures - FREE_FAILURES) * 1000) * (unitMs / 1000)
}

/** How long a new attempt must still wait (a reload does not skip the wait of the last failure). */
export function remainingWaitMs(state: PinFailures, now: number, unitMs = 1000): number {
  const until = state.lastFailureAt + failureDelayMs(state.failures, unitMs)
  return Math.max(0, Math.min(until - now, failureDelayMs(state.failures, unitMs)))
}

/** Attempts left before the wipe under a limit of `max` consecutive failures. */
export function attemptsLeft(state: PinFailures, max: number): number {
  return Math.max(0, max - state.failures)
}

/** Reads a stored counter defensively: anything odd counts as no failures yet. */
export function parsePinFailures(v: unknown): PinFailures {
  const o = v as Partial<PinFailures> | undefined
  const ok = o && Number.isSafeInteger(o.failures) && o.failures! >= 0 && Number.isFinite(o.lastFailureAt)
  return ok ? { failures: o.failures!, lastFailureAt: o.lastFailureAt! } : NO_FAILURES
}
