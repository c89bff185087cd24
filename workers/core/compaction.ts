/**
 * Compaction on the device side (DESIGN §4): which member uploads a snapshot and when, what goes
 * in it, and how a device that is behind the relay's pruned point takes it in. The snapshot states
 * the log position it covers, the signer's log hash there and the epoch in force, all signed; each
 * epoch's segment is sealed under that epoch's key (crypto/snapshot.ts).
 */
import * as c from '../../crypto/mod.ts'
import type { ConversationState } from './conversation-state.ts'
import { bytesToHex } from '../../crypto/bytes.ts'

/** A member uploads a snapshot each time the log passes another multiple of this many entries. */
export const SNAPSHOT_EVERY = 500

/**
 * Whether this device is the member to snapshot the conversation now: the log has passed a new
 * multiple of `every` since its last upload, and the members take those boundaries in turn (one
 * upload per boundary, not one per member). A device missing any history never snapshots: the
 * relay would prune what it could not include.
 */
export function snapshotDue(conv: ConversationState, deviceId: string, every: number): boolean {
  const m = conv.meta
  const boundary = Math.floor(m.lastSeq / every)
  if (boundary < 1 || boundary * every <= (m.snapshotSeq ?? 0)) return false
  if (m.removed || m.unavailable > 0 || !m.deviceIds.includes(deviceId)) return false
  const members = [...m.deviceIds].sort()
  return members[boundary % members.length] === deviceId
}

type SegmentContent = { state: Uint8Array; seqs: Map<string, number>; counters: Map<string, number> }

function encodeSegment(s: SegmentContent): Uint8Array {
  return c.encodeTuple([s.state, JSON.stringify(Object.fromEntries(s.seqs)), JSON.stringify(Object.fromEntries(s.counters))])
}

function decodeSegment(bytes: Uint8Array, maxSeq: number): SegmentContent | null {
  const t = c.decodeTuple(bytes, 3)
  if (!t.ok) return null
  const seqs = readCountMap(t.value[1]!, (n) => n >= 1 && n <= maxSeq)
  const counters = readCountMap(t.value[2]!, () => true)
  return seqs && counters && plausibleOrder(seqs) ? { state: t.value[0]!, seqs, counters } : null
}

/**
 * What a reader can check of the positions a snapshot gives records (it cannot see the entries):
 * one record per log position, and each device's records in the order it numbered them — its
 * outbox sends them in that order. A snapshot that reverses or stacks records is refused.
 */
function plausibleOrder(seqs: Map<string, number>): boolean {
  if (new Set(seqs.values()).size !== seqs.size) return false
  const byDevice = new Map<string, { n: number; seq: number }[]>()
  for (const [id, seq] of seqs) {
    const dot = id.lastIndexOf('.')
    const n = Number(id.slice(dot + 1))
    if (dot < 1 || !Number.isSafeInteger(n)) return false
    const list = byDevice.get(id.slice(0, dot)) ?? []
    list.push({ n, seq })
    byDevice.set(id.slice(0, dot), list)
  }
  for (const list of byDevice.values()) {
    list.sort((a, b) => a.n - b.n)
    for (let i = 1; i < list.length; i++) if (list[i]!.seq <= list[i - 1]!.seq) return false
  }
  return true
}

