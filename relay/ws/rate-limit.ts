/**
 * Token buckets keyed by device id (the `send` rate limit, issue 4): each device may send
 * `burst` frames at once and `perSecond` on average, across all its connections, so reconnecting
 * does not refill the bucket. Full buckets are forgotten, which keeps the map bounded by the
 * devices that sent recently. The clock is injectable for tests.
 */

/** Above this many tracked devices, a take also forgets every bucket that has refilled. */
const SWEEP_ABOVE = 10_000

export class DeviceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  /** `perSecond` 0 disables the limit. */
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`; false when its bucket is empty (the frame is refused). */
  take(key: string): boolean {
    if (this.perSecond <= 0) return true
    const t = this.now()
    const b = this.refilled(this.buckets.get(key), t)
    if (b.tokens < 1) {
      this.buckets.set(key, b)
      return false
    }
    b.tokens -= 1
    this.buckets.set(key, b)
    if (this.buckets.size > SWEEP_ABOVE) this.sweep(t)
    return true
  }

  get size(): number {
    return this.buckets.size
  }

  private refilled(b: { tokens: number; at: number } | undefined, t: number) {
    if (!b) return { tokens: this.burst, at: t }
    const tokens = Math.min(this.burst, b.tokens + (Math.max(0, t - b.at) / 1000) * this.perSecond)
    return { tokens, at: t }
  }

  private sweep(t: number): void {
    for (const [k, b] of this.buckets) {
      if (this.refilled(b, t).tokens >= this.burst) this.buckets.delete(k)
    }
  }
}
