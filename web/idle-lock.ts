/**
 * Idle auto-lock (DESIGN §1 rule 6): after the organisation policy's idle minutes without user
 * activity, calls `onIdle` — the shell's Lock path, which terminates the worker so no key stays in
 * memory. Activity is pointer, key, wheel and touch input and the page becoming visible again.
 * The clock is injectable so tests run it fast (DESIGN §6). Holds no data; touches no worker.
 */

export type IdleClock = {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (id: unknown) => void
}
const realClock: IdleClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id as number),
}

export const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const

export type IdleLockOptions = {
  minutes: number
  onIdle: () => void
  clock?: IdleClock
  /** Where activity is observed (default: the window and the document). */
  target?: EventTarget
  doc?: Document
}

export class IdleLock {
  #o: Required<Omit<IdleLockOptions, 'doc'>> & { doc: Document | null }
  #last: number
  #timer: unknown = null
  #stopped = false

  constructor(options: IdleLockOptions) {
    this.#o = {
      clock: realClock,
      target: globalThis,
      ...options,
      doc: options.doc ?? (typeof document === 'undefined' ? null : document),
    }
    this.#last = this.#o.clock.now()
    for (const type of ACTIVITY_EVENTS) this.#o.target.addEventListener(type, this.#onActivity, { capture: true, passive: true })
    this.#o.doc?.addEventListener('visibilitychange', this.#onVisibility)
    this.#schedule(this.#limitMs())
  }

  /** The policy changed (a new status snapshot): the limit applies from the last activity. */
  setMinutes(minutes: number): void {
    if (minutes === this.#o.minutes) return
    this.#o.minutes = minutes
    this.#check()
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer !== null) this.#o.clock.clearTimeout(this.#timer)
    this.#timer = null
    for (const type of ACTIVITY_EVENTS) this.#o.target.removeEventListener(type, this.#onActivity, { capture: true })
    this.#o.doc?.removeEventListener('visibilitychange', this.#onVisibility)
  }

  #limitMs(): number {
    return Math.max(1, this.#o.minutes) * 60_000
  }

  // Activity only records the time; the one timer re-arms itself when it fires early.
  #onActivity = (): void => {
    this.#last = this.#o.clock.now()
  }

  #onVisibility = (): void => {
    // Coming back after a long time hidden counts from the last activity, so it locks at once.
    if (this.#o.doc?.visibilityState !== 'visible') return
    this.#check()
    if (!this.#stopped) this.#onActivity()
  }

  #check(): void {
    if (this.#stopped) return
    const idle = this.#o.clock.now() - this.#last
    if (idle >= this.#limitMs()) {
      this.stop()
      this.#o.onIdle()
      return
    }
    this.#schedule(this.#limitMs() - idle)
  }

  #schedule(ms: number): void {
    if (this.#timer !== null) this.#o.clock.clearTimeout(this.#timer)
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = null
      this.#check()
    }, ms)
  }
}
