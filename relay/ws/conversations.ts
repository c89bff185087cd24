/**
 * Conversation frames: creating one from a creator-signed manifest plus key boxes, and listing
 * a device's conversations at login. The relay checks only routing consistency (ids, sender,
 * recipients); clients verify the manifest signature and every device chain themselves.
 */
import { parseKeyBoxHeader, parseManifest } from '../crypto-surface.ts'
import type { KeyBoxRow } from '../storage/storage.ts'
import type { FrameOf } from '../wire/frames.ts'
import { isSaneId, type SessionContext } from './context.ts'

const sameSet = (a: string[], b: string[]): boolean => {
  const x = new Set(a)
  const y = new Set(b)
  return x.size === y.size && [...x].every((v) => y.has(v))
}

/** Checks the frame against its manifest; returns an error code or the boxes by recipient. */
async function checkCreate(
  s: SessionContext,
  f: FrameOf<'createConversation'>,
): Promise<string | KeyBoxRow[]> {
  if (!isSaneId(f.conversationId)) return 'relay/bad-manifest'
  const m = parseManifest(f.manifest)
  if (!m.ok) return 'relay/malformed-manifest'
  if (m.value.conversationId !== f.conversationId || !sameSet(m.value.deviceIds, f.deviceIds)) {
    return 'relay/bad-manifest'
  }
  if (m.value.creatorDeviceId !== s.deviceId) return 'relay/wrong-sender'
  const members = new Set(f.deviceIds)
  if (!members.has(s.deviceId)) return 'relay/not-member'
  for (const id of members) {
    if (!(await s.deps.storage.getDevice(id))) return 'relay/unknown-device'
  }
  const boxes: KeyBoxRow[] = []
  for (const box of f.boxes) {
    const h = parseKeyBoxHeader(box)
    if (!h.ok) return 'relay/malformed-box'
    const v = h.value
    if (
      v.conversationId !== f.conversationId || v.senderDeviceId !== s.deviceId ||
      !members.has(v.recipientDeviceId)
    ) {
      return 'relay/bad-box'
    }
    boxes.push({ recipientDeviceId: v.recipientDeviceId, box })
  }
  return boxes
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
    manifest: f.manifest,
    deviceIds: f.deviceIds,
    boxes: checked,
  })
  if (created === 'exists') return s.sendError('relay/conversation-exists', f.ref)
  s.sendFrame({ type: 'ack', ref: f.ref, conversationId: f.conversationId, seq: 0 })
  if (created === 'identical') return
  log('conversation.created', { devices: new Set(f.deviceIds).size, boxes: checked.length })
  const others = new Set(f.deviceIds)
  others.delete(s.deviceId)
  for (const peer of hub.sessionsOf(others)) {
    const boxes = checked.filter((b) => b.recipientDeviceId === peer.deviceId).map((b) => b.box)
    peer.sendFrame({
      type: 'conversation',
      conversationId: f.conversationId,
      manifest: f.manifest,
      boxes,
      headSeq: 0,
    })
  }
}

/** Sent right after `ready`: every conversation of the device with its own key boxes. */
export async function sendConversationList(s: SessionContext): Promise<void> {
  for (const c of await s.deps.storage.conversationsOf(s.deviceId)) {
    s.sendFrame({
      type: 'conversation',
      conversationId: c.conversationId,
      manifest: c.manifest,
      boxes: c.boxes,
      headSeq: c.headSeq,
    })
  }
}
