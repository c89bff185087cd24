/**
 * What this relay does with another relay's event (issue 4, relay/bus/bus.ts): the same frames
 * its own handlers send to their local peers, to the sessions connected HERE. The event carries
 * only ids and seqs, so content (the entry, the receipt, the key boxes) is read from the shared
 * store. Events of one conversation are applied one after another, in arrival order, so a
 * commit's entry reaches subscribers before the commit ends a removed device's subscription.
 */
import type { RelayEvent } from '../bus/bus.ts'
import type { RelayDeps } from './context.ts'
import type { HubMember } from './hub.ts'
import { disconnectRevoked, revocationNotice } from './revocation.ts'

async function deliverEntry(deps: RelayDeps, conversationId: string, seq: number): Promise<void> {
  if (!deps.hub.hasSubscribers(conversationId)) return
  const [e] = await deps.storage.envelopesSince(conversationId, seq - 1, 1)
  if (e?.seq === seq) deps.hub.publishEnvelope(conversationId, seq, e.envelope, null)
}

/** Sends each session the conversation with its own key boxes (as conversations.ts does). */
async function announceConversation(deps: RelayDeps, conversationId: string, peers: HubMember[]) {
  if (peers.length === 0) return
  const conv = await deps.storage.getConversation(conversationId)
  if (!conv) return
  for (const peer of peers) {
    peer.sendFrame({
      type: 'conversation',
      conversationId,
      manifest: conv.genesis,
      boxes: await deps.storage.boxesFor(conversationId, peer.deviceId),
      headSeq: conv.headSeq,
    })
  }
}

async function applyCommit(deps: RelayDeps, e: Extract<RelayEvent, { type: 'commit' }>) {
  const { hub, storage } = deps
  await deliverEntry(deps, e.conversationId, e.seq)
  const members = new Set(await storage.memberDeviceIds(e.conversationId))
  const gone = hub.subscribedDeviceIds(e.conversationId).filter((id) => !members.has(id))
  hub.endSubscriptions(e.conversationId, gone)
  // Without the list, every member hears it; devices that already know it ignore the frame.
  const added = e.added ?? [...members]
  await announceConversation(deps, e.conversationId, hub.sessionsOf(added))
}

async function applyRevoked(deps: RelayDeps, e: Extract<RelayEvent, { type: 'revoked' }>) {
  const { hub, storage } = deps
  // Its own certificate goes first, so the device can verify it before it erases itself.
  disconnectRevoked(hub, e.deviceId, await revocationNotice(storage, e.deviceId).catch(() => null))
  if (!e.announce) return
  for (const c of await storage.conversationsOf(e.deviceId)) {
    if (!c.rotationPending) continue
    const others = (await storage.memberDeviceIds(c.conversationId)).filter((id) =>
      id !== e.deviceId
    )
    for (const peer of hub.sessionsOf(others)) {
      peer.sendFrame({ type: 'rotationPending', conversationId: c.conversationId, epoch: c.epoch })
    }
  }
}

export async function applyRemoteEvent(deps: RelayDeps, e: RelayEvent): Promise<void> {
  const { hub, storage } = deps
  switch (e.type) {
    case 'entry':
      return deliverEntry(deps, e.conversationId, e.seq)
    case 'commit':
      return applyCommit(deps, e)
    case 'receipt': {
      if (!hub.hasSubscribers(e.conversationId)) return
      const r = (await storage.receiptsOf(e.conversationId)).find((x) => x.deviceId === e.deviceId)
      if (!r) return
      return hub.publishToSubscribers(e.conversationId, {
        type: 'receiptUpdate',
        conversationId: e.conversationId,
        deviceId: r.deviceId,
        receipt: r.receipt,
      })
    }
    case 'created': {
      const members = await storage.memberDeviceIds(e.conversationId)
      const others = members.filter((id) => id !== e.authorDeviceId)
      return announceConversation(deps, e.conversationId, hub.sessionsOf(others))
    }
    case 'revoked':
      return applyRevoked(deps, e)
    case 'directoryChanged':
      return hub.broadcastLoggedIn({ type: 'directoryChanged' })
  }
}

/**
 * Applies events in order per conversation (revocations and directory changes in their own
 * line), without one slow conversation holding up the others. A failed read is logged, never
 * thrown: a client that misses a live frame catches up on its next subscribe. `resync`, after
 * the bus may have lost events, offers each subscribed conversation's head entry to the hub,
 * which reads whatever its sessions lack below it from the log.
 */
export function createRemoteEventQueue(deps: RelayDeps): {
  apply(e: RelayEvent): void
  resync(): void
} {
  const tails = new Map<string, Promise<void>>()
  const enqueue = (key: string, type: string, job: () => Promise<void>) => {
    const run = (tails.get(key) ?? Promise.resolve())
      .then(job)
      .catch((err: unknown) =>
        deps.log('bus.apply-failed', { type, error: err instanceof Error ? err.name : 'unknown' })
      )
    tails.set(key, run)
    void run.then(() => {
      if (tails.get(key) === run) tails.delete(key)
    })
  }
  return {
    apply(e) {
      const key = 'conversationId' in e ? `c:${e.conversationId}` : 'relay'
      enqueue(key, e.type, () => applyRemoteEvent(deps, e))
    },
    resync() {
      for (const id of deps.hub.subscribedConversations()) {
        enqueue(`c:${id}`, 'resync', async () => {
          const head = (await deps.storage.getConversation(id))?.headSeq ?? 0
          if (head > 0) await deliverEntry(deps, id, head)
        })
      }
    },
  }
}
