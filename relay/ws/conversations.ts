/**
 * Conversation frames: creating one from its genesis commit plus key boxes, committing later
 * epochs, and listing a device's conversations at login. The relay checks routing consistency
 * (ids, author, devices, box labels), the author's signature and that every listed device and the
 * compliance key get a box of the new epoch — what every member would refuse otherwise, so one
 * member cannot stall a conversation with a commit the relay took and nobody can follow — and
 * orders competing commits by the hash chain; clients verify everything again themselves (DESIGN §3).
 */
import {
  commitHash,
  complianceRecipientId,
  decodeCommitEntry,
  equalBytes,
  GENESIS_PREV_HASH,
  MAX_CONVERSATION_DEVICES,
  parseCommit,
  parseComplianceCertificate,
  parseDeviceBinding,
  parseKeyBoxHeader,
  verifyCommit,
} from '../crypto-surface.ts'
import { shortId } from '../log.ts'
import type { KeyBoxRow } from '../storage/storage.ts'
import type { FrameOf } from '../wire/frames.ts'
import { isSaneId, type SessionContext } from './context.ts'

/** Key boxes for the organisation's compliance key are addressed to 'compliance:<key id>'. */
export const COMPLIANCE_PREFIX = 'compliance:'

const sameSet = (a: string[], b: string[]): boolean => {
  const x = new Set(a)
  const y = new Set(b)
  return x.size === y.size && [...x].every((v) => y.has(v))
}

/** Every listed device must be registered and not revoked. */
async function checkDevices(
  s: SessionContext,
  deviceIds: Iterable<string>,
): Promise<string | null> {
  for (const id of deviceIds) {
    const d = isSaneId(id) ? await s.deps.storage.getDevice(id) : null
    if (!d) return 'relay/unknown-device'
    if (d.revoked) return 'relay/revoked-device'
  }
  return null
}

/**
 * Reads each box's routing header: it must name this conversation, come from the author, carry
 * an epoch no later than the commit's and go to a listed device or the compliance key.
 */
function checkBoxes(
  boxes: Uint8Array[],
  conversationId: string,
  authorDeviceId: string,
  epoch: number,
  members: Set<string>,
  malformed: string,
): string | KeyBoxRow[] {
  const rows: KeyBoxRow[] = []
  for (const box of boxes) {
    const h = parseKeyBoxHeader(box)
    if (!h.ok) return malformed
    const v = h.value
    if (
      v.conversationId !== conversationId || v.senderDeviceId !== authorDeviceId ||
      v.epoch > epoch ||
      !(members.has(v.recipientDeviceId) || v.recipientDeviceId.startsWith(COMPLIANCE_PREFIX))
    ) {
      return 'relay/bad-box'
    }
    rows.push({ recipientDeviceId: v.recipientDeviceId, epoch: v.epoch, box })
  }
  return rows
}

/**
 * What members would refuse in any case: a commit not signed by its author's device key, a listed
 * device without a box of the commit's epoch, or (when the organisation has a compliance key) no
 * box of that epoch for it. Taken by the relay, such a commit would leave every member behind it.
 */
async function checkSignedAndCovered(
  s: SessionContext,
  commitBlob: Uint8Array,
  c: { epoch: number; deviceIds: string[]; complianceKeyId: string },
  boxes: KeyBoxRow[],
): Promise<string | null> {
  const { storage } = s.deps
  const author = await storage.getDevice(s.deviceId)
  const binding = author ? parseDeviceBinding(author.binding) : null
  if (!binding?.ok || !verifyCommit(commitBlob, binding.value.signingPublicKey).ok) return 'relay/bad-commit-signature'
  const boxed = new Set(boxes.filter((b) => b.epoch === c.epoch).map((b) => b.recipientDeviceId))
  if (c.deviceIds.some((id) => !boxed.has(id))) return 'relay/missing-box'
  const certificate = await storage.getComplianceCertificate()
  const compliance = certificate ? parseComplianceCertificate(certificate) : null
  if (compliance?.ok) {
    const keyId = compliance.value.keyId
    if (c.complianceKeyId !== keyId || !boxed.has(complianceRecipientId(keyId))) return 'relay/missing-compliance-box'
  }
  return null
}

