/**
 * Membership on the client: building a conversation's next commit (a fresh epoch key sealed to
 * every device of the new epoch and to the compliance key, plus earlier epochs' keys for added
 * devices when history is shared) and verifying a commit entry from the log before anything in
 * it is believed (DESIGN §3). Pure functions over the conversation's metadata.
 */
import * as c from '../../crypto/mod.ts'
import type { ConversationMeta } from './conversation-state.ts'
import type { Identity } from './identity.ts'

export type ComplianceRecipient = { keyId: string; agreementPublicKey: Uint8Array }

/** True when the entry carries a box of `epoch` for the organisation's compliance key. */
function hasComplianceBox(boxes: Uint8Array[], keyId: string, epoch: number): boolean {
  const recipient = c.complianceRecipientId(keyId)
  return boxes.some((b) => {
    const h = c.parseKeyBoxHeader(b)
    return h.ok && h.value.recipientDeviceId === recipient && h.value.epoch === epoch
  })
}

export type NextEpoch = {
  change: c.CommitChange
  memberUserIds: string[]
  deviceIds: string[]
  historyShared: boolean
}

function seal(
  key: Uint8Array,
  conversationId: string,
  epoch: number,
  id: Identity,
  recipientDeviceId: string,
  recipientAgreementKey: Uint8Array,
): Uint8Array {
  return c.sealKeyBox(key, {
    conversationId,
    epoch,
    senderDeviceId: id.deviceId,
    senderSigningKey: id.signingPublicKey,
    recipientDeviceId,
    recipientAgreementKey,
  }, id.signingSecretKey)
}

/** A signed commit entry for the epoch after `meta.epoch` (or the genesis entry when meta is null). */
export function buildCommitEntry(o: {
  conversationId: string
  kind: 'direct' | 'group'
  meta: ConversationMeta | null
  next: NextEpoch
  identity: Identity
  devices: ReadonlyMap<string, c.VerifiedDevice>
  compliance: ComplianceRecipient | null
  now: number
}): { entry: Uint8Array; commit: Uint8Array; key: Uint8Array } {
  const epoch = o.meta ? o.meta.epoch + 1 : 0
  const key = c.randomBytes(32)
  const commit = c.signCommit({
    conversationId: o.conversationId,
    epoch,
    prevHash: o.meta ? o.meta.headHash : c.GENESIS_PREV_HASH,
    authorDeviceId: o.identity.deviceId,
    change: o.next.change,
    kind: o.kind,
    memberUserIds: o.next.memberUserIds,
    deviceIds: o.next.deviceIds,
    historyShared: o.next.historyShared,
    createdAt: o.now,
    complianceKeyId: o.compliance?.keyId ?? '',
  }, o.identity.signingSecretKey)
  const boxes: Uint8Array[] = []
  const before = new Set(o.meta?.deviceIds ?? [])
  for (const deviceId of o.next.deviceIds) {
    const device = o.devices.get(deviceId)
    if (!device) throw new TypeError(`expected a verified device, got ${deviceId}`)
    boxes.push(seal(key, o.conversationId, epoch, o.identity, deviceId, device.agreementPublicKey))
    if (o.meta && o.next.historyShared && !before.has(deviceId)) {
      for (const [e, k] of Object.entries(o.meta.epochKeys)) {
        boxes.push(seal(k, o.conversationId, Number(e), o.identity, deviceId, device.agreementPublicKey))
      }
    }
  }
  if (o.compliance) {
    boxes.push(seal(key, o.conversationId, epoch, o.identity, c.complianceRecipientId(o.compliance.keyId), o.compliance.agreementPublicKey))
  }
  return { entry: c.encodeCommitEntry(commit, boxes), commit, key }
}

export type VerifiedCommit = {
  commit: c.Commit
  hash: Uint8Array
  /** Epoch keys addressed to this device in the entry, by epoch. */
  keys: Record<string, Uint8Array>
}

/**
 * Checks a commit entry against the conversation as this device knows it: the author is a
 * member device of the current epoch with a valid chain, the commit names the current head and
 * the next epoch, every listed device chains to the root, is not revoked and belongs to a listed
 * member. Only then are the boxes addressed to this device opened.
 * `unknown-device` means the directory may be stale: fetch it and try again.
 */
