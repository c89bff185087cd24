/**
 * The hub: which sessions are logged in, which devices are online and who subscribes to which
 * conversation. It fans frames out and implements the catch-up hand-off: a subscription joins
 * the live set before the catch-up query and buffers live envelopes until `goLive`, which then
 * forwards only seqs above what catch-up sent, so nothing is lost or sent twice.
 *
 * Entries reach each live subscription in seq order with no holes: with several relays on one
 * store (issue 4) an entry can arrive before the one under it (two relays append, their
 * notifications race), so an entry ahead of a gap is held and the gap is read from the log
 * (`readLog`), once per conversation however many sessions wait on it.
 */
import type { Frame } from '../wire/frames.ts'

export interface HubMember {
  readonly deviceId: string
  sendFrame(frame: Frame): void
  /** Closes the member's socket with an application close code (revocation: 4003). */
  close(code: number): void
}

/** `silent`: the session's own entry, already acknowledged, so not sent back to it. */
type Entry = { seq: number; envelope: Uint8Array; silent: boolean }

type Subscription = {
  buffer: Entry[] | null
  /** The highest seq the session has (by catch-up or live); live ones arrive as threshold + 1. */
  threshold: number
  /** Live entries above a gap, waiting for the gap to be read from the log. */
  held: Map<number, Entry>
}

/** Reads the log (RelayStorage.envelopesSince). */
export type ReadLog = (
  conversationId: string,
  since: number,
  limit: number,
) => Promise<{ seq: number; envelope: Uint8Array }[]>

/** Largest page a gap fill reads at once. */
export const FILL_PAGE = 500

export class Hub {
  private readonly loggedIn = new Set<HubMember>()
  private readonly byDevice = new Map<string, Set<HubMember>>()
  private readonly byConversation = new Map<string, Map<HubMember, Subscription>>()
  /** The conversations each session subscribes to, so a disconnect touches only those. */
  private readonly subscribedBy = new Map<HubMember, Set<string>>()
  /** Conversations with a gap fill in flight: true when another was asked for meanwhile. */
  private readonly filling = new Map<string, boolean>()

  constructor(private readonly readLog?: ReadLog) {}

  addLoggedIn(m: HubMember): void {
    this.loggedIn.add(m)
    const set = this.byDevice.get(m.deviceId) ?? new Set()
    set.add(m)
    this.byDevice.set(m.deviceId, set)
  }

  remove(m: HubMember): void {
    this.loggedIn.delete(m)
    const set = this.byDevice.get(m.deviceId)
    set?.delete(m)
    if (set?.size === 0) this.byDevice.delete(m.deviceId)
    for (const id of this.subscribedBy.get(m) ?? []) {
      const subs = this.byConversation.get(id)
      subs?.delete(m)
      if (subs?.size === 0) this.byConversation.delete(id)
    }
    this.subscribedBy.delete(m)
  }

  get connectionCount(): number {
    return this.loggedIn.size
  }

  /** Joins the live set in buffering mode; call `goLive` once catch-up has been sent. */
  beginSubscription(conversationId: string, m: HubMember): void {
    const subs = this.byConversation.get(conversationId) ?? new Map<HubMember, Subscription>()
    subs.set(m, { buffer: [], threshold: 0, held: new Map() })
    this.byConversation.set(conversationId, subs)
    const mine = this.subscribedBy.get(m) ?? new Set<string>()
    mine.add(conversationId)
    this.subscribedBy.set(m, mine)
  }

  /** Ends the listed devices' subscriptions to one conversation (they left its member set). */
  endSubscriptions(conversationId: string, deviceIds: Iterable<string>): void {
    const subs = this.byConversation.get(conversationId)
    if (!subs) return
    for (const m of this.sessionsOf(deviceIds)) {
      subs.delete(m)
      this.subscribedBy.get(m)?.delete(conversationId)
    }
    if (subs.size === 0) this.byConversation.delete(conversationId)
  }

  /** Flushes envelopes buffered during catch-up with seq > sentUpTo, then delivers live. */
  goLive(conversationId: string, m: HubMember, sentUpTo: number): void {
    const sub = this.byConversation.get(conversationId)?.get(m)
    if (!sub || sub.buffer === null) return
    const pending = sub.buffer.sort((a, b) => a.seq - b.seq)
    sub.buffer = null
    sub.threshold = sentUpTo
    for (const e of pending) this.deliver(conversationId, m, sub, e)
  }