/** Checks the frame against its genesis commit; returns an error code or the boxes. */
async function checkCreate(
  s: SessionContext,
  f: FrameOf<'createConversation'>,
): Promise<string | KeyBoxRow[]> {
  if (!isSaneId(f.conversationId)) return 'relay/bad-commit'
  if (new Set(f.deviceIds).size > MAX_CONVERSATION_DEVICES) return 'relay/too-many-devices'
  const parsed = parseCommit(f.manifest)
  if (!parsed.ok) return 'relay/malformed-commit'
  const c = parsed.value
  if (
    c.epoch !== 0 || c.change !== 'create' || !equalBytes(c.prevHash, GENESIS_PREV_HASH) ||
    c.conversationId !== f.conversationId || !sameSet(c.deviceIds, f.deviceIds)
  ) {
    return 'relay/bad-commit'
  }
  if (c.authorDeviceId !== s.deviceId) return 'relay/wrong-sender'
  const members = new Set(c.deviceIds)
  if (!members.has(s.deviceId)) return 'relay/not-member'
  const bad = await checkDevices(s, members)
  if (bad) return bad
  const boxes = checkBoxes(f.boxes, f.conversationId, s.deviceId, 0, members, 'relay/malformed-box')
  if (typeof boxes === 'string') return boxes
  return (await checkSignedAndCovered(s, f.manifest, c, boxes)) ?? boxes
}

export async function handleCreateConversation(
  s: SessionContext,
  f: FrameOf<'createConversation'>,
): Promise<void> {
  const checked = await checkCreate(s, f)
  if (typeof checked === 'string') return s.sendError(checked, f.ref)
  const { storage, hub, log } = s.deps
  const created = await storage.createConversation({
    conversationId: f.conversationId,
    genesis: f.manifest,
    headHash: commitHash(f.manifest),
    deviceIds: f.deviceIds,
    boxes: checked,
  })
  if (created !== 'created' && created !== 'identical') return s.sendError(created, f.ref)
  s.sendFrame({ type: 'ack', ref: f.ref, conversationId: f.conversationId, seq: 0 })
  if (created === 'identical') return
  log('conversation.created', { devices: new Set(f.deviceIds).size, boxes: checked.length })
  s.deps.bus.publish({ type: 'created', conversationId: f.conversationId, authorDeviceId: s.deviceId })
  const others = new Set(f.deviceIds)
  others.delete(s.deviceId)
  for (const peer of hub.sessionsOf(others)) {
    // Its own boxes, plus the genesis compliance box so it can check the epoch key was sealed to it.
    const boxes = checked.filter((b) => b.recipientDeviceId === peer.deviceId || b.recipientDeviceId.startsWith('compliance:'))
      .map((b) => b.box)
    peer.sendFrame({
      type: 'conversation',
      conversationId: f.conversationId,
      manifest: f.manifest,
      boxes,
      headSeq: 0,
    })
  }
}

type CheckedCommit = {
  hash: Uint8Array
  epoch: number
  prevHash: Uint8Array
  deviceIds: string[]
  boxes: KeyBoxRow[]
}

