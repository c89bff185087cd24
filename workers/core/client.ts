/**
 * The Wardline client engine: one enrolled device's sync with the relay. It verifies the
 * directory, follows each conversation's chain of membership commits (epochs), seals outgoing
 * messages from a durable outbox under the current epoch when they are sent, and verifies then
 * decrypts then decodes every incoming envelope (DESIGN §3–4). It runs in the browser worker and,
 * unchanged, in the simulator. Exception to the ~250-line norm: it is the one place where the
 * protocol's steps meet, kept together so their order is visible.
 */
import * as c from '../../crypto/mod.ts'
import type { Frame, FrameOf } from '../../relay/wire/frames.ts'
import type { ConnectionState, ConversationSummary, EventName, Events, MessagePage, MessageView, PatientContext, Person, PhiSpan, RestoreReport, SearchHit } from '../protocol.ts'
import { detectPhi, phiKinds } from './phi.ts'
import { encodePatientContext, PATIENT_KIND, patientContextOf, patientPhiKinds, phiOptionsFor } from './patient-context.ts'
import { messagesOf, people, searchMessages, summarise, type ViewState } from './client-views.ts'
import { realTimers, RelayConnection, type Timers } from './connection.ts'
import { type ConversationMeta, ConversationState, type MessageRecord, recordId } from './conversation-state.ts'
import { verifyDirectory, verifyOwnRevocation } from './directory.ts'
import { checkClaim, decodePayload, emptyChain, encodePayload, extendChain, type Payload } from './log-chain.ts'
import { type Identity, verifiedComplianceKey } from './identity.ts'
import { buildSnapshot, type KeptSegment, openKeptSegment, restoreSnapshot, SNAPSHOT_EVERY, snapshotDue } from './compaction.ts'
import { buildCommitEntry, type ComplianceRecipient, type NextEpoch, verifyCommitEntry, verifyGenesis } from './membership.ts'
import { type ClientStore, padSeq, type Write } from './store.ts'
import { KeyBackupSync, RESTORED_PREFIX, restoredKeysFor } from './key-backup.ts'
import { type AttachmentInput, AttachmentSync } from './attachments.ts'

export type OutboxItem = {
  key: string
  conversationId: string
  recordId: string
  clientId: string
  order: number
  record: MessageRecord
  /** Sealed when first sent; resent byte-identical until acked or refused as stale. */
  envelope: { epoch: number; blob: Uint8Array } | null
}

/**
 * What the engine caught the relay (or a network) doing: a replayed envelope, a gap in the log
 * (withheld, dropped or reordered entries), a forged or foreign item, an envelope under an epoch
 * not in force, or two diverging views of one log (fork). `conversationId` is '' for directory
 * entries.
 */
/** Frames that answer a `query` (matched by ref, like an ack). */
export type AnswerFrame = FrameOf<'auditHead'> | FrameOf<'auditRecords'> | FrameOf<'directoryUsers'> | FrameOf<'devicesSeen'> | FrameOf<'legalHolds'>

export type DefenceEvent = { kind: 'replay' | 'gap' | 'forgery' | 'stale-epoch' | 'fork'; conversationId: string }

export type ClientOptions = {
  store: ClientStore
  identity: Identity
  wsUrl: string
  emit: <E extends Exclude<EventName, 'status'>>(event: E, data: Events[E]) => void
  /** Connection or outbox changed: the host builds its own status snapshot. */
  onStatusChange?: () => void
  /** Called once per newly verified incoming record (the simulator measures delivery with it). */
  onRecord?: (conversationId: string, record: MessageRecord, seq: number) => void
  /** Called when the relay acknowledged storing one of this device's messages. */
  onSent?: (conversationId: string, recordId: string, seq: number) => void
  /** Called whenever an attack or fault by the relay was caught (the simulator counts them). */
  onDefence?: (event: DefenceEvent) => void
  /**
   * The organisation's compliance key: every epoch key is sealed to it and every commit must be.
   * Defaults to the identity's root-certified key; null only for organisations without one.
   */
  compliance?: ComplianceRecipient | null
  timers?: Timers
  createSocket?: (url: string) => WebSocket
  now?: () => number
  /** How often an idle member posts a signed heartbeat committing to the log it has seen (policy T). */
  heartbeatMs?: number
  /** Log entries between compaction snapshots (default SNAPSHOT_EVERY). */
  snapshotEvery?: number
  /** How long new epoch keys wait before the key backup is uploaded (KEY_BACKUP_DELAY_MS). */
  keyBackupDelayMs?: number
  /**
   * This device's own revocation, verified (root, or an unrevoked sibling of the same user): the
   * host wipes the device (decision 0012). Never called on the relay's bare word. Called once.
   */
  onRevoked?: (revocation: c.Revocation) => void
  /** A relay-signed offline lease arrived (the host verifies it against its pinned lease key). */
  onLease?: (lease: Uint8Array) => void
}

const COMPACT_AFTER_UPDATES = 200
/** Largest message text (UTF-8 bytes); envelopes carry at most MAX_ENVELOPE_PAYLOAD with Yjs overhead. */
export const MAX_MESSAGE_BYTES = 64 * 1024
const RECEIPT_DELAY_MS = 250
/** Largest jump in one sender's envelope counter within an epoch that a receiver accepts. */
export const MAX_COUNTER_SKIP = 10_000
/** Most envelopes kept sealed per conversation while their epoch key is missing. */
export const MAX_PENDING_ENVELOPES = 10_000
/** Outbox backoff after a `relay/rate-limited` refusal: first wait 0.5–1 s, at most 15–30 s. */
export const RATE_LIMIT_BACKOFF_BASE_MS = 1000
export const RATE_LIMIT_BACKOFF_MAX_MS = 30_000
/** Default heartbeat period T: a withheld entry is noticed within it once the log moves on. */
export const HEARTBEAT_MS = 5 * 60_000
/** A hole the relay did not fill is asked for again after 1–2 s, doubling to at most 30–60 s. */
export const GAP_RETRY_BASE_MS = 2000
export const GAP_RETRY_MAX_MS = 60_000
/** Rebuilds of one conversation after detected forks; past it, forks are reported and reading goes on. */
export const MAX_FORK_REBUILDS = 3

/** Names one sealed envelope of an outbox item: its key, epoch and counter. */
function sendRef(item: OutboxItem): string {
  const h = item.envelope ? c.parseEnvelopeHeader(item.envelope.blob) : null
  return h?.ok ? `${item.key}|${h.value.epoch}|${h.value.counter}` : item.key
}

/** The outbox key a send ref belongs to. */
function sendKey(ref: string): string {
  return ref.split('|')[0]!
}

/** The epoch in force at log position `seq`: the latest commit before it. */
function epochAt(meta: ConversationMeta, seq: number): number {
  let epoch = 0
  for (const [e, members] of Object.entries(meta.epochs)) if (members.seq < seq && Number(e) > epoch) epoch = Number(e)
  return epoch
}

const fail = (code: string) => Object.assign(new Error(code), { code })

export class WardlineClient {
  readonly id: Identity
  readonly devices = new Map<string, c.VerifiedDevice>()
  readonly revoked = new Set<string>()
  /** Who revoked each revoked device, when and why, from its verified certificate. */
  readonly revocations = new Map<string, c.Revocation>()
  readonly conversations = new Map<string, ConversationState>()
  readonly connection: RelayConnection
  #o: ClientOptions
  #compliance: ComplianceRecipient | null
  #queue: Promise<void> = Promise.resolve()
  /** Requests waiting for the relay: an ack resolves with its seq, an answer frame with itself. */
  #pending = new Map<string, { resolve: (value: number | AnswerFrame) => void; reject: (e: Error) => void }>()
  #inflight = new Set<string>()
  #committing = new Set<string>()
  #receipts = new Map<string, Map<string, { delivered: number; read: number }>>()
  #receiptTimer: ReturnType<typeof setTimeout> | null = null
  /** Set while the outbox waits out a `relay/rate-limited` refusal (no flush until it fires). */
  #outboxRetry: unknown = null
  #outboxBackoff = 0
  #updateCount = new Map<string, number>()
  #awaitingDirectory: FrameOf<'conversation'>[] = []
  #resubscribeAfterDirectory = new Set<string>()
  #notSent = new Set<string>()
  /** Entries refused once at a position: asked for again, in case the copy we got was not the log's. */
  #refusedOnce = new Set<string>()
  /** Log positions at which a fork was detected, per conversation (each read again at most once). */
  #forkPositions = new Map<string, Set<number>>()
  /** Conversations with a catch-up asked for and not yet finished (its caughtUp not received). */
  #catchingUp = new Set<string>()
  /** Where the latest catch-up of each conversation started (to tell progress from a hole). */
  #catchUpFrom = new Map<string, number>()
  /** Holes reported per conversation: the position stuck at, retries so far, the pending timer. */
  #gapRetry = new Map<string, { seq: number; attempts: number; timer: unknown }>()
  /** The highest counter per (epoch, sender) applied before a fork rebuild, per conversation. */
  #counterFloor = new Map<string, Record<string, number>>()
  /** The furthest log position seen live while a catch-up was pending, per conversation. */
  #ahead = new Map<string, number>()
  /** Snapshot parts received ahead of a catch-up behind the relay's pruned point, per conversation. */
  #restoring = new Map<string, { seq: number; count: number; parts: Uint8Array[] }>()
  /** Snapshots refused once (conversation:seq): read again once, in case the copy was not the relay's. */
  #badSnapshots = new Set<string>()
  /** Conversations whose history could not be taken in: not read again until restart. */
  #stalled = new Set<string>()
  /** The snapshotSeq before the upload in flight, per conversation (restored when the relay is busy). */
  #snapshotBefore = new Map<string, number>()
  #heartbeatTimer: ReturnType<typeof setInterval> | null = null
  /** Heartbeats sent and not yet acked, by ref (their bytes join our chain when stored). */
  #beats = new Map<string, Uint8Array>()
  #queued = 0
  #outboxOrder = 0
  #directoryReady: Promise<void>
  #resolveDirectory: () => void = () => {}
  #backup: KeyBackupSync
  #blobs: AttachmentSync