export function verifyCommitEntry(o: {
  meta: ConversationMeta
  entry: Uint8Array
  identity: Identity
  devices: ReadonlyMap<string, c.VerifiedDevice>
  revoked: ReadonlySet<string>
  compliance: ComplianceRecipient | null
}): c.Result<VerifiedCommit> {
  const decoded = c.decodeCommitEntry(o.entry)
  if (!decoded.ok) return decoded
  const parsed = c.parseCommit(decoded.value.commit)
  if (!parsed.ok) return parsed
  const m = o.meta
  const author = o.devices.get(parsed.value.authorDeviceId)
  if (!author) return c.err('trust/unknown-device')
  const verified = c.verifyCommit(decoded.value.commit, author.signingPublicKey)
  if (!verified.ok) return verified
  const commit = verified.value
  if (commit.conversationId !== m.conversationId || commit.kind !== m.kind) return c.err('trust/bad-commit')
  if (commit.epoch !== m.epoch + 1 || !c.equalBytes(commit.prevHash, m.headHash)) return c.err('trust/commit-out-of-order')
  if (!m.deviceIds.includes(author.deviceId)) return c.err('trust/commit-by-non-member')
  // Lawful access covers every epoch: an epoch key not sealed to the compliance key is refused.
  if (o.compliance && (commit.complianceKeyId !== o.compliance.keyId || !hasComplianceBox(decoded.value.boxes, o.compliance.keyId, commit.epoch))) {
    return c.err('trust/missing-compliance-box')
  }
  for (const d of commit.deviceIds) {
    const device = o.devices.get(d)
    if (!device) return c.err('trust/unknown-device')
    if (o.revoked.has(d) && !m.deviceIds.includes(d)) return c.err('trust/revoked-device-added')
    if (!commit.memberUserIds.includes(device.userId)) return c.err('trust/bad-commit')
  }
  const keys: Record<string, Uint8Array> = {}
  for (const box of decoded.value.boxes) {
    const h = c.parseKeyBoxHeader(box)
    if (!h.ok || h.value.recipientDeviceId !== o.identity.deviceId || h.value.epoch > commit.epoch) continue
    const opened = c.verifyAndOpenKeyBox(box, {
      conversationId: m.conversationId,
      epoch: h.value.epoch,
      senderDeviceId: author.deviceId,
      senderSigningKey: author.signingPublicKey,
      recipientDeviceId: o.identity.deviceId,
      recipientAgreementKey: o.identity.agreementPublicKey,
    }, o.identity.agreementSecretKey)
    if (opened.ok) keys[String(h.value.epoch)] = opened.value
  }
  return c.ok({ commit, hash: c.commitHash(decoded.value.commit), keys })
}

/** Checks a genesis commit (from a `conversation` frame) and opens this device's epoch-0 box if any. */
export function verifyGenesis(o: {
  conversationId: string
  genesis: Uint8Array
  boxes: Uint8Array[]
  identity: Identity
  devices: ReadonlyMap<string, c.VerifiedDevice>
  compliance: ComplianceRecipient | null
}): c.Result<{ commit: c.Commit; key: Uint8Array | null }> {
  const parsed = c.parseCommit(o.genesis)
  if (!parsed.ok) return parsed
  const creator = o.devices.get(parsed.value.authorDeviceId)
  if (!creator) return c.err('trust/unknown-device')
  const v = c.verifyCommit(o.genesis, creator.signingPublicKey)
  if (!v.ok) return v
  const g = v.value
  if (g.epoch !== 0 || g.conversationId !== o.conversationId || !g.deviceIds.includes(creator.deviceId)) {
    return c.err('trust/bad-commit')
  }
  if (o.compliance && (g.complianceKeyId !== o.compliance.keyId || !hasComplianceBox(o.boxes, o.compliance.keyId, 0))) {
    return c.err('trust/missing-compliance-box')
  }
  for (const d of g.deviceIds) {
    const device = o.devices.get(d)
    if (!device) return c.err('trust/unknown-device')
    if (!g.memberUserIds.includes(device.userId)) return c.err('trust/bad-commit')
  }
  let key: Uint8Array | null = null
  for (const box of o.boxes) {
    const h = c.parseKeyBoxHeader(box)
    if (!h.ok || h.value.recipientDeviceId !== o.identity.deviceId || h.value.epoch !== 0) continue
    const opened = c.verifyAndOpenKeyBox(box, {
      conversationId: g.conversationId,
      epoch: 0,
      senderDeviceId: creator.deviceId,
      senderSigningKey: creator.signingPublicKey,
      recipientDeviceId: o.identity.deviceId,
      recipientAgreementKey: o.identity.agreementPublicKey,
    }, o.identity.agreementSecretKey)
    if (opened.ok) key = opened.value
  }
  if (g.deviceIds.includes(o.identity.deviceId) && !key) return c.err('crypto/no-key-box')
  return c.ok({ commit: g, key })
}
