/**
 * Opens one conversation's log as the relay stored it, for the compliance export (issue 8,
 * docs/decisions/0019-compliance-export.md): every commit is checked against the author's
 * root-chained key and the chain before it, every epoch key comes from the box its commit sealed
 * to the compliance key (epochs.ts), and every data envelope is verified (sender signature, epoch in force,
 * sender a member of that epoch, counter never repeated) before it is decrypted; every record
 * must carry its author's valid signature (ConversationState does what a member device does).
 * Entries the relay pruned after compaction come from the snapshot that covers them, taken in as
 * a member device takes it in (`restoreSnapshot`: signed by a device of the epoch in force there,
 * naming that epoch's commit; every record in it still needs its author's signature).
 * The log must run without a gap from the pruned point to the head, and every sender's claim of
 * the log it had seen (log-chain.ts) must match it, as members check it (`missing-entry`, `fork`).
 * Anything that fails is a problem naming its seq and reason, never a message. Reads only.
 */
import * as c from '../../crypto/mod.ts'
import {
  clientIdFor,
  ConversationState,
  isAuthoredBy,
  type MessageRecord,
} from '../../workers/core/conversation-state.ts'
import type { ConversationMeta } from '../../workers/core/conversation-state.ts'
import {
  checkClaim,
  decodePayload,
  emptyChain,
  extendChain,
  type LogChain,
} from '../../workers/core/log-chain.ts'
import { restoreSnapshot } from '../../workers/core/compaction.ts'
import {
  type Epoch,
  type EpochInfo,
  type EpochInput,
  type LogEntry,
  openCommit,
  openGenesis,
} from './epochs.ts'

export type { EpochInfo, LogEntry }

export type ExportedRecord = MessageRecord & { seq: number; epoch: number }
export type Problem = { seq: number; reason: string }

export type OpenedLog = {
  /** The compaction snapshot the pruned entries came from: the seq it covers and its signer. */
  snapshot: { seq: number; signerDeviceId: string; records: number } | null
  epochs: EpochInfo[]
  records: ExportedRecord[]
  problems: Problem[]
  counts: { entries: number; commits: number; envelopes: number; heartbeats: number }
}

export type OpenLogInput = EpochInput & {
  /** Data and commit entries in seq order. */
  entries: LogEntry[]
  /** The snapshot the relay pruned the log to (`prunedSnapshot`), or null when nothing was pruned. */
  snapshot: { seq: number; parts: Uint8Array[] } | null
  /** The conversation's head seq as the store records it. */
  headSeq: number
}

/** Verifies, decrypts and applies one data envelope; a reason when it cannot be. */
function openData(
  input: OpenLogInput,
  state: ConversationState,
  epoch: Epoch,
  counters: Map<string, number>,
  entry: LogEntry,
): string | { beat: boolean; rejected: number; seenSeq: number; seenHash: Uint8Array } {
  const h = c.parseEnvelopeHeader(entry.envelope)
  if (!h.ok) return 'malformed-envelope'
  const { conversationId, epoch: e, senderDeviceId, counter } = h.value
  if (conversationId !== input.conversationId) return 'wrong-conversation'
  if (e !== epoch.epoch) return 'stale-epoch'
  const sender = input.devices.get(senderDeviceId)
  if (!sender || !epoch.deviceIds.includes(senderDeviceId)) return 'unknown-sender'
  if (!epoch.epochKey) return 'no-epoch-key'
  const opened = c.verifyAndOpenEnvelope(entry.envelope, sender.signingPublicKey, epoch.epochKey)
  if (!opened.ok) return opened.code === 'crypto/bad-signature' ? 'bad-signature' : 'undecryptable'
  const id = `${e}:${senderDeviceId}`
  if (counter <= (counters.get(id) ?? -1)) return 'replay'
  counters.set(id, counter)
  const payload = decodePayload(opened.value.payload)
  if (!payload.ok) return 'bad-payload'
  const { seenSeq, seenHash } = payload.value
  if (payload.value.kind === 'beat') return { beat: true, rejected: 0, seenSeq, seenHash }
  try {
    if (!isAuthoredBy(payload.value.update, clientIdFor(senderDeviceId, e))) return 'foreign-items'
    const r = state.applyUpdate(e, senderDeviceId, payload.value.update, input.devices, entry.seq)
    return { beat: false, rejected: r.rejected, seenSeq, seenHash }
  } catch {
    return 'bad-update'
  }
}

/**
 * Takes in the snapshot covering the pruned entries, after every commit up to its seq (commits are
 * never pruned): the epoch in force there is the last one opened so far.
 */
