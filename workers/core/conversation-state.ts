/**
 * One conversation's decrypted state on a device: one Yjs document per epoch (a history segment,
 * DESIGN §4; messages in a top-level map keyed by record id) and the index of records whose author
 * signature verified. Each device writes a segment under one Yjs client id derived from its device
 * id and the epoch, so an update can be checked to add and delete only its signer's own items.
 * Display order is relay sequence for sent records, then this device's queued ones in the order
 * written — never anyone's clock.
 */
import * as Y from 'yjs'
import { type AttachmentRef, type BlobRef, verifyRecord } from '../../crypto/record.ts'
import { sha256 } from '../../crypto/hkdf.ts'
import type { VerifiedDevice } from '../../crypto/trust.ts'
import type { LogChain } from './log-chain.ts'

export type EpochMembers = { memberUserIds: string[]; deviceIds: string[]; seq: number }

export type ConversationMeta = {
  conversationId: string
  kind: 'direct' | 'group'
  creatorDeviceId: string
  createdAt: number
  /** The current epoch, its members, and the hash of the commit that started it. */
  epoch: number
  /** The signed genesis commit, to read the conversation again from its start after a fork. */
  genesis: Uint8Array
  /** This device's running hash of the log as it received it (fork detection). */
  chain: LogChain
  /** The log position this device last committed to in an envelope or heartbeat. */
  beatSeq: number
  /**
   * Items this device has written per epoch segment. A copy that knows fewer (read again after a
   * fork) must not write until the log brings them back: Yjs would reuse their ids and the new
   * message would be taken for an old one.
   */
  ownClocks?: Record<string, number>
  headHash: Uint8Array
  memberUserIds: string[]
  deviceIds: string[]
  /** Members of every epoch this device has seen, by epoch. */
  epochs: Record<string, EpochMembers>
  epochKeys: Record<string, Uint8Array>
  /** Data envelopes skipped because their epoch's key was never given to this device. */
  unavailable: number
  /** This device is no longer a member (removed, or its device revoked). */
  removed: boolean
  /** Highest relay sequence applied, with everything below it. */
  lastSeq: number
  /** The log position of the last compaction snapshot this device uploaded (0: none). */
  snapshotSeq?: number
  /**
   * The log position this device resumed at from a snapshot: counters of epochs that began before
   * it are unknown here (snapshots carry none a member could poison), so their first one is taken.
   */
  restoredSeq?: number
  /** Highest sequence the user has seen on screen. */
  readSeq: number
  receiptSent: { delivered: number; read: number }
  /** Highest envelope counter accepted per "epoch:sender device" (replay protection). */
  counters: Record<string, number>
  /** Next envelope counter of this device in the current epoch. */
  sendCounter: { epoch: number; next: number }
  nextRecordCounter: number
  nextUpdateKey: number
}

export type MessageRecord = {
  id: string
  author: string
  device: string
  n: number
  kind: string
  body: string
  at: number
  sig: string
  /** Kinds of likely PHI its author's device found (signed with the rest; crypto/record.ts). */
  phi?: string[]
  /** The file it carries (signed with the rest; crypto/record.ts, decision 0018). */
  attachment?: AttachmentRef
}

export type IndexedRecord = { record: MessageRecord; seq: number | null; queuedOrder: number | null }

export function recordId(deviceId: string, n: number): string {
  return `${deviceId}.${n}`
}

/** The Yjs client id a device writes one epoch's segment under (32 bits of a hash). */
export function clientIdFor(deviceId: string, epoch: number): number {
  const h = sha256(new TextEncoder().encode(`wardline/yjs-client/v1\u0000${deviceId}\u0000${epoch}`))
  return new DataView(h.buffer, h.byteOffset, 4).getUint32(0)
}

function isRecordShape(v: unknown): v is MessageRecord {
  const r = v as MessageRecord
  return typeof r === 'object' && r !== null && typeof r.id === 'string' && typeof r.author === 'string' &&
    typeof r.device === 'string' && Number.isSafeInteger(r.n) && typeof r.kind === 'string' &&
    typeof r.body === 'string' && typeof r.at === 'number' && typeof r.sig === 'string' &&
    (r.phi === undefined || (Array.isArray(r.phi) && r.phi.length > 0 && r.phi.length <= 8 && r.phi.every((k) => typeof k === 'string'))) &&
    (r.attachment === undefined || isAttachmentShape(r.attachment))
}

const BLOB_ID = /^[A-Za-z0-9_-]{43}$/

function isBlobShape(b: unknown): b is BlobRef {
  const r = b as BlobRef
  return typeof r === 'object' && r !== null && typeof r.blobId === 'string' && BLOB_ID.test(r.blobId) &&
    typeof r.key === 'string' && r.key.length === 43 && typeof r.sha256 === 'string' && r.sha256.length === 43 &&
    Number.isSafeInteger(r.size) && r.size >= 0
}

