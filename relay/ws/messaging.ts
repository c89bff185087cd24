/**
 * Frame handlers for the envelope log: subscribe (catch-up then live), send (gap-free,
 * idempotent append under the current epoch) and receipts. Membership is always the CURRENT
 * member device set, so a device removed by a commit can no longer read or write. The relay reads only the clear envelope header to route;
 * it never verifies or opens the sealed payload (clients do, DESIGN §3).
 */
import { decodeCommitEntry, isCommitEntry, parseCommit, parseEnvelopeHeader, parseReceipt } from '../crypto-surface.ts'
import type { RelayStorage } from '../storage/storage.ts'
import type { FrameOf } from '../wire/frames.ts'
import type { SessionContext } from './context.ts'

/** Catch-up is read in pages so a long backlog never sits in memory at once. */
export const CATCH_UP_PAGE = 500

/**
 * The log position of the commit that removed `deviceId` from the conversation, or null when it
 * never was a member. Rare (only removed devices ask), so it scans the commits in the log.
 */
async function removalSeq(storage: RelayStorage, conversationId: string, deviceId: string): Promise<number | null> {
  const conv = await storage.getConversation(conversationId)
  const genesis = conv ? parseCommit(conv.genesis) : null
  if (!genesis?.ok) return null
  let member = genesis.value.deviceIds.includes(deviceId)
  let since = 0
  for (;;) {
    const page = await storage.envelopesSince(conversationId, since, CATCH_UP_PAGE)
    for (const e of page) {
      since = e.seq
      if (!isCommitEntry(e.envelope)) continue
      const entry = decodeCommitEntry(e.envelope)
      const commit = entry.ok ? parseCommit(entry.value.commit) : null
      if (!commit?.ok) continue
      const now = commit.value.deviceIds.includes(deviceId)
      if (member && !now) return e.seq
      member = now
    }
    if (page.length < CATCH_UP_PAGE) return null
  }
}

/**
 * A snapshot is up to MAX_SNAPSHOT_PARTS × 256 KiB: paced by the reader like the log after it,
 * so a device catching up is never dropped as a slow reader. False when the socket went away.
 */
async function sendSnapshotParts(
  s: SessionContext,
  conversationId: string,
  snapshot: { seq: number; parts: Uint8Array[] },
): Promise<boolean> {
  for (const [index, part] of snapshot.parts.entries()) {
    if (!(await s.drain())) return false
    s.sendFrame({ type: 'snapshotPart', conversationId, seq: snapshot.seq, index, count: snapshot.parts.length, part })
  }
  return true
}

/** A removed device reads the log up to the commit that removed it — so it learns it — and no further. */
async function catchUpUntilRemoval(s: SessionContext, f: FrameOf<'subscribe'>): Promise<void> {
  const { storage } = s.deps
  const upTo = await removalSeq(storage, f.conversationId, s.deviceId)
  if (upTo === null) return s.sendError('relay/not-member', f.conversationId)
  let sentUpTo = Math.min(f.since, upTo)
  const conv = await storage.getConversation(f.conversationId)
  if (conv && sentUpTo < conv.prunedSeq) {
    // Compacted behind the device: the snapshot serves it only if it covers no more than what the
    // device was a member for; otherwise the entries it missed are gone and it is told so.
    const snapshot = await storage.prunedSnapshot(f.conversationId)
    if (!snapshot || snapshot.seq > upTo) return s.sendError('relay/not-member', f.conversationId)
    if (!(await sendSnapshotParts(s, f.conversationId, snapshot))) return
  }
  for (;;) {
    const page = (await storage.envelopesSince(f.conversationId, sentUpTo, CATCH_UP_PAGE)).filter((e) => e.seq <= upTo)
    for (const e of page) {
      if (!(await s.drain())) return
      s.sendFrame({ type: 'envelope', conversationId: f.conversationId, seq: e.seq, envelope: e.envelope })
      sentUpTo = e.seq
    }
    if (page.length < CATCH_UP_PAGE) break
  }
  s.sendFrame({ type: 'caughtUp', conversationId: f.conversationId, seq: sentUpTo })
}

