/**
 * One conversation's decrypted state on a device: its Yjs history segment (messages in a top-level
 * map keyed by record id, DESIGN §4) and the index of records whose author signature verified.
 * Display order is relay sequence for sent records, then this device's queued ones in the order
 * written — never anyone's clock.
 */
import * as Y from 'yjs'
import { verifyRecord } from '../../crypto/record.ts'
import type { VerifiedDevice } from '../../crypto/trust.ts'

export type ConversationMeta = {
  conversationId: string
  kind: 'direct' | 'group'
  creatorDeviceId: string
  memberUserIds: string[]
  deviceIds: string[]
  createdAt: number
  epoch: number
  epochKeys: Record<string, Uint8Array>
  /** Highest relay sequence applied, with everything below it. */
  lastSeq: number
  /** Highest sequence the user has seen on screen. */
  readSeq: number
  receiptSent: { delivered: number; read: number }
  /** Highest envelope counter accepted per sender device (replay protection). */
  counters: Record<string, number>
  nextEnvelopeCounter: number
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
}

export type IndexedRecord = { record: MessageRecord; seq: number | null; queuedOrder: number | null }

export function recordId(deviceId: string, n: number): string {
  return `${deviceId}.${n}`
}

function isRecordShape(v: unknown): v is MessageRecord {
  const r = v as MessageRecord
  return typeof r === 'object' && r !== null && typeof r.id === 'string' && typeof r.author === 'string' &&
    typeof r.device === 'string' && Number.isSafeInteger(r.n) && typeof r.kind === 'string' &&
    typeof r.body === 'string' && typeof r.at === 'number' && typeof r.sig === 'string'
}

export class ConversationState {
  readonly doc = new Y.Doc()
  readonly messages = this.doc.getMap<unknown>('messages')
  readonly index = new Map<string, IndexedRecord>()
  #changed = new Set<string>()

  constructor(public meta: ConversationMeta) {
    this.messages.observe((ev) => ev.keysChanged.forEach((k) => this.#changed.add(k)))
  }

  /** Applies a decoded Yjs update and returns the ids of newly verified records. */
  applyUpdate(
    update: Uint8Array,
    devices: ReadonlyMap<string, VerifiedDevice>,
    seq: number | null,
  ): { added: string[]; rejected: number; confirmed: string[] } {
    this.#changed.clear()
    Y.applyUpdate(this.doc, update, 'remote')
    return this.#indexChanged(devices, seq)
  }

  #indexChanged(devices: ReadonlyMap<string, VerifiedDevice>, seq: number | null) {
    const added: string[] = []
    const confirmed: string[] = []
    let rejected = 0
    for (const key of this.#changed) {
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
      const value = this.messages.get(key)
      if (!this.#verify(key, value, devices)) {
        rejected++
        continue
      }
      this.index.set(key, { record: value as MessageRecord, seq, queuedOrder: null })
      added.push(key)
    }
    this.#changed.clear()
    return { added, rejected, confirmed }
  }

  #verify(key: string, value: unknown, devices: ReadonlyMap<string, VerifiedDevice>): boolean {
    if (!isRecordShape(value) || value.id !== key || key !== recordId(value.device, value.n)) return false
    const device = devices.get(value.device)
    if (!device || device.userId !== value.author || !this.meta.deviceIds.includes(value.device)) return false
    return verifyRecord(
      this.meta.conversationId,
      value.device,
      value.n,
      { kind: value.kind, body: value.body, createdAt: value.at, authorUserId: value.author },
      value.sig,
      device.signingPublicKey,
    )
  }

  /** Adds this device's own record and returns the Yjs update that carries it. */
  addOwnRecord(record: MessageRecord, queuedOrder: number): Uint8Array {
    const before = Y.encodeStateVector(this.doc)
    this.doc.transact(() => this.messages.set(record.id, record), 'local')
    this.#changed.clear()
    this.index.set(record.id, { record, seq: null, queuedOrder })
    return Y.encodeStateAsUpdate(this.doc, before)
  }

  /** Rebuilds the index from stored updates (used at unlock). */
  load(
    updates: Uint8Array[],
    devices: ReadonlyMap<string, VerifiedDevice>,
    seqs: ReadonlyMap<string, number>,
    queued: ReadonlyMap<string, number>,
  ): number {
    this.#changed.clear()
    for (const u of updates) Y.applyUpdate(this.doc, u, 'load')
    const { rejected } = this.#indexChanged(devices, null)
    for (const [id, entry] of this.index) {
      entry.seq = seqs.get(id) ?? null
      entry.queuedOrder = entry.seq === null ? (queued.get(id) ?? Number.MAX_SAFE_INTEGER) : null
    }
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
    return [...this.index.values()].sort((a, b) => {
      if (a.seq !== null && b.seq !== null) {
        return a.seq - b.seq || (a.record.device < b.record.device ? -1 : a.record.device > b.record.device ? 1 : 0) ||
          a.record.n - b.record.n
      }
      if (a.seq !== null) return -1
      if (b.seq !== null) return 1
      return (a.queuedOrder ?? 0) - (b.queuedOrder ?? 0)
    })
  }

  encodeState(): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc)
  }
}
