/**
 * Membership commits: the signed, hash-chained events that define who is in a conversation in
 * each epoch (DESIGN §3). Epoch 0 is created by the conversation's creator; every later epoch is
 * committed by a member device of the epoch before, names the previous commit's hash, and comes
 * with a fresh epoch key sealed to every remaining device (and the compliance key). The relay
 * routes by the device list, orders competing commits and refuses stale ones, but cannot write
 * one: every client verifies the author, the chain and each device's chain to the root.
 */
import { decodeTextTuple, decodeTuple, decodeTupleList, encodeTuple, parseCount } from './bytes.ts'
import { sign, verifySignature } from './ed25519.ts'
import { sha256 } from './hkdf.ts'
import { err, ok, type Result } from './result.ts'

const COMMIT_TAG = 'wardline/commit/v1'
const ENTRY_TAG = 'wardline/commit-entry/v1'

/** Most devices one conversation may hold in an epoch (boxes per commit grow with it). */
export const MAX_CONVERSATION_DEVICES = 256
/**
 * Most key boxes one commit entry may carry (devices × shared epochs + compliance): chosen so a
 * full commit always fits one WebSocket frame (MAX_FRAME_BYTES, 512 KiB; a box is ~300 bytes).
 */
export const MAX_COMMIT_BOXES = 1024

export type CommitChange = 'create' | 'add' | 'remove' | 'rotate'
const CHANGES: readonly string[] = ['create', 'add', 'remove', 'rotate']

export type Commit = {
  conversationId: string
  epoch: number
  /** SHA-256 of the previous commit blob; 32 zero bytes for epoch 0. */
  prevHash: Uint8Array
  authorDeviceId: string
  change: CommitChange
  kind: 'direct' | 'group'
  memberUserIds: string[]
  deviceIds: string[]
  /** Whether devices added here receive the earlier epochs' keys. */
  historyShared: boolean
  createdAt: number
  /** The compliance key every epoch key is also sealed to ('' when the organisation has none). */
  complianceKeyId: string
}

export const GENESIS_PREV_HASH = new Uint8Array(32)

function assertList(items: string[], what: string): void {
  if (items.length === 0 || items.length > MAX_CONVERSATION_DEVICES) {
    throw new RangeError(`expected 1..${MAX_CONVERSATION_DEVICES} ${what}, got ${items.length}`)
  }
  for (const i of items) {
    if (!i || i.includes('\n')) throw new TypeError(`expected non-empty ${what} without newlines, got ${JSON.stringify(i)}`)
  }
  if (new Set(items).size !== items.length) throw new TypeError(`expected distinct ${what}`)
}

export function signCommit(c: Commit, authorSecretKey: Uint8Array): Uint8Array {
  assertList(c.memberUserIds, 'member ids')
  assertList(c.deviceIds, 'device ids')
  if (c.prevHash.length !== 32) throw new RangeError(`expected 32-byte prevHash, got ${c.prevHash.length}`)
  const body = encodeTuple([
    COMMIT_TAG,
    c.conversationId,
    String(c.epoch),
    c.authorDeviceId,
    c.change,
    c.kind,
    c.memberUserIds.join('\n'),
    c.deviceIds.join('\n'),
    c.historyShared ? '1' : '0',
    String(c.createdAt),
    c.complianceKeyId,
    c.prevHash,
  ])
  return encodeTuple([body, sign(body, authorSecretKey)])
}

export function parseCommit(blob: Uint8Array): Result<Commit & { body: Uint8Array; signature: Uint8Array }> {
  const outer = decodeTuple(blob, 2)
  if (!outer.ok) return outer
  const [body, signature] = outer.value as [Uint8Array, Uint8Array]
  const f = decodeTextTuple(body, 12, 11)
  if (!f.ok) return err('trust/malformed')
  const [tag, conversationId, epochText, authorDeviceId, change, kind, members, devices, history, created, complianceKeyId] =
    f.value.text as string[]
  const epoch = parseCount(epochText)
  const createdAt = parseCount(created)
  const prevHash = f.value.bytes[0]!
  const memberUserIds = members ? members.split('\n') : []
  const deviceIds = devices ? devices.split('\n') : []
  // Refuse everything signCommit refuses, so the verifier and the signer agree on what is valid.
  const badList = (ids: string[]) => ids.length === 0 || ids.length > MAX_CONVERSATION_DEVICES || ids.some((i) => !i) || new Set(ids).size !== ids.length
  if (badList(memberUserIds) || badList(deviceIds) || !conversationId || !authorDeviceId) return err('trust/malformed')
  if (
    tag !== COMMIT_TAG || epoch === null || createdAt === null || !CHANGES.includes(change!) ||
    (kind !== 'direct' && kind !== 'group') || (history !== '0' && history !== '1') || prevHash.length !== 32 ||
    memberUserIds.length === 0 || deviceIds.length === 0 || deviceIds.length > MAX_CONVERSATION_DEVICES ||
    new Set(deviceIds).size !== deviceIds.length || new Set(memberUserIds).size !== memberUserIds.length ||
    (epoch === 0) !== (change === 'create')
  ) return err('trust/malformed')
  return ok({
    conversationId: conversationId!,
    epoch,
    prevHash,
    authorDeviceId: authorDeviceId!,
    change: change as CommitChange,
    kind,
    memberUserIds,
    deviceIds,
    historyShared: history === '1',
    createdAt,
    complianceKeyId: complianceKeyId!,
    body,
    signature,
  })
}

export function verifyCommit(blob: Uint8Array, authorPublicKey: Uint8Array): Result<Commit> {
  const p = parseCommit(blob)
  if (!p.ok) return p
  if (!verifySignature(p.value.signature, p.value.body, authorPublicKey)) return err('trust/bad-commit-signature')
  const { body: _b, signature: _s, ...commit } = p.value
  return ok(commit)
}

export const commitHash = (blob: Uint8Array): Uint8Array => sha256(blob)

/** What a commit travels in: the signed commit and the key boxes that deliver its epoch key(s). */
export function encodeCommitEntry(commit: Uint8Array, boxes: Uint8Array[]): Uint8Array {
  if (boxes.length > MAX_COMMIT_BOXES) throw new RangeError(`expected ≤ ${MAX_COMMIT_BOXES} boxes, got ${boxes.length}`)
  return encodeTuple([ENTRY_TAG, commit, encodeTuple(boxes)])
}

export function decodeCommitEntry(entry: Uint8Array): Result<{ commit: Uint8Array; boxes: Uint8Array[] }> {
  const f = decodeTuple(entry, 3)
  if (!f.ok) return f
  const tag = new TextDecoder().decode(f.value[0])
  if (tag !== ENTRY_TAG) return err('crypto/unknown-version')
  const boxes = decodeTupleList(f.value[2]!, MAX_COMMIT_BOXES)
  if (!boxes.ok) return boxes
  return ok({ commit: f.value[1]!, boxes: boxes.value })
}

/** True when a log entry is a commit entry rather than a data envelope. */
export function isCommitEntry(entry: Uint8Array): boolean {
  const f = decodeTuple(entry, 3)
  return f.ok && new TextDecoder().decode(f.value[0]) === ENTRY_TAG
}