export async function handleSubscribe(s: SessionContext, f: FrameOf<'subscribe'>): Promise<void> {
  const { storage, hub } = s.deps
  const id = f.conversationId
  if (!(await storage.isMember(id, s.deviceId))) return catchUpUntilRemoval(s, f)
  // Join first, query second: anything appended meanwhile is buffered and deduplicated by seq.
  hub.beginSubscription(id, s)
  const conv = await storage.getConversation(id)
  const head = conv?.headSeq ?? 0
  let sentUpTo = Math.min(f.since, head)
  if (conv && sentUpTo < conv.prunedSeq) {
    // The data entries up to the pruned point are gone: the snapshot covering them comes first,
    // then the log from where the device is (commits are never pruned, so it reads every one).
    const snapshot = await storage.prunedSnapshot(id)
    if (snapshot && !(await sendSnapshotParts(s, id, snapshot))) return
  }
  for (;;) {
    const page = await storage.envelopesSince(id, sentUpTo, CATCH_UP_PAGE)
    for (const e of page) {
      // A backlog is paced by the reader, never queued whole (limits.maxBufferedBytes).
      if (!(await s.drain())) return
      s.sendFrame({ type: 'envelope', conversationId: id, seq: e.seq, envelope: e.envelope })
      sentUpTo = e.seq
    }
    if (page.length < CATCH_UP_PAGE) break
  }
  s.sendFrame({ type: 'caughtUp', conversationId: id, seq: sentUpTo })
  hub.goLive(id, s, sentUpTo)
  for (const r of await storage.receiptsOf(id)) {
    s.sendFrame({
      type: 'receiptUpdate',
      conversationId: id,
      deviceId: r.deviceId,
      receipt: r.receipt,
    })
  }
}

export async function handleSend(s: SessionContext, f: FrameOf<'send'>): Promise<void> {
  const { storage, hub } = s.deps
  const header = parseEnvelopeHeader(f.envelope)
  if (!header.ok) return s.sendError('relay/malformed-envelope', f.ref)
  const h = header.value
  if (h.conversationId !== f.conversationId || h.senderDeviceId !== s.deviceId) {
    return s.sendError('relay/wrong-sender', f.ref)
  }
  if (!(await storage.isMember(f.conversationId, s.deviceId))) {
    return s.sendError('relay/not-member', f.ref)
  }
  const stored = await storage.appendEnvelope({
    conversationId: f.conversationId,
    senderDeviceId: s.deviceId,
    epoch: h.epoch,
    counter: h.counter,
    envelope: f.envelope,
  })
  // The epoch and current membership are decided in the append's transaction, after the
  // idempotency lookup: a repeat of a stored envelope still gets its seq after a new epoch.
  if ('refused' in stored) return s.sendError(stored.refused, f.ref)
  // Acknowledge only after the durable commit (synchronous=FULL), so "sent" never lies.
  s.sendFrame({ type: 'ack', ref: f.ref, conversationId: f.conversationId, seq: stored.seq })
  if (stored.duplicate) return
  s.deps.metrics.inc('wardline_appends_total')
  hub.publishEnvelope(f.conversationId, stored.seq, f.envelope, s)
  s.deps.bus.publish({ type: 'entry', conversationId: f.conversationId, seq: stored.seq })
}

export async function handleReceipt(s: SessionContext, f: FrameOf<'receipt'>): Promise<void> {
  const { storage, hub } = s.deps
  const id = f.conversationId
  if (!(await storage.isMember(id, s.deviceId))) return s.sendError('relay/not-member', id)
  const r = parseReceipt(f.receipt)
  if (!r.ok) return s.sendError('relay/malformed-receipt', id)
  if (r.value.conversationId !== id || r.value.deviceId !== s.deviceId) {
    return s.sendError('relay/wrong-sender', id)
  }
  if (r.value.delivered < 0 || r.value.read < 0) return s.sendError('relay/malformed-receipt', id)
  const stored = await storage.putReceipt(
    id,
    s.deviceId,
    f.receipt,
    r.value.delivered + r.value.read,
  )
  if (stored) {
    hub.publishToSubscribers(id, {
      type: 'receiptUpdate',
      conversationId: id,
      deviceId: s.deviceId,
      receipt: f.receipt,
    })
    s.deps.bus.publish({ type: 'receipt', conversationId: id, deviceId: s.deviceId })
  }
}