function isAttachmentShape(a: unknown): a is AttachmentRef {
  const r = a as AttachmentRef
  return isBlobShape(r) && typeof r.mime === 'string' && r.mime.length <= 100 && typeof r.name === 'string' &&
    r.name.length <= 200 && (r.thumb === undefined || isBlobShape(r.thumb))
}

/** True when every item an update adds or deletes belongs to the given Yjs client id. */
export function isAuthoredBy(update: Uint8Array, clientId: number): boolean {
  const { structs, ds } = Y.decodeUpdate(update)
  return structs.every((s) => s.id.client === clientId) && [...ds.clients.keys()].every((c) => c === clientId)
}

/** Display order (DESIGN §4): sent records by (seq, device, counter), then queued ones as written. */
export function compareIndexed(a: IndexedRecord, b: IndexedRecord): number {
  if (a.seq !== null && b.seq !== null) {
    return a.seq - b.seq || (a.record.device < b.record.device ? -1 : a.record.device > b.record.device ? 1 : 0) ||
      a.record.n - b.record.n
  }
  if (a.seq !== null) return -1
  if (b.seq !== null) return 1
  return (a.queuedOrder ?? 0) - (b.queuedOrder ?? 0)
}

type Segment = { doc: Y.Doc; messages: Y.Map<unknown>; changed: Set<string> }

export class ConversationState {
  readonly index = new Map<string, IndexedRecord>()
  readonly #segments = new Map<number, Segment>()

  /** Records already announced to the host, so a rebuild after a fork does not announce them twice. */
  readonly announced: Set<string>

  constructor(public meta: ConversationMeta, private readonly ownDeviceId: string, announced = new Set<string>()) {
    this.announced = announced
  }

  segment(epoch: number): Segment {
    let s = this.#segments.get(epoch)
    if (!s) {
      const doc = new Y.Doc()
      doc.clientID = clientIdFor(this.ownDeviceId, epoch)
      const messages = doc.getMap<unknown>('messages')
      const changed = new Set<string>()
      messages.observe((ev) => ev.keysChanged.forEach((k) => changed.add(k)))
      s = { doc, messages, changed }
      this.#segments.set(epoch, s)
    }
    return s
  }

  /**
   * Applies a decoded update from `senderDeviceId` to its epoch's segment, after checking that it
   * touches only the sender's own items, and returns the newly verified records.
   */
  applyUpdate(
    epoch: number,
    senderDeviceId: string,
    update: Uint8Array,
    devices: ReadonlyMap<string, VerifiedDevice>,
    seq: number | null,
  ): { added: string[]; rejected: number; confirmed: string[]; foreign: boolean } {
    if (!isAuthoredBy(update, clientIdFor(senderDeviceId, epoch))) {
      return { added: [], rejected: 0, confirmed: [], foreign: true }
    }
    const s = this.segment(epoch)
    s.changed.clear()
    Y.applyUpdate(s.doc, update, 'remote')
    return { ...this.#indexChanged(s, devices, seq), foreign: false }
  }

  #indexChanged(
    s: Segment,
    devices: ReadonlyMap<string, VerifiedDevice>,
    seq: number | null,
    authors?: ReadonlySet<string>,
    verifiedBefore?: (id: string) => boolean,
  ) {
    const added: string[] = []
    const confirmed: string[] = []
    let rejected = 0
    for (const key of s.changed) {
      const known = this.index.get(key)
      if (known) {
        // First verified value wins; later overwrites are ignored. Our own queued record coming
        // back through catch-up is now certainly stored by the relay.
        if (known.seq === null && seq !== null) {
          this.setSeq(key, seq)
          confirmed.push(key)
        }
        continue
      }
      const value = s.messages.get(key)
      const ok = verifiedBefore?.(key) ? this.#wellFormed(key, value, devices) : this.#verify(key, value, devices)
      if (!ok || (authors && !authors.has((value as MessageRecord).device))) {
        rejected++
        continue
      }
      this.index.set(key, { record: value as MessageRecord, seq, queuedOrder: null })
      added.push(key)
    }
    s.changed.clear()
    return { added, rejected, confirmed }
  }