async function checkCommit(
  s: SessionContext,
  f: FrameOf<'commit'>,
): Promise<string | CheckedCommit> {
  const entry = decodeCommitEntry(f.entry)
  if (!entry.ok) return 'relay/malformed-commit'
  const parsed = parseCommit(entry.value.commit)
  if (!parsed.ok) return 'relay/malformed-commit'
  const c = parsed.value
  if (c.authorDeviceId !== s.deviceId || c.conversationId !== f.conversationId) {
    return 'relay/wrong-sender'
  }
  if (
    !isSaneId(f.conversationId) || !(await s.deps.storage.isMember(f.conversationId, s.deviceId))
  ) {
    return 'relay/not-member'
  }
  // parseCommit already refuses longer lists; kept so the limit holds whatever it accepts.
  if (c.deviceIds.length > MAX_CONVERSATION_DEVICES) return 'relay/too-many-devices'
  // A cheap early answer for the usual loser of a race; appendCommit decides atomically.
  const conv = await s.deps.storage.getConversation(f.conversationId)
  const hash = commitHash(entry.value.commit)
  const isRetry = conv !== null && equalBytes(conv.headHash, hash)
  if (conv && !isRetry && (c.epoch !== conv.epoch + 1 || !equalBytes(c.prevHash, conv.headHash))) {
    return 'relay/stale-commit'
  }
  const members = new Set(c.deviceIds)
  const bad = await checkDevices(s, members)
  if (bad) return bad
  const boxes = checkBoxes(
    entry.value.boxes,
    f.conversationId,
    s.deviceId,
    c.epoch,
    members,
    'relay/bad-box',
  )
  if (typeof boxes === 'string') return boxes
  const refused = await checkSignedAndCovered(s, entry.value.commit, c, boxes)
  if (refused) return refused
  return { hash, epoch: c.epoch, prevHash: c.prevHash, deviceIds: c.deviceIds, boxes }
}

export async function handleCommit(s: SessionContext, f: FrameOf<'commit'>): Promise<void> {
  const checked = await checkCommit(s, f)
  if (typeof checked === 'string') return s.sendError(checked, f.ref)
  const { storage, hub, log } = s.deps
  const stored = await storage.appendCommit({
    conversationId: f.conversationId,
    authorDeviceId: s.deviceId,
    epoch: checked.epoch,
    prevHash: checked.prevHash,
    hash: checked.hash,
    deviceIds: checked.deviceIds,
    entry: f.entry,
    boxes: checked.boxes,
  })
  if ('refused' in stored) return s.sendError(stored.refused, f.ref)
  s.sendFrame({ type: 'ack', ref: f.ref, conversationId: f.conversationId, seq: stored.seq })
  if (stored.duplicate) return
  s.deps.metrics.inc('wardline_appends_total')
  log('commit.stored', {
    author: shortId(s.deviceId),
    epoch: checked.epoch,
    devices: checked.deviceIds.length,
    boxes: checked.boxes.length,
  })
  // Every member of the previous epoch (the removed ones too) sees the commit that ends it.
  hub.publishEnvelope(f.conversationId, stored.seq, f.entry, s)
  const now = new Set(checked.deviceIds)
  const before = new Set(stored.previousDeviceIds)
  // A removed device's live subscription ends here: it can no longer subscribe or write.
  hub.endSubscriptions(f.conversationId, [...before].filter((id) => !now.has(id)))
  const added = [...now].filter((id) => !before.has(id))
  s.deps.bus.publish({ type: 'commit', conversationId: f.conversationId, seq: stored.seq, added })
  if (added.length === 0) return
  const conv = await storage.getConversation(f.conversationId)
  if (!conv) return
  for (const peer of hub.sessionsOf(added)) {
    peer.sendFrame({
      type: 'conversation',
      conversationId: f.conversationId,
      manifest: conv.genesis,
      boxes: await storage.boxesFor(f.conversationId, peer.deviceId),
      headSeq: conv.headSeq,
    })
  }
}

/**
 * Sent right after `ready`: every conversation of the device with its own key boxes, then a
 * `rotationPending` for each one that waits for a new epoch.
 */
export async function sendConversationList(s: SessionContext): Promise<void> {
  const conversations = await s.deps.storage.conversationsOf(s.deviceId)
  for (const c of conversations) {
    if (!(await s.drain())) return
    s.sendFrame({
      type: 'conversation',
      conversationId: c.conversationId,
      manifest: c.genesis,
      boxes: c.boxes,
      headSeq: c.headSeq,
    })
  }
  for (const c of conversations) {
    if (c.rotationPending) {
      s.sendFrame({ type: 'rotationPending', conversationId: c.conversationId, epoch: c.epoch })
    }
  }
}
