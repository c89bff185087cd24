/**
 * The hub: which sessions are logged in, which devices are online and who subscribes to which
 * conversation. It fans frames out and implements the catch-up hand-off: a subscription joins
 * the live set before the catch-up query and buffers live envelopes until `goLive`, which then
 * forwards only seqs above what catch-up sent, so nothing is lost or sent twice.
 */
import type { Frame } from '../wire/frames.ts'

export interface HubMember {
  readonly deviceId: string
  sendFrame(frame: Frame): void
  /** Closes the member's socket with an application close code (revocation: 4003). */
  close(code: number): void
}

type Subscription = { buffer: { seq: number; envelope: Uint8Array }[] | null; threshold: number }

export class Hub {
  private readonly loggedIn = new Set<HubMember>()
  private readonly byDevice = new Map<string, Set<HubMember>>()
  private readonly byConversation = new Map<string, Map<HubMember, Subscription>>()
  /** The conversations each session subscribes to, so a disconnect touches only those. */
  private readonly subscribedBy = new Map<HubMember, Set<string>>()

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
    subs.set(m, { buffer: [], threshold: 0 })
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
    for (const e of pending) this.deliver(conversationId, m, sub, e.seq, e.envelope)
  }

  private deliver(
    conversationId: string,
    m: HubMember,
    sub: Subscription,
    seq: number,
    envelope: Uint8Array,
  ): void {
    if (seq <= sub.threshold) return
    sub.threshold = seq
    m.sendFrame({ type: 'envelope', conversationId, seq, envelope })
  }

  publishEnvelope(
    conversationId: string,
    seq: number,
    envelope: Uint8Array,
    except: HubMember,
  ): void {
    for (const [m, sub] of this.byConversation.get(conversationId) ?? []) {
      if (m === except) continue
      if (sub.buffer) sub.buffer.push({ seq, envelope })
      else this.deliver(conversationId, m, sub, seq, envelope)
    }
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