  /** The record's shape and ids, and an author known to the directory: everything but the signature. */
  #wellFormed(key: string, value: unknown, devices: ReadonlyMap<string, VerifiedDevice>): value is MessageRecord {
    if (!isRecordShape(value) || value.id !== key || key !== recordId(value.device, value.n)) return false
    const device = devices.get(value.device)
    return device !== undefined && device.userId === value.author
  }

  #verify(key: string, value: unknown, devices: ReadonlyMap<string, VerifiedDevice>): boolean {
    if (!this.#wellFormed(key, value, devices)) return false
    const device = devices.get(value.device)!
    return verifyRecord(
      this.meta.conversationId,
      value.device,
      value.n,
      {
        kind: value.kind,
        body: value.body,
        createdAt: value.at,
        authorUserId: value.author,
        ...(value.phi ? { phi: value.phi } : {}),
        ...(value.attachment ? { attachment: value.attachment } : {}),
      },
      value.sig,
      device.signingPublicKey,
    )
  }

  /** Shows a record written on this device while it waits in the outbox (in no segment yet). */
  addQueued(record: MessageRecord, queuedOrder: number): void {
    const known = this.index.get(record.id)
    if (!known) this.index.set(record.id, { record, seq: null, queuedOrder })
    else if (known.seq === null) known.queuedOrder = queuedOrder
  }

  /** Puts this device's record into an epoch's segment and returns the Yjs update that carries it. */
  addOwnRecord(epoch: number, record: MessageRecord): Uint8Array {
    const s = this.segment(epoch)
    // Yjs picks a random client id when it sees its own id in updates it did not make in this
    // session (our own stored or echoed items). This device is the single writer of its id and
    // its whole state is loaded, so writing under it again is safe — and what receivers check.
    s.doc.clientID = clientIdFor(this.ownDeviceId, epoch)
    const before = Y.encodeStateVector(s.doc)
    s.doc.transact(() => s.messages.set(record.id, record), 'local')
    s.changed.clear()
    return Y.encodeStateAsUpdate(s.doc, before)
  }

  /** Rebuilds segments and the index from stored updates (at unlock). Returns records refused. */
  load(
    updates: Array<{ epoch: number; update: Uint8Array }>,
    devices: ReadonlyMap<string, VerifiedDevice>,
    seqs: ReadonlyMap<string, number>,
  ): number {
    for (const { epoch, update } of updates) Y.applyUpdate(this.segment(epoch).doc, update, 'load')
    let rejected = 0
    // A record this device verified when it arrived has a stored seq (rs/), and its own records it
    // signed itself; the store holding both is sealed under the local key, so they are not checked
    // again at unlock (10,000 signatures would take seconds). Anything else is verified as usual.
    const verifiedBefore = (id: string) => seqs.has(id) || id.startsWith(`${this.ownDeviceId}.`)
    for (const s of this.#segments.values()) rejected += this.#indexChanged(s, devices, null, undefined, verifiedBefore).rejected
    for (const [id, entry] of this.index) entry.seq = seqs.get(id) ?? null
    return rejected
  }

  setSeq(id: string, seq: number): void {
    const entry = this.index.get(id)
    if (entry && entry.seq === null) {
      entry.seq = seq
      entry.queuedOrder = null
    }
  }

  /** Sent records by (seq, device, counter); then queued ones in the order written. */
  ordered(): IndexedRecord[] {
    return [...this.index.values()].sort(compareIndexed)
  }

  /** How many items this device has written into an epoch's segment, as this copy knows it. */
  ownClock(epoch: number): number {
    const s = this.segment(epoch)
    return Y.decodeStateVector(Y.encodeStateVector(s.doc)).get(clientIdFor(this.ownDeviceId, epoch)) ?? 0
  }

  /** The whole state of one segment, for compaction. */
  encodeSegment(epoch: number): Uint8Array {
    return Y.encodeStateAsUpdate(this.segment(epoch).doc)
  }

  epochsWithState(): number[] {
    return [...this.#segments.keys()]
  }

  /** Record ids written into one epoch's segment (verified or not). */
  recordIdsOf(epoch: number): string[] {
    return [...this.segment(epoch).messages.keys()]
  }

  /**
   * Merges a whole segment from a compaction snapshot. Unlike a live update it may hold every
   * author's items; each record still has to carry its author's valid signature to be shown, so
   * the member who made the snapshot can leave records out but cannot alter or forge one.
   */
  applySnapshotSegment(
    epoch: number,
    state: Uint8Array,
    devices: ReadonlyMap<string, VerifiedDevice>,
    seqs: ReadonlyMap<string, number>,
    authors: ReadonlySet<string>,
  ): { added: string[]; rejected: number } {
    const s = this.segment(epoch)
    s.changed.clear()
    Y.applyUpdate(s.doc, state, 'snapshot')
    // Only devices of that epoch wrote into its segment: a record of anyone else is refused.
    const { added, rejected } = this.#indexChanged(s, devices, null, authors)
    for (const [id, seq] of seqs) this.setSeq(id, seq)
    return { added, rejected }
  }
}