function openSnapshot(
  input: OpenLogInput,
  state: ConversationState,
  epochs: Epoch[],
): (NonNullable<OpenedLog['snapshot']> & { chain: LogChain }) | string {
  const snap = input.snapshot!
  const current = epochs.at(-1)!
  const m = state.meta
  Object.assign(m, {
    epoch: current.epoch,
    headHash: current.commitHash,
    epochs: Object.fromEntries(
      epochs.map((
        e,
      ) => [String(e.epoch), {
        memberUserIds: e.memberUserIds,
        deviceIds: e.deviceIds,
        seq: e.seq,
      }]),
    ),
    epochKeys: Object.fromEntries(
      epochs.filter((e) => e.epochKey).map((e) => [String(e.epoch), e.epochKey!]),
    ),
    lastSeq: 0,
    unavailable: 0,
    chain: emptyChain(),
  })
  const restored = restoreSnapshot(state, snap.parts, snap.seq, input.devices)
  if (!restored.ok) return 'bad-snapshot'
  const head = c.parseSnapshot(c.joinSnapshot(snap.parts))
  return {
    seq: snap.seq,
    signerDeviceId: head.ok ? head.value.head.signerDeviceId : '',
    records: restored.value.added.length,
    chain: m.chain, // resumes at the snapshot's seq with its signer's log hash
  }
}

export function openConversationLog(input: OpenLogInput): OpenedLog | 'bad-genesis' {
  const genesis = openGenesis(input)
  if (!genesis) return 'bad-genesis'
  const epochs: Epoch[] = [genesis]
  const problems: Problem[] = []
  const counts = { entries: input.entries.length, commits: 0, envelopes: 0, heartbeats: 0 }
  const meta = { conversationId: input.conversationId } as ConversationMeta
  const state = new ConversationState(meta, 'compliance-export')
  const counters = new Map<string, number>()
  let snapshot: OpenedLog['snapshot'] = null
  let snapshotPending = input.snapshot !== null
  // The log as members chain it; null once it cannot be followed (a gap, a bad snapshot).
  let chain: LogChain | null = input.snapshot ? null : emptyChain()
  const takeSnapshot = () => {
    snapshotPending = false
    const r = openSnapshot(input, state, epochs)
    if (typeof r === 'string') return problems.push({ seq: input.snapshot!.seq, reason: r })
    const { chain: resumed, ...info } = r
    snapshot = info
    chain = resumed
  }
  const pruned = input.snapshot?.seq ?? 0
  for (const entry of input.entries) {
    if (snapshotPending && entry.seq > pruned) takeSnapshot()
    if (chain && entry.seq !== chain.seq + 1 && entry.seq > pruned) {
      problems.push({ seq: chain.seq + 1, reason: 'missing-entry' })
      chain = null
    }
    const current = epochs.at(-1)!
    if (c.isCommitEntry(entry.envelope)) {
      const next = openCommit(input, current, entry)
      if (typeof next === 'string') problems.push({ seq: entry.seq, reason: next })
      else {
        epochs.push(next)
        counts.commits++
      }
    } else {
      const r = openData(input, state, current, counters, entry)
      if (typeof r === 'string') problems.push({ seq: entry.seq, reason: r })
      else {
        if (r.beat) counts.heartbeats++
        else counts.envelopes++
        if (r.rejected > 0) problems.push({ seq: entry.seq, reason: 'bad-record' })
        if (chain && checkClaim(chain, r.seenSeq, r.seenHash) === 'fork') {
          problems.push({ seq: entry.seq, reason: 'fork' })
        }
      }
    }
    if (chain && entry.seq === chain.seq + 1) extendChain(chain, entry.seq, entry.envelope)
  }
  if (snapshotPending) takeSnapshot()
  const reached = (chain as LogChain | null)?.seq
  if (reached !== undefined && reached < input.headSeq) {
    problems.push({ seq: reached + 1, reason: 'missing-entry' })
  }
  for (const e of epochs) {
    if (!e.keyOpened) problems.push({ seq: e.seq, reason: 'compliance-box-unopened' })
  }
  const epochOfSeq = (seq: number) => epochs.findLast((e) => e.seq < seq)?.epoch ?? 0
  const records = state.ordered().map(({ record, seq }) => ({
    ...record,
    seq: seq ?? 0,
    epoch: epochOfSeq(seq ?? 0),
  }))
  for (const e of epochs) if (e.epochKey) c.wipe(e.epochKey)
  return {
    snapshot,
    epochs: epochs.map(({ commitHash: _h, epochKey: _k, ...info }) => info),
    records,
    problems: problems.sort((a, b) => a.seq - b.seq),
    counts,
  }
}