  private deliver(conversationId: string, m: HubMember, sub: Subscription, e: Entry): void {
    if (e.seq <= sub.threshold) return
    if (e.seq > sub.threshold + 1 && this.readLog) {
      sub.held.set(e.seq, e)
      void this.fill(conversationId)
      return
    }
    // A held copy of this seq knows whether it is the session's own (a fill's copy does not).
    const own = sub.held.get(e.seq)?.silent ?? e.silent
    sub.held.delete(e.seq)
    sub.threshold = e.seq
    if (!own) m.sendFrame({ type: 'envelope', conversationId, seq: e.seq, envelope: e.envelope })
    const next = sub.held.get(sub.threshold + 1)
    if (next) this.deliver(conversationId, m, sub, next)
  }

  /**
   * Reads the gaps of every waiting subscription of one conversation from the log and delivers
   * them. What the log no longer has (or a failed read) is skipped: the session then sees the
   * gap itself and catches up, as it does after any lost frame.
   */
  private async fill(conversationId: string): Promise<void> {
    if (this.filling.has(conversationId)) return void this.filling.set(conversationId, true)
    this.filling.set(conversationId, false)
    try {
      for (;;) {
        const waiting = [...(this.byConversation.get(conversationId) ?? [])]
          .filter(([, sub]) => sub.buffer === null && sub.held.size > 0)
        if (waiting.length === 0) break
        const from = Math.min(...waiting.map(([, sub]) => sub.threshold))
        const upTo = Math.max(...waiting.flatMap(([, sub]) => [...sub.held.keys()]))
        const limit = Math.min(upTo - from, FILL_PAGE)
        const page = await this.readLog!(conversationId, from, limit).catch(() => [])
        for (const [m, sub] of this.byConversation.get(conversationId) ?? []) {
          if (sub.buffer !== null) continue
          for (const e of page) this.deliver(conversationId, m, sub, { ...e, silent: false })
          // A full page stops short of upTo: the next round reads on. Otherwise release the rest.
          if (page.length < limit) this.release(conversationId, m, sub, from + limit)
        }
        if (!this.filling.get(conversationId) && page.length < limit) break
        this.filling.set(conversationId, false)
      }
    } finally {
      this.filling.delete(conversationId)
    }
  }

  /** Delivers held entries up to `upTo` across the gaps the log could not fill. */
  private release(conversationId: string, m: HubMember, sub: Subscription, upTo: number): void {
    for (const seq of [...sub.held.keys()].sort((a, b) => a - b)) {
      if (seq > upTo) break
      const e = sub.held.get(seq)
      if (!e) continue // delivered meanwhile, as the next after another
      if (seq <= sub.threshold) sub.held.delete(seq)
      else {
        sub.threshold = seq - 1
        this.deliver(conversationId, m, sub, e)
      }
    }
  }

  /**
   * Fans a log entry out to the conversation's subscribers. `except` (the session that appended
   * it, already acknowledged) does not get it back but counts it as had; null when the entry
   * came from another relay.
   */
  publishEnvelope(
    conversationId: string,
    seq: number,
    envelope: Uint8Array,
    except: HubMember | null,
  ): void {
    for (const [m, sub] of this.byConversation.get(conversationId) ?? []) {
      const e = { seq, envelope, silent: m === except }
      if (sub.buffer) sub.buffer.push(e)
      else this.deliver(conversationId, m, sub, e)
    }
  }

  /** Conversations with at least one session subscribed on this relay. */
  subscribedConversations(): string[] {
    return [...this.byConversation.keys()]
  }

  hasSubscribers(conversationId: string): boolean {
    return this.byConversation.has(conversationId)
  }

  /** Devices with a session subscribed to the conversation on this relay. */
  subscribedDeviceIds(conversationId: string): string[] {
    return [
      ...new Set([...this.byConversation.get(conversationId)?.keys() ?? []].map((m) => m.deviceId)),
    ]
  }

  /** Receipts go to live subscribers only; catching-up ones read all stored receipts after. */
  publishToSubscribers(conversationId: string, frame: Frame): void {
    for (const [m, sub] of this.byConversation.get(conversationId) ?? []) {
      if (sub.buffer === null) m.sendFrame(frame)
    }
  }

  /** Every online session of each listed device, except `except`. */
  sessionsOf(deviceIds: Iterable<string>, except?: HubMember): HubMember[] {
    const out: HubMember[] = []
    for (const id of deviceIds) {
      for (const m of this.byDevice.get(id) ?? []) if (m !== except) out.push(m)
    }
    return out
  }

  broadcastLoggedIn(frame: Frame): void {
    for (const m of this.loggedIn) m.sendFrame(frame)
  }
}