  constructor(options: ClientOptions) {
    this.#o = options
    this.id = options.identity
    const certified = verifiedComplianceKey(options.identity)
    this.#compliance = options.compliance !== undefined ? options.compliance : certified.ok ? certified.value : null
    this.#directoryReady = new Promise((r) => (this.#resolveDirectory = r))
    this.connection = new RelayConnection({
      url: options.wsUrl,
      deviceId: this.id.deviceId,
      signingSecretKey: this.id.signingSecretKey,
      onFrame: (f) => void (this.#blobs.takeFrame(f) || this.receiveFrame(f)),
      onState: (s) => this.#onState(s),
      ...(options.timers ? { timers: options.timers } : {}),
      ...(options.createSocket ? { createSocket: options.createSocket } : {}),
    })
    this.#backup = this.#keyBackupSync()
    this.#blobs = new AttachmentSync({
      store: options.store,
      send: (f) => this.connection.send(f),
      isOnline: () => this.connection.state === 'online',
      onUploaded: () => void this.#enqueue(() => this.#flushOutbox()),
    })
  }

  get connectionState(): ConnectionState {
    return this.connection.state
  }

  get #view(): ViewState {
    return { id: this.id, devices: this.devices, revoked: this.revoked, notSent: this.#notSent, uploading: (a) => this.#blobs.isWaiting(a) }
  }

  #now(): number {
    return (this.#o.now ?? Date.now)()
  }

  /** Loads everything stored, then connects. */
  async start(): Promise<{ corrupt: number }> {
    const s = this.#o.store
    for (const [, d] of await s.list<c.VerifiedDevice & { revoked?: boolean; revocation?: c.Revocation }>('dir/')) {
      this.devices.set(d.deviceId, d)
      if (d.revoked) this.revoked.add(d.deviceId)
      if (d.revocation) this.revocations.set(d.deviceId, d.revocation)
    }
    if (this.devices.size > 0) this.#resolveDirectory()
    await this.#blobs.load()
    let corrupt = 0
    for (const [k] of await s.list('ns/')) this.#notSent.add(k.split('/')[2]!)
    const outbox = await s.list<OutboxItem>('ob/')
    this.#queued = outbox.length
    this.#outboxOrder = outbox.reduce((m, [, i]) => Math.max(m, i.order + 1), 0)
    for (const [, meta] of await s.list<ConversationMeta>('conv/')) {
      const state = new ConversationState(meta, this.id.deviceId)
      const updates = (await s.list<{ epoch: number; update: Uint8Array }>(`yu/${meta.conversationId}/`)).map(([, u]) => u)
      const seqs = new Map((await s.list<number>(`rs/${meta.conversationId}/`)).map(([k, v]) => [k.split('/')[2]!, v]))
      try {
        corrupt += state.load(updates, this.devices, seqs)
      } catch {
        corrupt++
      }
      for (const [, i] of outbox) if (i.conversationId === meta.conversationId) state.addQueued(i.record, i.order)
      this.#updateCount.set(meta.conversationId, updates.length)
      this.conversations.set(meta.conversationId, state)
      const receipts = new Map<string, { delivered: number; read: number }>()
      for (const [k, r] of await s.list<{ delivered: number; read: number }>(`rc/${meta.conversationId}/`)) {
        receipts.set(k.split('/')[2]!, r)
      }
      this.#receipts.set(meta.conversationId, receipts)
    }
    if (corrupt > 0) this.#o.emit('alert', { code: 'local/corrupt-record', message: `${corrupt} stored item(s) could not be read and were skipped` })
    this.connection.start()
    this.#heartbeatTimer = setInterval(() => void this.#enqueue(() => this.#heartbeat()), this.#o.heartbeatMs ?? HEARTBEAT_MS)
    return { corrupt }
  }

  stop(): void {
    this.connection.stop()
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer)
    if (this.#receiptTimer) clearTimeout(this.#receiptTimer)
    this.#backup.stop()
    if (this.#outboxRetry !== null) (this.#o.timers ?? realTimers).clearTimeout(this.#outboxRetry)
    this.#outboxRetry = null
    for (const g of this.#gapRetry.values()) if (g.timer !== null) (this.#o.timers ?? realTimers).clearTimeout(g.timer)
    this.#gapRetry.clear()
    for (const p of this.#pending.values()) p.reject(new Error('net/stopped'))
    this.#pending.clear()
  }

  /** Handles one frame from the relay, in order with every other frame and write. */
  receiveFrame(frame: Frame): Promise<void> {
    return this.#enqueue(() => this.#onFrame(frame))
  }

  /** Resolves when every queued frame and store write so far has been processed. */
  idle(): Promise<void> {
    return this.#queue
  }

  /** Runs a task after every earlier one and returns its result; a failure never stops the queue. */
  #serial<T>(task: () => Promise<T> | T): Promise<T> {
    const run = this.#queue.then(task)
    this.#queue = run.then(() => {}, () => {})
    return run
  }

  /** Like #serial for frame handling and background work: failures become alerts. */
  #enqueue(task: () => Promise<void> | void): Promise<void> {
    return this.#serial(task).catch((e) => {
      // The code says what failed; the text never echoes an error message that could carry data.
      const code = (e as { code?: string }).code ?? 'sync/internal'
      this.#o.emit('alert', { code, message: 'Something went wrong while syncing; the item was skipped and sync continues' })
    })
  }

  #onState(state: ConnectionState): void {
    if (state !== 'online') {
      this.#inflight.clear()
      this.#beats.clear()
      this.#catchingUp.clear()
      this.#restoring.clear()
      this.#blobs.offline()
    }
    this.#o.onStatusChange?.()
  }

  #alert(code: string, message = `A conversation or message was refused (${code})`): void {
    this.#o.emit('alert', { code, message })
  }

  #defenceWatchers = new Set<(e: DefenceEvent) => void>()

  #defence(kind: DefenceEvent['kind'], conversationId: string): void {
    this.#o.onDefence?.({ kind, conversationId })
    for (const watch of this.#defenceWatchers) watch({ kind, conversationId })
  }

  /** Also reports defence events to `watch` until the returned function is called. */
  watchDefences(watch: (e: DefenceEvent) => void): () => void {
    this.#defenceWatchers.add(watch)
    return () => this.#defenceWatchers.delete(watch)
  }

  // ---- incoming frames -------------------------------------------------------------------

  #onFrame(frame: Frame): Promise<void> | void {
    switch (frame.type) {
      case 'ready':
        this.connection.send({ type: 'getDirectory' })
        for (const conv of this.conversations.values()) this.#subscribe(conv.meta)
        void this.#backup.resume()
        void this.#blobs.resume()
        return this.#flushOutbox()
      case 'directory': return this.#onDirectory(frame)
      case 'directoryChanged':
        this.connection.send({ type: 'getDirectory' })
        return
      case 'conversation': return this.#onConversation(frame)
      case 'envelope': return this.#onEnvelope(frame)
      case 'snapshotPart': return this.#onSnapshotPart(frame)
      case 'caughtUp': return this.#onCaughtUp(frame)
      case 'rotationPending': {
        const conv = this.conversations.get(frame.conversationId)
        if (conv) this.connection.send({ type: 'getDirectory' }) // revocations arrive with it
        return
      }
      case 'ack': return this.#onAck(frame)
      case 'receiptUpdate': return this.#onReceipt(frame)
      case 'error': return this.#onError(frame)
      case 'keyBackup': return this.#backup.onFrame(frame)
      case 'revoked': return this.#onRevokedFrame(frame)
      case 'lease': return this.#o.onLease?.(frame.lease)
      case 'auditHead':
      case 'auditRecords':
      case 'directoryUsers':
      case 'devicesSeen':
      case 'legalHolds': return this.#onAnswer(frame)
      case 'userDeactivated':
        // A hint for a person to confirm (decision 0014): nothing is signed here.
        return this.#o.emit('userDeactivated', { userId: frame.userId, deviceIds: frame.deviceIds })
      default:
        return
    }
  }

  async #onCaughtUp(frame: FrameOf<'caughtUp'>): Promise<void> {
    const conv = this.conversations.get(frame.conversationId)
    if (conv && this.#restoring.has(frame.conversationId)) await this.#finishRestore(conv)
    this.#catchingUp.delete(frame.conversationId)
    void this.#enqueue(() => this.#flushOutbox()) // items held back until this copy caught up
    // Live entries that raced ahead of the catch-up were skipped: read on from here.
    const reach = Math.max(frame.seq, this.#ahead.get(frame.conversationId) ?? 0)
    this.#ahead.delete(frame.conversationId)
    const from = this.#catchUpFrom.get(frame.conversationId)
    this.#catchUpFrom.delete(frame.conversationId)
    if (conv && reach > conv.meta.lastSeq) {
      // A catch-up that moved nothing although the log reaches further has a hole the relay
      // did not fill (withheld, lost on the way, or pruned without a usable snapshot): report
      // it, and ask again later with backoff rather than in a loop (a live entry also asks).
      if (from === conv.meta.lastSeq) {
        this.#defence('gap', frame.conversationId)
        this.#retryGapLater(conv.meta)
      } else this.#subscribe(conv.meta)
    }
    this.#scheduleReceipt()
    if (!conv) return
    await this.#maybeSnapshot(conv)
    return this.#maintainMembership(conv)
  }

  async #onError(frame: FrameOf<'error'>): Promise<void> {
    const p = this.#pending.get(frame.ref)
    if (p) {
      this.#pending.delete(frame.ref)
      return p.reject(fail(frame.code))
    }
    // A snapshot upload refused (another member's covers more, or the relay is busy): the
    // entries stay on the relay and a later boundary tries again.
    if (frame.ref.startsWith('ss/')) {
      // The relay was busy with others' uploads: try again at the next entry rather than the next boundary.
      const conv = this.conversations.get(frame.ref.split('/')[1] ?? '')
      if (conv && frame.code === 'relay/busy') conv.meta.snapshotSeq = this.#snapshotBefore.get(conv.meta.conversationId) ?? 0
      return
    }
    if (frame.code === 'relay/rate-limited') return this.#onRateLimited(frame.ref)
    if (frame.ref.startsWith('ob/')) {
      const key = sendKey(frame.ref)
      this.#inflight.delete(key)
      const item = await this.#o.store.get<OutboxItem>(key)
      // Only the answer to the envelope the item holds now counts (a repeated answer to an
      // earlier one must not unseal its replacement).
      if (item && frame.code === 'relay/stale-epoch' && sendRef(item) === frame.ref) {
        // Sealed under an epoch that ended before it was stored: reseal under the current one.
        await this.#o.store.write([{ key: item.key, value: { ...item, envelope: null } }])
        const conv = this.conversations.get(item.conversationId)
        if (conv && item.envelope && item.envelope.epoch >= conv.meta.epoch) {
          // This copy has not seen the commit that ended that epoch yet: read on to it first
          // (its catch-up flushes the outbox), rather than resealing under the same old key.
          if (!this.#catchingUp.has(item.conversationId)) this.#subscribe(conv.meta)
          return
        }
        void this.#enqueue(() => this.#flushOutbox())
        return
      }
      if (item && frame.code === 'relay/not-member') return this.#markNotSent(item)
    }
    // The relay says this device is no longer a member: read the log to the commit that removed
    // it (the relay serves that far), rather than showing a bare refusal.
    if (frame.code === 'relay/not-member' && this.conversations.has(frame.ref)) {
      const conv = this.conversations.get(frame.ref)!
      // The answer to our own catch-up: nothing more to read. Otherwise ask once.
      if (this.#catchingUp.delete(frame.ref)) return
      if (!conv.meta.removed) this.#subscribe(conv.meta)
      return
    }
    if (frame.code === 'relay/device-revoked') {
      this.connection.stop()
      return this.#alert(frame.code, 'This device has been revoked by your organisation')
    }
    // Network boundaries (decision 0017): the connection keeps retrying with backoff, since the
    // device may move onto an allowed network; the page shows the code's plain-words text.
    if (frame.code === 'relay/network-refused') {
      return this.#alert(frame.code, 'Your organisation does not admit your role from this network')
    }
    this.#alert(frame.code, `The relay refused a request (${frame.code})`)
  }

  async #onDirectory(frame: FrameOf<'directory'>): Promise<void> {
    const { devices, revoked, refused, certificates } = verifyDirectory(this.id.rootPublicKey, frame.rootPublicKey, frame.entries)
    const writes: Write[] = []
    const fresh = new Set(devices.map((d) => d.deviceId))
    for (const d of devices) {
      const wasRevoked = this.revoked.has(d.deviceId)
      const isRevoked = revoked.has(d.deviceId) || wasRevoked // a revocation is never undone
      if (!this.devices.has(d.deviceId) || wasRevoked !== isRevoked) {
        const revocation = certificates.get(d.deviceId)
        writes.push({ key: `dir/${d.deviceId}`, value: { ...d, revoked: isRevoked, ...(revocation ? { revocation } : {}) } })
      }
      this.devices.set(d.deviceId, d)
      if (isRevoked) this.revoked.add(d.deviceId)
      const revocation = certificates.get(d.deviceId)
      if (revocation) this.revocations.set(d.deviceId, revocation)
    }
    for (const id of [...this.devices.keys()]) {
      // A device the relay stops listing is kept if it is revoked (its past signatures still count).
      if (!fresh.has(id) && !this.revoked.has(id)) {
        this.devices.delete(id)
        writes.push({ key: `dir/${id}`, delete: true })
      }
    }
    if (writes.length) await this.#o.store.write(writes)
    const own = certificates.get(this.id.deviceId)
    if (own) this.#revokedSelf(own)
    if (refused > 0) {
      this.#defence('forgery', '')
      this.#alert('trust/refused-device', `${refused} device(s) offered by the relay have no valid signature chain to your organisation and were refused`)
    }
    this.#resolveDirectory()
    this.#o.emit('people', null)
    for (const f of this.#awaitingDirectory.splice(0)) await this.#onConversation(f, true)
    for (const id of this.#resubscribeAfterDirectory) {
      const conv = this.conversations.get(id)
      if (conv) this.#subscribe(conv.meta)
    }
    this.#resubscribeAfterDirectory.clear()
    for (const conv of this.conversations.values()) this.#maintainMembership(conv)
  }

  async #onConversation(frame: FrameOf<'conversation'>, waited = false): Promise<void> {
    const known = this.conversations.get(frame.conversationId)
    if (known) {
      // Added back after a removal: read on from where this device stopped.
      if (known.meta.removed) this.#subscribe(known.meta)
      return
    }
    const g = verifyGenesis({
      conversationId: frame.conversationId,
      genesis: frame.manifest,
      boxes: frame.boxes,
      identity: this.id,
      devices: this.devices,
      compliance: this.#compliance,
    })
    if (!g.ok && g.code === 'trust/unknown-device' && !waited) {
      // The creator may have enrolled after our last directory fetch: wait for the next one.
      this.#awaitingDirectory.push(frame)
      this.connection.send({ type: 'getDirectory' })
      return
    }
    if (!g.ok) return this.#alert(g.code)
    const commit = g.value.commit
    const meta: ConversationMeta = {
      conversationId: commit.conversationId,
      kind: commit.kind,
      creatorDeviceId: commit.authorDeviceId,
      createdAt: commit.createdAt,
      epoch: 0,
      genesis: frame.manifest,
      chain: emptyChain(),
      beatSeq: 0,
      headHash: c.commitHash(frame.manifest),
      memberUserIds: commit.memberUserIds,
      deviceIds: commit.deviceIds,
      epochs: { '0': { memberUserIds: commit.memberUserIds, deviceIds: commit.deviceIds, seq: 0 } },
      epochKeys: g.value.key ? { '0': g.value.key } : {},
      unavailable: 0,
      removed: false,
      lastSeq: 0,
      readSeq: 0,
      receiptSent: { delivered: 0, read: 0 },
      counters: {},
      sendCounter: { epoch: 0, next: 0 },
      nextRecordCounter: 0,
      nextUpdateKey: 0,
    }
    // Keys restored from the key backup before this device was added (decision 0007).
    const restored = await restoredKeysFor(this.#o.store, meta.conversationId)
    for (const [e, k] of Object.entries(restored ?? {})) meta.epochKeys[e] ??= k
    await this.#o.store.write([
      { key: `conv/${meta.conversationId}`, value: meta },
      ...(restored ? [{ key: RESTORED_PREFIX + meta.conversationId, delete: true as const }] : []),
    ])
    this.#backup.schedule()
    this.conversations.set(meta.conversationId, new ConversationState(meta, this.id.deviceId))
    this.#receipts.set(meta.conversationId, new Map())
    this.#subscribe(meta)
    this.#o.emit('conversations', null)
  }

  /**
   * A hole is asked for again later, with backoff (a relay that delivered out of order, or came
   * back, fills it then; a hole that stays is not asked for at network speed), so a device never
   * stays behind the log only because no new entry arrived.
   */
  #retryGapLater(meta: ConversationMeta): void {
    const id = meta.conversationId
    const prev = this.#gapRetry.get(id)
    if (prev && prev.timer !== null) return
    const attempts = prev && prev.seq === meta.lastSeq ? prev.attempts + 1 : 0
    const t = this.#o.timers ?? realTimers
    const cap = Math.min(GAP_RETRY_MAX_MS, GAP_RETRY_BASE_MS * 2 ** attempts)
    const entry = { seq: meta.lastSeq, attempts, timer: null as unknown }
    entry.timer = t.setTimeout(() => {
      entry.timer = null
      const conv = this.conversations.get(id)
      // Only a hole still there: a log that moved on meanwhile was repaired some other way.
      if (conv && !conv.meta.removed && conv.meta.lastSeq === entry.seq && !this.#catchingUp.has(id)) this.#subscribe(conv.meta)
    }, cap / 2 + t.random() * (cap / 2))
    this.#gapRetry.set(id, entry)
  }

  #subscribe(meta: ConversationMeta): void {
    if (this.#stalled.has(meta.conversationId)) return
    this.#restoring.delete(meta.conversationId)
    if (this.connection.send({ type: 'subscribe', conversationId: meta.conversationId, since: meta.lastSeq })) {
      this.#catchingUp.add(meta.conversationId)
      this.#catchUpFrom.set(meta.conversationId, meta.lastSeq)
    }
  }

  async #onEnvelope(frame: FrameOf<'envelope'>): Promise<void> {
    const conv = this.conversations.get(frame.conversationId)
    if (!conv) return
    const meta = conv.meta
    const restoring = this.#restoring.get(meta.conversationId)
    if (restoring && frame.seq <= restoring.seq) {
      // Behind the pruned point only commits are left: apply each (keys, members), in order.
      if (frame.seq > meta.lastSeq && frame.seq > (meta.epochs[String(meta.epoch)]?.seq ?? 0) && c.isCommitEntry(frame.envelope)) {
        const head = meta.headHash
        await this.#onCommit(conv, frame, true)
        if (c.equalBytes(head, meta.headHash)) this.#restoring.delete(meta.conversationId) // not applied: read again later
      }
      return
    }
    if (restoring && !(await this.#finishRestore(conv))) return
    if (frame.seq <= meta.lastSeq) return // already applied (duplicate delivery)
    if (frame.seq !== meta.lastSeq + 1) {
      // Not applied here (it comes again in order), but a forged one is still reported now.
      this.#screenAhead(conv, frame.envelope)
      // A catch-up already asked for is on its way: live entries ahead of it are not gaps, but
      // remember how far the log reaches, in case the catch-up ends before them.
      if (this.#catchingUp.has(meta.conversationId)) {
        this.#ahead.set(meta.conversationId, Math.max(this.#ahead.get(meta.conversationId) ?? 0, frame.seq))
        return
      }
      this.#defence('gap', meta.conversationId)
      return this.#subscribe(meta) // gap: ask again from where we are
    }
    if (c.isCommitEntry(frame.envelope)) return this.#onCommit(conv, frame)
    const writes: Write[] = []
    const added = this.#applyData(conv, frame.seq, frame.envelope, writes)
    if (added === 'refused' && this.#askAgain(meta, frame.seq)) return
    if (added === 'fork') return this.#rebuild(conv)
    extendChain(meta.chain, frame.seq, frame.envelope)
    meta.lastSeq = frame.seq
    writes.push({ key: `conv/${meta.conversationId}`, value: meta })
    await this.#o.store.write(writes)
    const applied = Array.isArray(added) ? added : []
    await this.#maybeCompact(conv, applied.length > 0 ? 1 : 0)
    this.#announce(conv, applied, frame.seq)
    await this.#maybeSnapshot(conv)
  }

  /**
   * An entry that arrived ahead of this device's log position is not applied, but if its sender
   * and epoch key are known here, a signature or ciphertext that does not verify (a forgery) or an
   * old counter (a replay) is reported at once (the copy that comes in order may be the genuine one).
   */
  #screenAhead(conv: ConversationState, blob: Uint8Array): void {
    if (c.isCommitEntry(blob)) return
    const h = c.parseEnvelopeHeader(blob)
    if (!h.ok) return this.#refuse(h.code, conv.meta.conversationId)
    const sender = this.devices.get(h.value.senderDeviceId)
    const key = conv.meta.epochKeys[String(h.value.epoch)]
    if (!sender || !key || h.value.conversationId !== conv.meta.conversationId) return
    const opened = c.verifyAndOpenEnvelope(blob, sender.signingPublicKey, key)
    if (!opened.ok) return this.#refuse(opened.code, conv.meta.conversationId)
    // A genuine later entry always carries a higher counter than any this device applied from
    // its sender; one at or below it is a copy of an old envelope put ahead in the log.
    const k = `${h.value.epoch}:${h.value.senderDeviceId}`
    const applied = conv.meta.counters[k]
    const before = this.#counterFloor.get(conv.meta.conversationId)?.[k]
    const seen = applied === undefined ? before : before === undefined ? applied : Math.max(applied, before)
    if (h.value.senderDeviceId !== this.id.deviceId && seen !== undefined && h.value.counter <= seen) {
      this.#refuse('sync/replay', conv.meta.conversationId)
    }
  }

  #onSnapshotPart(frame: FrameOf<'snapshotPart'>): void {
    const conv = this.conversations.get(frame.conversationId)
    if (!conv || frame.seq <= conv.meta.lastSeq || frame.count > c.MAX_SNAPSHOT_PARTS || frame.index >= frame.count) return
    if (frame.index === 0) this.#restoring.set(frame.conversationId, { seq: frame.seq, count: frame.count, parts: [] })
    const r = this.#restoring.get(frame.conversationId)
    if (!r || r.seq !== frame.seq || r.count !== frame.count || r.parts.length !== frame.index) {
      this.#restoring.delete(frame.conversationId) // parts out of order: the entries after it show a gap
      return
    }
    r.parts.push(frame.part)
  }

  /**
   * Every commit up to the snapshot's position has been applied: take the snapshot in and resume
   * the log after it. A snapshot that fails its checks is asked for once more; a second failure
   * stops reading the conversation and says so, rather than showing a history that did not verify.
   */
  async #finishRestore(conv: ConversationState): Promise<boolean> {
    const m = conv.meta
    const r = this.#restoring.get(m.conversationId)
    this.#restoring.delete(m.conversationId)
    if (!r) return true
    const restored = r.parts.length === r.count ? restoreSnapshot(conv, r.parts, r.seq, this.devices) : c.err('sync/bad-snapshot')
    if (!restored.ok) {
      this.#defence('forgery', m.conversationId)
      const key = `${m.conversationId}:${r.seq}`
      if (!this.#badSnapshots.has(key)) {
        this.#badSnapshots.add(key)
        this.#subscribe(m)
        return false
      }
      this.#stalled.add(m.conversationId)
      this.#alert('sync/bad-snapshot', 'The earlier history of a conversation could not be verified and is not shown; contact your administrator')
      return false
    }
    // Segments this device has no key for are counted in meta.unavailable (shown with the
    // conversation) and kept, sealed, for a key that may still come.
    const { added, rejected, seqs, kept } = restored.value
    if (rejected > 0) this.#refuse('sync/bad-record', m.conversationId)
    const id = m.conversationId
    const writes: Write[] = (await this.#o.store.list(`yu/${id}/`)).map(([k]) => ({ key: k, delete: true as const }))
    for (const k of kept) writes.push({ key: `ps/${id}/${padSeq(k.epoch)}`, value: k })
    for (const epoch of conv.epochsWithState()) {
      writes.push({ key: `yu/${id}/${padSeq(m.nextUpdateKey++)}`, value: { epoch, update: conv.encodeSegment(epoch) } })
    }
    for (const [recordId, seq] of seqs) writes.push({ key: `rs/${id}/${recordId}`, value: seq })
    writes.push({ key: `conv/${id}`, value: m })
    await this.#o.store.write(writes)
    this.#updateCount.set(id, conv.epochsWithState().length)
    this.#announce(conv, added, r.seq)
    return true
  }

  /** Uploads a snapshot when this device is the member due to make one (see compaction.ts). */
  async #maybeSnapshot(conv: ConversationState): Promise<void> {
    const m = conv.meta
    const id = m.conversationId
    if (this.connection.state !== 'online' || this.#catchingUp.has(id) || this.#restoring.has(id)) return
    if (!snapshotDue(conv, this.id.deviceId, this.#o.snapshotEvery ?? SNAPSHOT_EVERY)) return
    if ((await this.#o.store.list<OutboxItem>('ob/')).some(([, item]) => item.conversationId === id)) return
    const parts = buildSnapshot(conv, this.id, this.#now())
    if (!parts) return
    this.#snapshotBefore.set(id, m.snapshotSeq ?? 0)
    m.snapshotSeq = m.lastSeq
    await this.#o.store.write([{ key: `conv/${id}`, value: m }])
    parts.forEach((part, index) =>
      this.connection.send({ type: 'putSnapshot', ref: `ss/${id}/${m.lastSeq}/${index}`, conversationId: id, seq: m.lastSeq, index, count: parts.length, part })
    )
  }

  /**
   * The first refusal at a position may be an injected copy rather than the log's own entry: do
   * not move past it, ask for the log again from there. A second refusal means the log itself
   * holds it (everyone refuses it), so it is skipped.
   */
  #askAgain(meta: ConversationMeta, seq: number): boolean {
    const key = `${meta.conversationId}:${seq}`
    if (this.#refusedOnce.has(key)) return false
    this.#refusedOnce.add(key)
    this.#subscribe(meta)
    return true
  }

  /**
   * This device's view of the log differs from another member's: the relay showed them different
   * histories. Read the conversation again from its genesis, keeping the keys, the outbox and the
   * counters seen (to screen replays), and say so. After MAX_FORK_REBUILDS the device stops following and says that too.
   */
  async #rebuild(conv: ConversationState): Promise<void> {
    const old = conv.meta
    const id = old.conversationId
    // The counters start again for reading, but a replay put ahead while the log is read again
    // is still known by the counters seen before (genuine later entries carry higher ones).
    const floor = { ...this.#counterFloor.get(id) }
    for (const [k, n] of Object.entries(old.counters)) floor[k] = Math.max(n, floor[k] ?? n)
    this.#counterFloor.set(id, floor)
    const genesis = c.parseCommit(old.genesis)
    if (!genesis.ok) return
    const g = genesis.value
    const meta: ConversationMeta = {
      ...old,
      epoch: 0,
      chain: emptyChain(),
      beatSeq: 0,
      headHash: c.commitHash(old.genesis),
      memberUserIds: g.memberUserIds,
      deviceIds: g.deviceIds,
      epochs: { '0': { memberUserIds: g.memberUserIds, deviceIds: g.deviceIds, seq: 0 } },
      unavailable: 0,
      removed: false,
      lastSeq: 0,
      receiptSent: { delivered: 0, read: 0 },
      counters: {},
    }
    const stale = [
      ...(await this.#o.store.list(`yu/${id}/`)),
      ...(await this.#o.store.list(`rs/${id}/`)),
      ...(await this.#o.store.list(`pe/${id}/`)),
      ...(await this.#o.store.list(`ps/${id}/`)),
    ]
    await this.#o.store.write([...stale.map(([k]) => ({ key: k, delete: true as const })), { key: `conv/${id}`, value: meta }])
    const fresh = new ConversationState(meta, this.id.deviceId, conv.announced)
    for (const [, item] of await this.#o.store.list<OutboxItem>('ob/')) if (item.conversationId === id) fresh.addQueued(item.record, item.order)
    this.conversations.set(id, fresh)
    this.#updateCount.set(id, 0)
    this.#subscribe(meta)
    this.#o.emit('messages', { conversationId: id })
  }

  /**
   * Verifies, decrypts and applies one data envelope at log position `seq`, adding the store writes
   * it needs. Returns the newly verified record ids, or null when it was not applied. An envelope
   * whose epoch key this device does not hold (yet) is kept, still sealed, until a commit brings it.
   */
  #applyData(conv: ConversationState, seq: number, blob: Uint8Array, writes: Write[]): string[] | 'refused' | 'fork' | null {
    const meta = conv.meta
    const opened = this.#verifyAndOpen(conv, seq, blob)
    if (!opened.ok) {
      if (opened.code === 'sync/no-epoch-key') {
        if (meta.unavailable < MAX_PENDING_ENVELOPES) {
          writes.push({ key: `pe/${meta.conversationId}/${padSeq(seq)}`, value: blob })
          meta.unavailable++
        }
        return null
      }
      if (opened.code === 'sync/own-envelope') return null
      this.#refuse(opened.code, meta.conversationId)
      return 'refused'
    }
    const { epoch, sender, counter, payload } = opened.value
    // Only live entries are checked against the chain: kept ones arrive after it moved on.
    if (seq === meta.chain.seq + 1 && checkClaim(meta.chain, payload.seenSeq, payload.seenHash) === 'fork') {
      this.#defence('fork', meta.conversationId)
      const positions = this.#forkPositions.get(meta.conversationId) ?? new Set<number>()
      this.#forkPositions.set(meta.conversationId, positions)
      // The first mismatch at a position: this device's view may be the forked one — read again.
      // The same mismatch after reading again means the sender was forked when it wrote: its
      // commitment is wrong, not our log, so the entry is kept and reading goes on. Rebuilds are
      // bounded per conversation so a relay cannot keep a device re-reading for ever.
      if (!positions.has(seq) && positions.size < MAX_FORK_REBUILDS) {
        positions.add(seq)
        this.#alert('sync/fork', 'Wardline found that the server showed members different histories; it is reading the conversation again')
        return 'fork'
      }
      if (!positions.has(seq)) this.#alert('sync/fork-unresolved', 'This conversation’s history differs between members; contact your administrator')
      positions.add(seq)
    }
    meta.counters[`${epoch}:${sender}`] = counter
    if (payload.kind === 'beat') return []
    const update = payload.update
    let result: ReturnType<ConversationState['applyUpdate']>
    try {
      result = conv.applyUpdate(epoch, sender, update, this.devices, seq)
    } catch {
      this.#refuse('sync/bad-update', meta.conversationId)
      return null
    }
    if (result.foreign) {
      this.#refuse('sync/foreign-items', meta.conversationId)
      return null
    }
    if (result.rejected > 0) this.#refuse('sync/bad-record', meta.conversationId)
    writes.push({ key: `yu/${meta.conversationId}/${padSeq(meta.nextUpdateKey++)}`, value: { epoch, update } })
    for (const id of [...result.added, ...result.confirmed]) writes.push({ key: `rs/${meta.conversationId}/${id}`, value: seq })
    return result.added
  }

  #announce(conv: ConversationState, added: string[], seq: number): void {
    for (const id of added) {
      const entry = conv.index.get(id)!
      if (entry.record.device === this.id.deviceId || conv.announced.has(id)) continue
      conv.announced.add(id)
      this.#o.onRecord?.(conv.meta.conversationId, entry.record, seq)
    }
    this.#scheduleReceipt()
    this.#o.emit('messages', { conversationId: conv.meta.conversationId })
  }

  /** A commit brought keys for earlier epochs: open the snapshot segments and envelopes kept for them, in log order. */
  async #openKept(conv: ConversationState, epochs: Set<number>): Promise<void> {
    const meta = conv.meta
    const writes: Write[] = []
    const added: string[] = []
    for (const [key, kept] of await this.#o.store.list<KeptSegment>(`ps/${meta.conversationId}/`)) {
      if (!epochs.has(kept.epoch)) continue
      writes.push({ key, delete: true })
      const opened = openKeptSegment(conv, kept, this.devices)
      if (!opened.ok) {
        this.#refuse(opened.code, meta.conversationId)
        continue
      }
      added.push(...opened.value.added)
      for (const [id, seq] of opened.value.seqs) writes.push({ key: `rs/${meta.conversationId}/${id}`, value: seq })
      writes.push({ key: `yu/${meta.conversationId}/${padSeq(meta.nextUpdateKey++)}`, value: { epoch: kept.epoch, update: conv.encodeSegment(kept.epoch) } })
    }
    for (const [key, blob] of await this.#o.store.list<Uint8Array>(`pe/${meta.conversationId}/`)) {
      const h = c.parseEnvelopeHeader(blob)
      if (!h.ok || !epochs.has(h.value.epoch)) continue
      const seq = Number(key.split('/')[2])
      writes.push({ key, delete: true })
      meta.unavailable--
      added.push(...(this.#applyData(conv, seq, blob, writes) ?? []))
    }
    if (writes.length === 0) return
    writes.push({ key: `conv/${meta.conversationId}`, value: meta })
    await this.#o.store.write(writes)
    this.#announce(conv, added, meta.lastSeq)
  }

  /** Reports a refused item, and tells the simulator which defence caught it. */
  #refuse(code: string, conversationId: string): void {
    if (code === 'sync/replay') this.#defence('replay', conversationId)
    else if (code === 'sync/stale-epoch') this.#defence('stale-epoch', conversationId)
    else this.#defence('forgery', conversationId)
    this.#alert(code)
  }

  #verifyAndOpen(
    conv: ConversationState,
    seq: number,
    blob: Uint8Array,
  ): c.Result<{ epoch: number; sender: string; counter: number; payload: Payload }> {
    const h = c.parseEnvelopeHeader(blob)
    if (!h.ok) return h
    const { senderDeviceId, counter, epoch, conversationId } = h.value
    const m = conv.meta
    if (conversationId !== m.conversationId) return c.err('sync/wrong-conversation')
    // Only the epoch in force at this point of the log is valid: a removed device's old key is useless.
    if (epoch !== epochAt(m, seq)) return c.err('sync/stale-epoch')
    const sender = this.devices.get(senderDeviceId)
    if (!sender || !m.epochs[String(epoch)]?.deviceIds.includes(senderDeviceId)) return c.err('sync/unknown-sender')
    const key = m.epochKeys[String(epoch)]
    if (!key) return c.err('sync/no-epoch-key')
    const known = m.counters[`${epoch}:${senderDeviceId}`]
    const seen = known ?? -1
    if (counter <= seen) return c.err(senderDeviceId === this.id.deviceId ? 'sync/own-envelope' : 'sync/replay')
    // Counters may skip (a heartbeat sealed while the link dropped), but not arbitrarily far —
    // except the first one seen of an epoch that began before this device resumed from a
    // snapshot (its earlier counters were never seen here).
    const unknownBefore = known === undefined && m.restoredSeq !== undefined && (m.epochs[String(epoch)]?.seq ?? 0) < m.restoredSeq
    if (counter > seen + MAX_COUNTER_SKIP && !unknownBefore) return c.err('sync/counter-skip')
    const opened = c.verifyAndOpenEnvelope(blob, sender.signingPublicKey, key)
    if (!opened.ok) return opened
    const payload = decodePayload(opened.value.payload)
    if (!payload.ok) return payload
    return c.ok({ epoch, sender: senderDeviceId, counter, payload: payload.value })
  }

  /** `restoring`: a commit behind the pruned point, applied without the entries around it (see #finishRestore). */
  async #onCommit(conv: ConversationState, frame: FrameOf<'envelope'>, restoring = false): Promise<void> {
    const m = conv.meta
    const v = verifyCommitEntry({ meta: m, entry: frame.envelope, identity: this.id, devices: this.devices, revoked: this.revoked, compliance: this.#compliance })
    if (!v.ok && v.code === 'trust/unknown-device' && !this.#resubscribeAfterDirectory.has(m.conversationId)) {
      // A device enrolled after our last directory fetch: fetch it, then read on from here.
      this.#resubscribeAfterDirectory.add(m.conversationId)
      this.connection.send({ type: 'getDirectory' })
      return
    }
    if (!v.ok) {
      // A commit we cannot accept ends what this device can follow of the conversation: say so.
      this.#refuse(v.code, m.conversationId)
      if (restoring || this.#askAgain(m, frame.seq)) return
      extendChain(m.chain, frame.seq, frame.envelope)
      m.lastSeq = frame.seq
      await this.#o.store.write([{ key: `conv/${m.conversationId}`, value: m }])
      return
    }
    const { commit, hash, keys } = v.value
    const wasMember = m.deviceIds.includes(this.id.deviceId)
    m.epoch = commit.epoch
    m.headHash = hash
    m.memberUserIds = commit.memberUserIds
    m.deviceIds = commit.deviceIds
    m.epochs[String(commit.epoch)] = { memberUserIds: commit.memberUserIds, deviceIds: commit.deviceIds, seq: frame.seq }
    const newEpochs = new Set(Object.keys(keys).filter((e) => !m.epochKeys[e]).map(Number))
    for (const [e, k] of Object.entries(keys)) m.epochKeys[e] ??= k
    m.removed = !commit.deviceIds.includes(this.id.deviceId)
    if (!m.removed && !m.epochKeys[String(commit.epoch)]) this.#alert('crypto/no-key-box')
    if (!restoring) {
      extendChain(m.chain, frame.seq, frame.envelope)
      m.lastSeq = frame.seq
    }
    await this.#o.store.write([{ key: `conv/${m.conversationId}`, value: m }])
    if (wasMember && m.removed) {
      for (const [, item] of await this.#o.store.list<OutboxItem>('ob/')) {
        if (item.conversationId === m.conversationId) await this.#markNotSent(item)
      }
    }
    if (newEpochs.size > 0) await this.#openKept(conv, newEpochs)
    if (newEpochs.size > 0) this.#backup.schedule()
    this.#o.emit('conversations', null)
    this.#o.emit('messages', { conversationId: m.conversationId })
    void this.#enqueue(() => this.#flushOutbox())
  }

  async #maybeCompact(conv: ConversationState, added: number): Promise<void> {
    const id = conv.meta.conversationId
    const count = (this.#updateCount.get(id) ?? 0) + added
    this.#updateCount.set(id, count)
    if (count < COMPACT_AFTER_UPDATES) return
    const old = await this.#o.store.list(`yu/${id}/`)
    const writes: Write[] = old.map(([k]) => ({ key: k, delete: true as const }))
    for (const epoch of conv.epochsWithState()) {
      writes.push({ key: `yu/${id}/${padSeq(conv.meta.nextUpdateKey++)}`, value: { epoch, update: conv.encodeSegment(epoch) } })
    }
    writes.push({ key: `conv/${id}`, value: conv.meta })
    await this.#o.store.write(writes)
    this.#updateCount.set(id, conv.epochsWithState().length)
  }

  /**
   * The relay refused a send over the device's rate (issue 4): nothing was stored, so the item
   * stays in the outbox and the whole outbox waits — exponential backoff with jitter, up to
   * RATE_LIMIT_BACKOFF_MAX_MS, reset by the next ack — instead of resending at once.
   */
  #onRateLimited(ref: string): void {
    if (ref.startsWith('ob/')) this.#inflight.delete(sendKey(ref))
    this.#beats.delete(ref) // a refused heartbeat is simply not part of the log
    if (this.#outboxRetry !== null) return
    const t = this.#o.timers ?? realTimers
    const cap = Math.min(RATE_LIMIT_BACKOFF_MAX_MS, RATE_LIMIT_BACKOFF_BASE_MS * 2 ** this.#outboxBackoff)
    this.#outboxBackoff = Math.min(this.#outboxBackoff + 1, 10)
    this.#outboxRetry = t.setTimeout(() => {
      this.#outboxRetry = null
      void this.#enqueue(() => this.#flushOutbox())
    }, cap / 2 + t.random() * (cap / 2))
  }

  async #onAck(frame: FrameOf<'ack'>): Promise<void> {
    const p = this.#pending.get(frame.ref)
    if (p) {
      this.#pending.delete(frame.ref)
      return p.resolve(frame.seq)
    }
    if (frame.ref.startsWith('hb/')) return this.#onBeatAck(frame)
    if (!frame.ref.startsWith('ob/')) return
    this.#outboxBackoff = 0
    const key = sendKey(frame.ref)
    this.#inflight.delete(key)
    const item = await this.#o.store.get<OutboxItem>(key)
    const conv = this.conversations.get(frame.conversationId)
    if (!item || !conv || !item.envelope) return
    const writes: Write[] = [
      { key, delete: true },
      { key: `rs/${item.conversationId}/${item.recordId}`, value: frame.seq },
    ]
    // The acked envelope is the one the item holds only if the ref names it; otherwise (the item
    // was resealed meanwhile) its bytes are not here and the log will bring them.
    if (frame.seq === conv.meta.lastSeq + 1 && sendRef(item) === frame.ref) {
      // Nothing from others sits between: our own envelope is the next in the log.
      const h = c.parseEnvelopeHeader(item.envelope.blob)
      extendChain(conv.meta.chain, frame.seq, item.envelope.blob)
      conv.meta.lastSeq = frame.seq
      if (h.ok) conv.meta.counters[`${h.value.epoch}:${this.id.deviceId}`] = h.value.counter
      // A copy read again after a fork may lack this item: it was written into the copy before.
      // The log will not bring it back (the relay does not echo our own entries), so put it in now
      // (a no-op when it is there), or the outbox would wait for it for ever (ownClocks).
      this.#ensureOwnUpdate(conv, item.envelope, frame.seq, writes)
      writes.push({ key: `conv/${item.conversationId}`, value: conv.meta })
    } else if (frame.seq > conv.meta.lastSeq) {
      // Entries sit between (or the acked bytes are not the ones held now) and have not reached
      // us; the relay does not echo our own back live, so read the log from where we are.
      this.#subscribe(conv.meta)
    }
    await this.#o.store.write(writes)
    this.#queued--
    conv.setSeq(item.recordId, frame.seq)
    this.#o.onSent?.(item.conversationId, item.recordId, frame.seq)
    this.#o.emit('messages', { conversationId: item.conversationId })
    this.#o.onStatusChange?.()
  }

  #ensureOwnUpdate(conv: ConversationState, envelope: { epoch: number; blob: Uint8Array }, seq: number, writes: Write[]): void {
    const m = conv.meta
    const key = m.epochKeys[String(envelope.epoch)]
    if (!key || conv.ownClock(envelope.epoch) >= (m.ownClocks?.[String(envelope.epoch)] ?? 0)) return
    const opened = c.verifyAndOpenEnvelope(envelope.blob, this.id.signingPublicKey, key)
    const payload = opened.ok ? decodePayload(opened.value.payload) : null
    if (!payload?.ok || payload.value.kind !== 'yjs') return
    try {
      conv.applyUpdate(envelope.epoch, this.id.deviceId, payload.value.update, this.devices, seq)
    } catch {
      return
    }
    writes.push({ key: `yu/${m.conversationId}/${padSeq(m.nextUpdateKey++)}`, value: { epoch: envelope.epoch, update: payload.value.update } })
  }

  async #onReceipt(frame: FrameOf<'receiptUpdate'>): Promise<void> {
    const device = this.devices.get(frame.deviceId)
    const conv = this.conversations.get(frame.conversationId)
    if (!device || !conv || !conv.meta.deviceIds.includes(device.deviceId)) return
    const r = c.verifyReceipt(frame.receipt, device.signingPublicKey)
    if (!r.ok || r.value.conversationId !== frame.conversationId || r.value.deviceId !== frame.deviceId) return
    const map = this.#receipts.get(frame.conversationId)!
    const prev = map.get(frame.deviceId) ?? { delivered: 0, read: 0 }
    const next = { delivered: Math.max(prev.delivered, r.value.delivered), read: Math.max(prev.read, r.value.read) }
    if (next.delivered === prev.delivered && next.read === prev.read) return
    map.set(frame.deviceId, next)
    await this.#o.store.write([{ key: `rc/${frame.conversationId}/${frame.deviceId}`, value: next }])
    this.#o.emit('messages', { conversationId: frame.conversationId })
  }

  #scheduleReceipt(): void {
    if (this.#receiptTimer) return
    this.#receiptTimer = setTimeout(() => {
      this.#receiptTimer = null
      void this.#enqueue(() => this.#sendReceipts())
    }, RECEIPT_DELAY_MS)
  }

  async #sendReceipts(): Promise<void> {
    if (this.connection.state !== 'online') return
    for (const conv of this.conversations.values()) {
      const m = conv.meta
      if (m.removed || (m.receiptSent.delivered >= m.lastSeq && m.receiptSent.read >= m.readSeq)) continue
      const receipt = c.signReceipt(
        { conversationId: m.conversationId, deviceId: this.id.deviceId, delivered: m.lastSeq, read: m.readSeq },
        this.id.signingSecretKey,
      )
      if (this.connection.send({ type: 'receipt', conversationId: m.conversationId, receipt })) {
        m.receiptSent = { delivered: m.lastSeq, read: m.readSeq }
        await this.#o.store.write([{ key: `conv/${m.conversationId}`, value: m }])
      }
    }
  }

  // ---- membership ---------------------------------------------------------------------------

  /** Devices of current members that may hold keys: verified, not revoked. */
  #eligibleDevices(userIds: string[]): string[] {
    return [...this.devices.values()]
      .filter((d) => userIds.includes(d.userId) && !this.revoked.has(d.deviceId))
      .map((d) => d.deviceId)
  }

  /**
   * After catch-up and after every directory change: a revoked device still in the epoch forces a
   * rotation without it; a member's new device is added with the history (DESIGN §3). Every
   * online member device may try; the relay keeps the first and the others rebase.
   */
  #maintainMembership(conv: ConversationState): void {
    const m = conv.meta
    if (m.removed || !m.deviceIds.includes(this.id.deviceId) || this.#committing.has(m.conversationId)) return
    if (this.connection.state !== 'online') return
    const revokedInEpoch = m.deviceIds.filter((d) => this.revoked.has(d))
    // Only a device holding every epoch's key adds a member's new device, so the newcomer gets the
    // whole history whoever wins the race (one re-added without history would give it a part).
    const holdsAll = Object.keys(m.epochs).every((e) => m.epochKeys[e])
    const missing = holdsAll ? this.#eligibleDevices(m.memberUserIds).filter((d) => !m.deviceIds.includes(d)) : []
    if (revokedInEpoch.length === 0 && missing.length === 0) return
    const deviceIds = [...m.deviceIds.filter((d) => !this.revoked.has(d)), ...missing]
    const prepared = this.#prepareCommit(conv, {
      change: revokedInEpoch.length > 0 ? 'rotate' : 'add',
      memberUserIds: m.memberUserIds,
      deviceIds,
      historyShared: true,
    })
    void this.#sendCommit(prepared).catch((e) => {
      // Another member committed first: its commit arrives through the log and we look again then.
      if ((e as { code?: string }).code !== 'relay/stale-commit') this.#alert((e as { code?: string }).code ?? 'sync/internal')
    })
  }

  /** Builds the next epoch's commit from the state as it is now (call inside the queue). */
  #prepareCommit(conv: ConversationState, next: NextEpoch): { conversationId: string; ref: string; entry: Uint8Array } {
    const m = conv.meta
    const { entry } = buildCommitEntry({
      conversationId: m.conversationId,
      kind: m.kind,
      meta: m,
      next,
      identity: this.id,
      devices: this.devices,
      compliance: this.#compliance,
      now: this.#now(),
    })
    this.#committing.add(m.conversationId)
    return { conversationId: m.conversationId, ref: `cm/${m.conversationId}/${m.epoch + 1}`, entry }
  }

  /**
   * Sends a prepared commit — outside the queue, since the ack arrives through it — and applies
   * it the way every member does: verified, in log order.
   */
  async #sendCommit(p: { conversationId: string; ref: string; entry: Uint8Array }): Promise<void> {
    try {
      const seq = await this.request({ type: 'commit', ref: p.ref, conversationId: p.conversationId, entry: p.entry })
      await this.#enqueue(() => {
        const conv = this.conversations.get(p.conversationId)
        if (!conv) return
        if (seq === conv.meta.lastSeq + 1) return this.#onEnvelope({ type: 'envelope', conversationId: p.conversationId, seq, envelope: p.entry })
        if (seq > conv.meta.lastSeq) this.#subscribe(conv.meta)
      })
    } finally {
      this.#committing.delete(p.conversationId)
    }
  }

  /** Adds people; with `shareHistory` their devices also get every earlier epoch key this device holds. */
  async addMembers(conversationId: string, userIds: string[], shareHistory: boolean): Promise<void> {
    await this.#sendCommit(await this.#serial(() => {
      const conv = this.#member(conversationId)
      const m = conv.meta
      if (m.kind === 'direct') throw fail('sync/direct-conversation')
      const memberUserIds = [...new Set([...m.memberUserIds, ...userIds])]
      for (const u of userIds) if (this.#eligibleDevices([u]).length === 0) throw fail('trust/no-verified-device')
      const deviceIds = [...m.deviceIds.filter((d) => !this.revoked.has(d)), ...this.#eligibleDevices(userIds).filter((d) => !m.deviceIds.includes(d))]
      return this.#prepareCommit(conv, { change: 'add', memberUserIds, deviceIds, historyShared: shareHistory })
    }))
  }

  /** Removes people (or this user, to leave): a new epoch whose key none of their devices receive. */
  async removeMembers(conversationId: string, userIds: string[]): Promise<void> {
    await this.#sendCommit(await this.#serial(() => {
      const conv = this.#member(conversationId)
      const m = conv.meta
      const memberUserIds = m.memberUserIds.filter((u) => !userIds.includes(u))
      const deviceIds = m.deviceIds.filter((d) => !userIds.includes(this.devices.get(d)?.userId ?? '') && !this.revoked.has(d))
      if (memberUserIds.length === 0 || deviceIds.length === 0) throw fail('sync/last-member')
      return this.#prepareCommit(conv, { change: 'remove', memberUserIds, deviceIds, historyShared: false })
    }))
  }

  /** Revokes a device: signed by the root on an admin device, else by another device of its user. */
  async revokeDevice(deviceId: string, reason: string): Promise<void> {
    const target = this.devices.get(deviceId)
    if (!target) throw fail('trust/unknown-device')
    let signer: string
    let key: Uint8Array
    if (this.id.rootSecretKey) [signer, key] = ['root', this.id.rootSecretKey]
    // A device may sign its own removal ("Remove Wardline from this device", decision 0012).
    else if (target.userId === this.id.userId) [signer, key] = [this.id.deviceId, this.id.signingSecretKey]
    else throw fail('admin/not-allowed')
    const revocation = c.signRevocation({ deviceId, revokedAt: this.#now(), signer, reason }, key)
    await this.request({ type: 'revokeDevice', ref: `rv/${deviceId}`, revocation })
  }

  #revokedNotified = false

  /** Asks the relay for a fresh offline lease (answered with a `lease` frame) when online. */
  renewLease(): void {
    if (this.connection.state === 'online') this.connection.send({ type: 'renewLease' })
  }

  /** The relay shows this device its revocation: wipe only if the certificate verifies. */
  #onRevokedFrame(frame: FrameOf<'revoked'>): void {
    const self = c.verifyDeviceChain(this.id.rootPublicKey, this.id.authorization, this.id.binding)
    const verified = self.ok
      ? verifyOwnRevocation(this.id.rootPublicKey, self.value, this.devices, this.revoked, frame.certificate, frame.signer)
      : null
    if (verified) return this.#revokedSelf(verified)
    this.#defence('forgery', '')
    this.#alert('trust/bad-revocation', 'The server said this device was removed but could not prove it; nothing was erased')
  }

  #revokedSelf(revocation: c.Revocation): void {
    if (this.#revokedNotified) return
    this.#revokedNotified = true
    this.connection.stop()
    this.#o.onRevoked?.(revocation)
  }

  #member(conversationId: string): ConversationState {
    const conv = this.conversations.get(conversationId)
    if (!conv) throw fail('sync/unknown-conversation')
    if (conv.meta.removed || !conv.meta.deviceIds.includes(this.id.deviceId)) throw fail('sync/not-member')
    return conv
  }

  // ---- outgoing ----------------------------------------------------------------------------

  /**
   * Writes a message: shown as queued only after its store transaction has committed. The body is
   * run through the PHI detector here, with the conversation's patient context, and the kinds it
   * finds are signed into the record (`phi`), so the tag is the author device's and cannot be
   * stripped or added on the way (issue 9).
   */
  sendMessage(conversationId: string, body: string, clientId: string): Promise<string> {
    return this.#serial(() => {
      const conv = this.#member(conversationId)
      const phi = phiKinds(detectPhi(body, phiOptionsFor(patientContextOf(conv))))
      return this.#writeMessage(conversationId, { kind: 'text', body, phi }, clientId)
    })
  }

  /**
   * Sends a file: sealed in chunks under a fresh key and kept in the store with the message in one
   * transaction; the message leaves the outbox once the relay has stored the blob (decision 0018).
   * The caption goes through the PHI detector like a message.
   */
  sendAttachment(conversationId: string, file: AttachmentInput, caption: string, clientId: string): Promise<string> {
    return this.#serial(() => {
      const conv = this.#member(conversationId)
      const phi = phiKinds(detectPhi(caption, phiOptionsFor(patientContextOf(conv))))
      return this.#writeMessage(conversationId, { kind: 'text', body: caption, phi, attachment: file }, clientId)
    })
  }

  /** The file (or its thumbnail) of a verified record, decrypted after its signed hash is checked. */
  async openAttachment(conversationId: string, recordId: string, part: 'file' | 'thumb'): Promise<{ bytes: Uint8Array; mime: string; name: string }> {
    const record = this.conversations.get(conversationId)?.index.get(recordId)?.record
    const a = record?.attachment
    const ref = part === 'thumb' ? a?.thumb : a
    if (!a || !ref) throw fail('attachment/unknown')
    const bytes = await this.#blobs.open(ref)
    return { bytes, mime: part === 'thumb' ? 'image/jpeg' : a.mime, name: a.name }
  }

  /** Files sealed on this device that the relay has not stored yet. */
  uploadsWaiting(): number {
    return this.#blobs.uploadsWaiting
  }

  /** Sets the conversation's patient context: a record of kind 'patient', tagged as PHI. */
  setPatientContext(conversationId: string, patient: PatientContext, clientId: string): Promise<string> {
    return this.#serial(() =>
      this.#writeMessage(conversationId, { kind: PATIENT_KIND, body: encodePatientContext(patient), phi: patientPhiKinds(patient) }, clientId)
    )
  }

  /** The PHI detector over a draft, with this conversation's patient names and MRN. */
  checkPhi(conversationId: string, text: string): PhiSpan[] {
    const conv = this.conversations.get(conversationId)
    return detectPhi(text, phiOptionsFor(conv ? patientContextOf(conv) : null))
  }

  async #writeMessage(
    conversationId: string,
    { kind, body, phi, attachment }: { kind: string; body: string; phi: string[]; attachment?: AttachmentInput },
    clientId: string,
  ): Promise<string> {
    const conv = this.#member(conversationId)
    const existing = await this.#o.store.get<string>(`cid/${clientId}`)
    if (existing) return existing // a repeated tap or retry: never a second message
    if (new TextEncoder().encode(body).length > MAX_MESSAGE_BYTES) {
      throw Object.assign(new Error(`Messages are limited to ${MAX_MESSAGE_BYTES / 1024} KiB`), { code: 'compose/too-long' })
    }
    const m = conv.meta
    const n = m.nextRecordCounter++
    const at = this.#now()
    const sealed = attachment ? this.#blobs.seal(attachment) : null
    const tag = { ...(phi.length ? { phi } : {}), ...(sealed ? { attachment: sealed.ref } : {}) }
    const content = { kind, body, createdAt: at, authorUserId: this.id.userId, ...tag }
    const record: MessageRecord = {
      id: recordId(this.id.deviceId, n),
      author: this.id.userId,
      device: this.id.deviceId,
      n,
      kind,
      body,
      at,
      sig: c.signRecord(conversationId, this.id.deviceId, n, content, this.id.signingSecretKey),
      ...tag,
    }
    const order = this.#outboxOrder++
    const item: OutboxItem = { key: `ob/${padSeq(order)}`, conversationId, recordId: record.id, clientId, order, record, envelope: null }
    await this.#o.store.write([
      { key: item.key, value: item },
      { key: `cid/${clientId}`, value: record.id },
      { key: `conv/${conversationId}`, value: m },
      ...(sealed?.writes ?? []),
    ])
    if (sealed) this.#blobs.queued(sealed.blobIds)
    conv.addQueued(record, order)
    this.#queued++
    this.#o.emit('messages', { conversationId })
    this.#o.onStatusChange?.()
    void this.#enqueue(() => this.#flushOutbox())
    return record.id
  }

  async #markNotSent(item: OutboxItem, code = 'sync/not-sent-removed'): Promise<void> {
    await this.#o.store.write([{ key: item.key, delete: true }, { key: `ns/${item.conversationId}/${item.recordId}`, value: true }])
    this.#notSent.add(item.recordId)
    this.#queued--
    // Say it plainly: on a care team, a message someone believes went out is a risk.
    if (code === 'sync/not-sent-removed') {
      this.#alert(code, 'A message you wrote was not sent: you are no longer a member of that conversation')
    }
    this.#o.emit('messages', { conversationId: item.conversationId })
    this.#o.onStatusChange?.()
  }

  /**
   * Seals each waiting item when it is sent — under the epoch current then, so a message written
   * before a rotation never goes out under a key a removed device holds — and sends it. A sealed
   * item is resent byte-identical until acked, so retries never duplicate.
   */
  async #flushOutbox(): Promise<void> {
    if (this.connection.state !== 'online' || this.#outboxRetry !== null) return
    for (const [key, item] of await this.#o.store.list<OutboxItem>('ob/')) {
      if (this.#inflight.has(key)) continue
      const conv = this.conversations.get(item.conversationId)
      if (!conv) continue
      const m = conv.meta
      if (m.removed || !m.deviceIds.includes(this.id.deviceId)) {
        await this.#markNotSent(item)
        continue
      }
      // A message naming a file goes out only once the relay holds the file (decision 0018).
      if (this.#blobs.isWaiting(item.record.attachment)) continue
      if (!item.envelope) {
        // Never seal while a revoked device still holds the current key: rotate first.
        if (m.deviceIds.some((d) => this.revoked.has(d)) || !m.epochKeys[String(m.epoch)]) continue
        if (conv.ownClock(m.epoch) < (m.ownClocks?.[String(m.epoch)] ?? 0)) continue // catching up first
        const update = conv.addOwnRecord(m.epoch, item.record)
        m.ownClocks = { ...m.ownClocks, [String(m.epoch)]: conv.ownClock(m.epoch) }
        const payload = encodePayload('yjs', update, m.chain)
        m.beatSeq = m.chain.seq
        if (payload.length > c.MAX_ENVELOPE_PAYLOAD) {
          await this.#markNotSent(item, 'compose/too-long')
          this.#alert('compose/too-long')
          continue
        }
        if (m.sendCounter.epoch !== m.epoch) m.sendCounter = { epoch: m.epoch, next: 0 }
        const header = { conversationId: m.conversationId, epoch: m.epoch, senderDeviceId: this.id.deviceId, counter: m.sendCounter.next++ }
        item.envelope = { epoch: m.epoch, blob: c.sealEnvelope(header, payload, m.epochKeys[String(m.epoch)]!, this.id.signingSecretKey) }
        await this.#o.store.write([
          { key, value: item },
          { key: `yu/${m.conversationId}/${padSeq(m.nextUpdateKey++)}`, value: { epoch: m.epoch, update } },
          { key: `conv/${m.conversationId}`, value: m },
        ])
      }
      if (!this.connection.send({ type: 'send', ref: sendRef(item), conversationId: item.conversationId, envelope: item.envelope.blob })) return
      this.#inflight.add(key)
    }
  }

  /**
   * Every T, a member whose view of a conversation moved on since it last committed to it posts a
   * signed heartbeat with its view, so a withheld or forked entry is noticed within T (DESIGN §4).
   */
  async #heartbeat(): Promise<void> {
    if (this.connection.state !== 'online') return
    for (const conv of this.conversations.values()) {
      const m = conv.meta
      const key = m.epochKeys[String(m.epoch)]
      if (m.removed || !key || !m.deviceIds.includes(this.id.deviceId) || m.chain.seq <= m.beatSeq) continue
      if (m.sendCounter.epoch !== m.epoch) m.sendCounter = { epoch: m.epoch, next: 0 }
      const header = { conversationId: m.conversationId, epoch: m.epoch, senderDeviceId: this.id.deviceId, counter: m.sendCounter.next++ }
      const envelope = c.sealEnvelope(header, encodePayload('beat', new Uint8Array(0), m.chain), key, this.id.signingSecretKey)
      m.beatSeq = m.chain.seq
      await this.#o.store.write([{ key: `conv/${m.conversationId}`, value: m }])
      const ref = `hb/${m.conversationId}/${header.counter}`
      if (this.connection.send({ type: 'send', ref, conversationId: m.conversationId, envelope })) this.#beats.set(ref, envelope)
    }
  }

  /** Our own heartbeat was stored: it is part of the log like any entry (the relay does not echo it). */
  async #onBeatAck(frame: FrameOf<'ack'>): Promise<void> {
    const envelope = this.#beats.get(frame.ref)
    this.#beats.delete(frame.ref)
    const conv = this.conversations.get(frame.conversationId)
    if (!envelope || !conv) return
    const m = conv.meta
    if (frame.seq === m.lastSeq + 1) {
      const h = c.parseEnvelopeHeader(envelope)
      extendChain(m.chain, frame.seq, envelope)
      m.lastSeq = frame.seq
      if (h.ok) m.counters[`${h.value.epoch}:${this.id.deviceId}`] = h.value.counter
      await this.#o.store.write([{ key: `conv/${m.conversationId}`, value: m }])
    } else if (frame.seq > m.lastSeq) {
      this.#subscribe(m)
    }
  }

  /** Runs one heartbeat round now (tests; the timer runs it every T). */
  heartbeatNow(): Promise<void> {
    return this.#enqueue(() => this.#heartbeat())
  }

  /** Outbox items waiting, kept in memory so status snapshots cost no store reads. */
  queuedCount(): number {
    return this.#queued
  }

  /** Waits a moment for the connection (it may be logging in right now) before giving up. */
  async #whenOnline(timeoutMs = 8000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (this.connection.state !== 'online' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    return this.connection.state === 'online'
  }

  /** Sends a request frame and resolves with the relay's ack (seq), or rejects with its error code. */
  async request(frame: Frame & { ref: string }): Promise<number> {
    await this.#whenOnline()
    const answer = await this.#sendRequest(frame)
    if (typeof answer !== 'number') throw fail('net/unexpected-answer')
    return answer
  }

  /**
   * Sends a read request (admin console: audit log, directory users, last seen) and resolves with
   * the relay's answer frame of type `answer` under the same ref, or rejects with its error code.
   */
  async query<T extends AnswerFrame['type']>(frame: Frame & { ref: string }, answer: T): Promise<FrameOf<T>> {
    await this.#whenOnline()
    const got = await this.#sendRequest(frame)
    if (typeof got === 'number' || got.type !== answer) throw fail('net/unexpected-answer')
    return got as FrameOf<T>
  }

  #onAnswer(frame: AnswerFrame): void {
    const p = this.#pending.get(frame.ref)
    if (!p) return
    this.#pending.delete(frame.ref)
    p.resolve(frame)
  }

  #sendRequest(frame: Frame & { ref: string }): Promise<number | AnswerFrame> {
    return new Promise((resolve, reject) => {
      this.#pending.set(frame.ref, { resolve, reject })
      if (!this.connection.send(frame)) {
        this.#pending.delete(frame.ref)
        reject(fail('net/offline'))
      }
    })
  }

  /** Creates a conversation with these people and every verified device of theirs and ours. */
  async createConversation(userIds: string[]): Promise<string> {
    await this.#directoryReady
    const members = [...new Set([this.id.userId, ...userIds])].sort()
    const kind = members.length === 2 ? 'direct' : 'group'
    if (kind === 'direct') {
      for (const conv of this.conversations.values()) {
        if (conv.meta.kind === 'direct' && !conv.meta.removed && [...conv.meta.memberUserIds].sort().join() === members.join()) {
          return conv.meta.conversationId
        }
      }
    }
    const deviceIds = this.#eligibleDevices(members)
    if (!deviceIds.includes(this.id.deviceId)) throw fail('trust/not-in-directory')
    for (const u of members) if (this.#eligibleDevices([u]).length === 0) throw fail('trust/no-verified-device')
    const conversationId = c.bytesToHex(c.randomBytes(16))
    const { commit, entry } = buildCommitEntry({
      conversationId,
      kind,
      meta: null,
      next: { change: 'create', memberUserIds: members, deviceIds, historyShared: true },
      identity: this.id,
      devices: this.devices,
      compliance: this.#compliance,
      now: this.#now(),
    })
    const boxes = c.decodeCommitEntry(entry)
    if (!boxes.ok) throw fail(boxes.code)
    await this.request({ type: 'createConversation', ref: `cc/${conversationId}`, conversationId, manifest: commit, deviceIds, boxes: boxes.value.boxes })
    // The relay tells the other members; process our own copy now so the caller can open it.
    await this.receiveFrame({ type: 'conversation', conversationId, manifest: commit, boxes: boxes.value.boxes, headSeq: 0 })
    return conversationId
  }

  /** Stores a root-signed authorization for a new person or device (admin devices only). */
  async putAuthorization(authorization: Uint8Array): Promise<void> {
    await this.request({ type: 'putAuthorization', ref: `pa/${c.bytesToHex(c.randomBytes(8))}`, authorization })
  }

  /**
   * Puts the conversation on legal hold, or releases it (admin and compliance devices only; else
   * `relay/forbidden`): while held the relay prunes nothing of it (decision 0019). Audited.
   */
  async setLegalHold(conversationId: string, held: boolean): Promise<void> {
    const type = held ? 'setLegalHold' : 'releaseLegalHold'
    await this.request({ type, ref: `lh/${c.bytesToHex(c.randomBytes(8))}`, conversationId })
  }

  markRead(conversationId: string): Promise<void> {
    return this.#enqueue(async () => {
      const conv = this.conversations.get(conversationId)
      if (!conv || conv.meta.readSeq >= conv.meta.lastSeq) return
      conv.meta.readSeq = conv.meta.lastSeq
      await this.#o.store.write([{ key: `conv/${conversationId}`, value: conv.meta }])
      this.#scheduleReceipt()
      this.#o.emit('conversations', null)
    })
  }

  // ---- views for the UI --------------------------------------------------------------------

  people(): Person[] {
    return people(this.#view)
  }

  listConversations(): ConversationSummary[] {
    return summarise(this.#view, this.conversations.values())
  }

  listMessages(conversationId: string): MessageView[] {
    const conv = this.conversations.get(conversationId)
    return conv ? messagesOf(this.#view, conv, this.#receipts.get(conversationId) ?? new Map()) : []
  }

  /** Local search over the messages this device holds (client-views.ts `searchMessages`). */
  searchMessages(query: string, limit = 50): SearchHit[] {
    return searchMessages(this.#view, this.conversations.values(), query, limit)
  }

  /** One window of `listMessages` (views are built for that window only). */
  listMessagesPage(conversationId: string, start: number | undefined, limit: number): MessagePage {
    const conv = this.conversations.get(conversationId)
    if (!conv) return { messages: [], start: 0, total: 0 }
    const ordered = conv.ordered()
    const total = ordered.length
    const n = Math.max(1, Math.min(500, Math.floor(Number(limit)) || 1))
    const from = start === undefined || start === null ? Math.max(0, total - n) : Math.max(0, Math.min(total, Math.floor(Number(start)) || 0))
    const slice = ordered.slice(from, from + n)
    return { messages: messagesOf(this.#view, conv, this.#receipts.get(conversationId) ?? new Map(), slice), start: from, total }
  }

  // ---- encrypted key backup (workers/core/key-backup.ts, decision 0007) ----------------------

  #keyBackupSync(): KeyBackupSync {
    return new KeyBackupSync({
      store: this.#o.store,
      userId: this.id.userId,
      now: () => this.#now(),
      send: (frame) => this.connection.send(frame),
      whenOnline: () => this.#whenOnline(),
      request: (frame) => this.request(frame),
      collect: () => this.#serial(() => this.#backupEntries()),
      merge: (entries) => this.#serial(() => this.#mergeBackup(entries)),
      ...(this.#o.keyBackupDelayMs !== undefined ? { delayMs: this.#o.keyBackupDelayMs } : {}),
    })
  }

  /** Makes the user's recovery key (returned once, for display) and uploads the first backup. */
  createRecoveryKey(): Promise<{ recoveryKey: string; backedUp: boolean }> {
    return this.#backup.create()
  }

  /** Opens the user's backup with a typed recovery key; a wrong key changes nothing. */
  restoreFromRecoveryKey(text: string): Promise<RestoreReport> {
    return this.#backup.restore(text)
  }

  keyBackupStatus(): ReturnType<KeyBackupSync['status']> {
    return this.#backup.status()
  }

  /** Uploads the backup now, if this device keeps one (otherwise it follows new keys, debounced). */
  backupNow(): Promise<void> {
    return this.#backup.backupNow()
  }

  /** Every epoch key this device holds, with those restored for conversations not here yet. */
  async #backupEntries(): Promise<c.BackupEntry[]> {
    const out: c.BackupEntry[] = []
    for (const { meta } of this.conversations.values()) {
      for (const [e, key] of Object.entries(meta.epochKeys)) out.push({ conversationId: meta.conversationId, epoch: Number(e), key })
    }
    for (const [k, keys] of await this.#o.store.list<Record<string, Uint8Array>>(RESTORED_PREFIX)) {
      for (const [e, key] of Object.entries(keys)) out.push({ conversationId: k.slice(RESTORED_PREFIX.length), epoch: Number(e), key })
    }
    return out
  }

  /**
   * Adds keys from an opened backup to the conversations on this device and opens the envelopes
   * kept sealed for them; keys of conversations not here yet wait until a member adds this device.
   * Reports what is still closed and why (never a bare "unable to decrypt").
   */
  async #mergeBackup(entries: c.BackupEntry[]): Promise<RestoreReport> {
    const byConversation = new Map<string, Record<string, Uint8Array>>()
    for (const e of entries) byConversation.set(e.conversationId, { ...byConversation.get(e.conversationId), [String(e.epoch)]: e.key })
    const report: RestoreReport = { conversations: 0, epochs: 0, messages: 0, waiting: 0, unavailable: [] }
    for (const [id, keys] of byConversation) {
      const conv = this.conversations.get(id)
      if (!conv) {
        const kept = await restoredKeysFor(this.#o.store, id)
        await this.#o.store.write([{ key: RESTORED_PREFIX + id, value: { ...keys, ...kept } }])
        report.waiting++
        continue
      }
      const fresh = new Set(Object.keys(keys).filter((e) => !conv.meta.epochKeys[e]).map(Number))
      if (fresh.size === 0) continue
      for (const e of fresh) conv.meta.epochKeys[String(e)] = keys[String(e)]!
      const sealed = conv.meta.unavailable
      await this.#o.store.write([{ key: `conv/${id}`, value: conv.meta }])
      await this.#openKept(conv, fresh)
      report.conversations++
      report.epochs += fresh.size
      report.messages += sealed - conv.meta.unavailable
    }
    const titles = new Map(this.listConversations().map((s) => [s.conversationId, s.title]))
    for (const { meta: m } of this.conversations.values()) {
      const epochs = Object.keys(m.epochs).filter((e) => !m.epochKeys[e]).map(Number)
      if (epochs.length === 0 && m.unavailable === 0) continue
      report.unavailable.push({ conversationId: m.conversationId, title: titles.get(m.conversationId) ?? '', epochs, messages: m.unavailable, reason: 'not-in-backup' })
    }
    this.#o.emit('conversations', null)
    return report
  }
}