/** A JSON object of non-negative integers, each passing `ok`; null for anything else. */
function readCountMap(bytes: Uint8Array, ok: (n: number) => boolean): Map<string, number> | null {
  const text = c.decodeText(bytes)
  if (!text.ok) return null
  let value: unknown
  try {
    value = JSON.parse(text.value)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const out = new Map<string, number>()
  for (const [k, v] of Object.entries(value)) {
    if (!Number.isSafeInteger(v) || (v as number) < 0 || !ok(v as number)) return null
    out.set(k, v as number)
  }
  return out
}

/**
 * The snapshot of everything this device has applied, in upload parts; null when it cannot make a
 * complete one now (an epoch's key missing, or one of its own records not yet stored by the relay).
 */
export function buildSnapshot(
  conv: ConversationState,
  signer: { deviceId: string; signingSecretKey: Uint8Array },
  now: number,
): Uint8Array[] | null {
  const m = conv.meta
  const epochs = new Set(conv.epochsWithState())
  for (const k of Object.keys(m.counters)) epochs.add(Number(k.split(':')[0]))
  const segments: Parameters<typeof c.sealSnapshot>[1] = []
  for (const epoch of [...epochs].sort((a, b) => a - b)) {
    const epochKey = m.epochKeys[String(epoch)]
    if (!epochKey) return null
    const seqs = new Map<string, number>()
    for (const id of conv.recordIdsOf(epoch)) {
      const entry = conv.index.get(id)
      if (!entry) continue // never verified: not shown anywhere, nothing to carry
      if (entry.seq === null) return null
      seqs.set(id, entry.seq)
    }
    const counters = new Map<string, number>()
    for (const [k, v] of Object.entries(m.counters)) {
      const [e, sender] = k.split(':')
      if (Number(e) === epoch && sender) counters.set(sender, v)
    }
    const plaintext = encodeSegment({ state: conv.encodeSegment(epoch), seqs, counters })
    segments.push({ epoch, records: seqs.size, plaintext, epochKey })
  }
  const blob = c.sealSnapshot({
    conversationId: m.conversationId,
    seq: m.lastSeq,
    chainHash: m.chain.hash,
    epoch: m.epoch,
    headHash: m.headHash,
    signerDeviceId: signer.deviceId,
    createdAt: now,
  }, segments, signer.signingSecretKey)
  try {
    return c.splitSnapshot(blob)
  } catch {
    return null // larger than MAX_SNAPSHOT_PARTS: the relay keeps the entries themselves
  }
}

/** A snapshot segment whose epoch key this device does not hold (yet): kept sealed, like a pending envelope. */
export type KeptSegment = { seq: number; epoch: number; records: number; sealed: Uint8Array }

export type Restored = {
  added: string[]
  rejected: number
  unavailable: number
  seqs: Map<string, number>
  kept: KeptSegment[]
}

/**
 * Takes in the snapshot covering the log up to `seq`, after every commit up to there has been
 * applied: it must be signed by a member device of the epoch in force there and state that epoch
 * and its commit hash, as this device verified them. Everything is checked before anything
 * changes; then segments merge into the conversation, counters join (replays stay refused), and
 * the device's log resumes at `seq` with the signer's log hash.
 */
export function restoreSnapshot(
  conv: ConversationState,
  parts: Uint8Array[],
  seq: number,
  devices: ReadonlyMap<string, c.VerifiedDevice>,
): c.Result<Restored> {
  const m = conv.meta
  const blob = c.joinSnapshot(parts)
  const parsed = c.parseSnapshot(blob)
  if (!parsed.ok) return c.err('sync/bad-snapshot')
  const { head } = parsed.value
  if (head.conversationId !== m.conversationId || head.seq !== seq || seq <= m.lastSeq) return c.err('sync/bad-snapshot')
  if (head.epoch !== m.epoch || !c.equalBytes(head.headHash, m.headHash)) return c.err('sync/bad-snapshot')
  const signer = devices.get(head.signerDeviceId)
  if (!signer || !m.epochs[String(head.epoch)]?.deviceIds.includes(head.signerDeviceId)) return c.err('sync/bad-snapshot')
  const verified = c.verifySnapshot(blob, signer.signingPublicKey)
  if (!verified.ok) return c.err('sync/bad-snapshot')
  const open: { epoch: number; content: SegmentContent }[] = []
  const kept: KeptSegment[] = []
  let unavailable = 0
  for (const segment of verified.value.segments) {
    const key = m.epochKeys[String(segment.epoch)]
    if (!key) {
      unavailable += segment.records
      kept.push({ seq, ...segment })
      continue
    }
    const opened = c.openSnapshotSegment(head, segment, key)
    const content = opened.ok ? decodeSegment(opened.value, seq) : null
    if (!content) return c.err('sync/bad-snapshot')
    open.push({ epoch: segment.epoch, content })
  }
  const applied = applySegments(conv, open, devices)
  if (!applied) return c.err('sync/bad-snapshot')
  m.unavailable += unavailable
  m.chain = { seq, hash: head.chainHash, recent: { [String(seq)]: bytesToHex(head.chainHash) } }
  m.lastSeq = seq
  m.restoredSeq = seq
  return c.ok({ ...applied, unavailable, kept })
}

function applySegments(
  conv: ConversationState,
  open: { epoch: number; content: SegmentContent }[],
  devices: ReadonlyMap<string, c.VerifiedDevice>,
): { added: string[]; rejected: number; seqs: Map<string, number> } | null {
  const m = conv.meta
  const added: string[] = []
  const seqs = new Map<string, number>()
  let rejected = 0
  for (const { epoch, content } of open) {
    let r: { added: string[]; rejected: number }
    try {
      r = conv.applySnapshotSegment(epoch, content.state, devices, content.seqs, new Set(m.epochs[String(epoch)]?.deviceIds ?? []))
    } catch {
      return null // not a Yjs update: nothing of this segment was applied
    }
    added.push(...r.added)
    rejected += r.rejected
    for (const [id, s] of content.seqs) if (conv.index.has(id)) seqs.set(id, s)
    // Counters are not taken from a snapshot: the member who made it could set one high and
    // silence a sender here. Entries after the snapshot set them as they come (meta.restoredSeq).
  }
  return { added, rejected, seqs }
}

/**
 * Opens a kept segment once its epoch key has arrived (a later commit shared history, or the key
 * backup was opened). The snapshot it came from was verified when it was taken in.
 */
export function openKeptSegment(
  conv: ConversationState,
  kept: KeptSegment,
  devices: ReadonlyMap<string, c.VerifiedDevice>,
): c.Result<{ added: string[]; rejected: number; seqs: Map<string, number> }> {
  const key = conv.meta.epochKeys[String(kept.epoch)]
  if (!key) return c.err('sync/no-epoch-key')
  const opened = c.openSnapshotSegment({ conversationId: conv.meta.conversationId, seq: kept.seq }, kept, key)
  const content = opened.ok ? decodeSegment(opened.value, kept.seq) : null
  const applied = content ? applySegments(conv, [{ epoch: kept.epoch, content }], devices) : null
  if (!applied) return c.err('sync/bad-snapshot')
  conv.meta.unavailable = Math.max(0, conv.meta.unavailable - kept.records)
  return c.ok(applied)
}
