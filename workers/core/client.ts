/**
 * The Wardline client engine: one enrolled device's sync with the relay. It verifies the
 * directory, opens conversation keys, seals outgoing messages from a durable outbox, and verifies
 * then decrypts then decodes every incoming envelope (DESIGN §3–4). It runs in the browser worker
 * and, unchanged, in the simulator. Exception to the ~250-line norm: it is the one place where the
 * protocol's steps meet, kept together so their order is visible.
 */
import * as c from '../../crypto/mod.ts'
import type { Frame, FrameOf } from '../../relay/wire/frames.ts'
import type { ConnectionState, ConversationSummary, EventName, Events, MessageView, Person } from '../protocol.ts'
import { RelayConnection, type Timers } from './connection.ts'
import { type ConversationMeta, ConversationState, type MessageRecord, recordId } from './conversation-state.ts'
import { verifyDirectory } from './directory.ts'
import type { Identity } from './identity.ts'
import { type ClientStore, padSeq, type Write } from './store.ts'

export type OutboxItem = {
  key: string
  conversationId: string
  recordId: string
  clientId: string
  order: number
  update: Uint8Array
  envelope: Uint8Array | null
}

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
  timers?: Timers
  createSocket?: (url: string) => WebSocket
  now?: () => number
}

const COMPACT_AFTER_UPDATES = 200
/** Largest message text (UTF-8 bytes); envelopes carry at most MAX_ENVELOPE_PAYLOAD with Yjs overhead. */
export const MAX_MESSAGE_BYTES = 64 * 1024
const RECEIPT_DELAY_MS = 250

export class WardlineClient {
  readonly id: Identity
  readonly devices = new Map<string, c.VerifiedDevice>()
  readonly conversations = new Map<string, ConversationState>()
  readonly connection: RelayConnection
  #o: ClientOptions
  #queue: Promise<void> = Promise.resolve()
  #pending = new Map<string, { resolve: (seq: number) => void; reject: (e: Error) => void }>()
  #inflight = new Set<string>()
  #receipts = new Map<string, Map<string, { delivered: number; read: number }>>()
  #receiptTimer: ReturnType<typeof setTimeout> | null = null
  #updateCount = new Map<string, number>()
  #awaitingDirectory: FrameOf<'conversation'>[] = []
  #notSent = new Set<string>()
  #queued = 0
  #outboxOrder = 0
  #directoryReady: Promise<void>
  #resolveDirectory: () => void = () => {}

  constructor(options: ClientOptions) {
    this.#o = options
    this.id = options.identity
    this.#directoryReady = new Promise((r) => (this.#resolveDirectory = r))
    this.connection = new RelayConnection({
      url: options.wsUrl,
      deviceId: this.id.deviceId,
      signingSecretKey: this.id.signingSecretKey,
      onFrame: (f) => void this.receiveFrame(f),
      onState: (s) => this.#onState(s),
      ...(options.timers ? { timers: options.timers } : {}),
      ...(options.createSocket ? { createSocket: options.createSocket } : {}),
    })
  }

  get connectionState(): ConnectionState {
    return this.connection.state
  }

  /** Loads everything stored, then connects. */
  async start(): Promise<{ corrupt: number }> {
    const s = this.#o.store
    for (const [, d] of await s.list<c.VerifiedDevice>('dir/')) this.devices.set(d.deviceId, d)
    if (this.devices.size > 0) this.#resolveDirectory()
    let corrupt = 0
    for (const [k] of await s.list('ns/')) this.#notSent.add(k.split('/')[2]!)
    const outbox = await s.list<OutboxItem>('ob/')
    this.#queued = outbox.length
    this.#outboxOrder = outbox.reduce((m, [, i]) => Math.max(m, i.order + 1), 0)
    for (const [, meta] of await s.list<ConversationMeta>('conv/')) {
      const state = new ConversationState(meta)
      const updates = (await s.list<Uint8Array>(`yu/${meta.conversationId}/`)).map(([, u]) => u)
      const seqs = new Map((await s.list<number>(`rs/${meta.conversationId}/`)).map(([k, v]) => [k.split('/')[2]!, v]))
      const queued = new Map(outbox.filter(([, i]) => i.conversationId === meta.conversationId).map(([, i]) => [i.recordId, i.order]))
      try {
        corrupt += state.load(updates, this.devices, seqs, queued)
      } catch {
        corrupt++
      }
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
    return { corrupt }
  }

  stop(): void {
    this.connection.stop()
    if (this.#receiptTimer) clearTimeout(this.#receiptTimer)
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
    if (state !== 'online') this.#inflight.clear()
    this.#o.onStatusChange?.()
  }

  // ---- incoming frames -------------------------------------------------------------------

  #onFrame(frame: Frame): Promise<void> | void {
    switch (frame.type) {
      case 'ready':
        this.connection.send({ type: 'getDirectory' })
        for (const conv of this.conversations.values()) this.#subscribe(conv.meta)
        return this.#flushOutbox()
      case 'directory': return this.#onDirectory(frame)
      case 'directoryChanged':
        this.connection.send({ type: 'getDirectory' })
        return
      case 'conversation': return this.#onConversation(frame)
      case 'envelope': return this.#onEnvelope(frame)
      case 'caughtUp': return this.#scheduleReceipt()
      case 'ack': return this.#onAck(frame)
      case 'receiptUpdate': return this.#onReceipt(frame)
      case 'error': {
        const p = this.#pending.get(frame.ref)
        if (p) {
          this.#pending.delete(frame.ref)
          p.reject(Object.assign(new Error(frame.code), { code: frame.code }))
        } else {
          this.#o.emit('alert', { code: frame.code, message: `The relay refused a request (${frame.code})` })
        }
        return
      }
      default:
        return
    }
  }

  async #onDirectory(frame: FrameOf<'directory'>): Promise<void> {
    const { devices, refused } = verifyDirectory(this.id.rootPublicKey, frame.rootPublicKey, frame.entries)
    const writes: Write[] = []
    const fresh = new Set(devices.map((d) => d.deviceId))
    for (const d of devices) {
      if (!this.devices.has(d.deviceId)) writes.push({ key: `dir/${d.deviceId}`, value: d })
      this.devices.set(d.deviceId, d)
    }
    for (const id of [...this.devices.keys()]) {
      if (!fresh.has(id)) {
        this.devices.delete(id)
        writes.push({ key: `dir/${id}`, delete: true })
      }
    }
    if (writes.length) await this.#o.store.write(writes)
    if (refused > 0) {
      this.#o.emit('alert', {
        code: 'trust/refused-device',
        message: `${refused} device(s) offered by the relay have no valid signature chain to your organisation and were refused`,
      })
    }
    this.#resolveDirectory()
    this.#o.emit('people', null)
    const waiting = this.#awaitingDirectory.splice(0)
    for (const f of waiting) await this.#onConversation(f, true)
  }

  async #onConversation(frame: FrameOf<'conversation'>, waited = false): Promise<void> {
    if (this.conversations.has(frame.conversationId)) return
    const parsed = c.parseManifest(frame.manifest)
    if (!parsed.ok) return this.#refuse('trust/malformed-manifest')
    const creator = this.devices.get(parsed.value.creatorDeviceId)
    if (!creator) {
      // The creator may have enrolled after our last directory fetch: wait for the next one.
      if (waited) return this.#refuse('trust/unknown-creator')
      this.#awaitingDirectory.push(frame)
      this.connection.send({ type: 'getDirectory' })
      return
    }
    const manifest = c.verifyManifest(frame.manifest, creator.signingPublicKey)
    if (!manifest.ok || manifest.value.conversationId !== frame.conversationId) return this.#refuse('trust/bad-manifest')
    const m = manifest.value
    if (!m.deviceIds.includes(this.id.deviceId) || !m.memberUserIds.includes(creator.userId)) {
      return this.#refuse('trust/bad-manifest')
    }
    let key: Uint8Array | null = null
    for (const box of frame.boxes) {
      const h = c.parseKeyBoxHeader(box)
      if (!h.ok || h.value.recipientDeviceId !== this.id.deviceId || h.value.epoch !== 0) continue
      const opened = c.verifyAndOpenKeyBox(box, {
        conversationId: m.conversationId,
        epoch: 0,
        senderDeviceId: creator.deviceId,
        senderSigningKey: creator.signingPublicKey,
        recipientDeviceId: this.id.deviceId,
        recipientAgreementKey: this.id.agreementPublicKey,
      }, this.id.agreementSecretKey)
      if (opened.ok) key = opened.value
    }
    if (!key) return this.#refuse('crypto/no-key-box')
    const meta: ConversationMeta = {
      conversationId: m.conversationId,
      kind: m.kind,
      creatorDeviceId: m.creatorDeviceId,
      memberUserIds: m.memberUserIds,
      deviceIds: m.deviceIds,
      createdAt: m.createdAt,
      epoch: 0,
      epochKeys: { '0': key },
      lastSeq: 0,
      readSeq: 0,
      receiptSent: { delivered: 0, read: 0 },
      counters: {},
      nextEnvelopeCounter: 0,
      nextRecordCounter: 0,
      nextUpdateKey: 0,
    }
    await this.#o.store.write([{ key: `conv/${m.conversationId}`, value: meta }])
    this.conversations.set(m.conversationId, new ConversationState(meta))
    this.#receipts.set(m.conversationId, new Map())
    this.#subscribe(meta)
    this.#o.emit('conversations', null)
  }

  #refuse(code: string): void {
    this.#o.emit('alert', { code, message: `A conversation or message was refused (${code})` })
  }

  #subscribe(meta: ConversationMeta): void {
    this.connection.send({ type: 'subscribe', conversationId: meta.conversationId, since: meta.lastSeq })
  }

  async #onEnvelope(frame: FrameOf<'envelope'>): Promise<void> {
    const conv = this.conversations.get(frame.conversationId)
    if (!conv) return
    const meta = conv.meta
    if (frame.seq <= meta.lastSeq) return // already applied (duplicate delivery)
    if (frame.seq !== meta.lastSeq + 1) return this.#subscribe(meta) // gap: ask again from where we are
    const opened = this.#verifyAndOpen(conv, frame.envelope)
    const writes: Write[] = []
    meta.lastSeq = frame.seq
    let added: string[] = []
    let confirmedOwn: string[] = []
    if (opened.ok) {
      meta.counters[opened.value.sender] = opened.value.counter
      try {
        const result = conv.applyUpdate(opened.value.update, this.devices, frame.seq)
        added = result.added
        confirmedOwn = result.confirmed
        if (result.rejected > 0) this.#refuse('sync/bad-record')
      } catch {
        this.#refuse('sync/bad-update')
      }
      writes.push({ key: `yu/${meta.conversationId}/${padSeq(meta.nextUpdateKey++)}`, value: opened.value.update })
      for (const id of added) writes.push({ key: `rs/${meta.conversationId}/${id}`, value: frame.seq })
      for (const id of confirmedOwn) writes.push({ key: `rs/${meta.conversationId}/${id}`, value: frame.seq })
    } else if (opened.code !== 'sync/own-envelope') {
      this.#refuse(opened.code)
    }
    writes.push({ key: `conv/${meta.conversationId}`, value: meta })
    await this.#o.store.write(writes)
    await this.#maybeCompact(conv, opened.ok ? 1 : 0)
    for (const id of added) {
      const entry = conv.index.get(id)!
      if (entry.record.device !== this.id.deviceId) this.#o.onRecord?.(meta.conversationId, entry.record, frame.seq)
    }
    this.#scheduleReceipt()
    this.#o.emit('messages', { conversationId: meta.conversationId })
  }

  #verifyAndOpen(conv: ConversationState, blob: Uint8Array): c.Result<{ sender: string; counter: number; update: Uint8Array }> {
    const h = c.parseEnvelopeHeader(blob)
    if (!h.ok) return h
    const { senderDeviceId, counter, epoch, conversationId } = h.value
    if (conversationId !== conv.meta.conversationId) return c.err('sync/wrong-conversation')
    const sender = this.devices.get(senderDeviceId)
    if (!sender || !conv.meta.deviceIds.includes(senderDeviceId)) return c.err('sync/unknown-sender')
    const key = conv.meta.epochKeys[String(epoch)]
    if (!key) return c.err('sync/unknown-epoch')
    const seen = conv.meta.counters[senderDeviceId] ?? -1
    if (counter <= seen) return c.err(senderDeviceId === this.id.deviceId ? 'sync/own-envelope' : 'sync/replay')
    const opened = c.verifyAndOpenEnvelope(blob, sender.signingPublicKey, key)
    if (!opened.ok) return opened
    const parts = c.decodeTuple(opened.value.payload, 2)
    if (!parts.ok || c.fromUtf8(parts.value[0]!) !== 'yjs') return c.err('sync/bad-payload')
    return c.ok({ sender: senderDeviceId, counter, update: parts.value[1]! })
  }

  async #maybeCompact(conv: ConversationState, added: number): Promise<void> {
    const id = conv.meta.conversationId
    const count = (this.#updateCount.get(id) ?? 0) + added
    this.#updateCount.set(id, count)
    if (count < COMPACT_AFTER_UPDATES) return
    const old = await this.#o.store.list<Uint8Array>(`yu/${id}/`)
    const writes: Write[] = old.map(([k]) => ({ key: k, delete: true as const }))
    writes.push({ key: `yu/${id}/${padSeq(conv.meta.nextUpdateKey++)}`, value: conv.encodeState() })
    writes.push({ key: `conv/${id}`, value: conv.meta })
    await this.#o.store.write(writes)
    this.#updateCount.set(id, 1)
  }

  async #onAck(frame: FrameOf<'ack'>): Promise<void> {
    const p = this.#pending.get(frame.ref)
    if (p) {
      this.#pending.delete(frame.ref)
      return p.resolve(frame.seq)
    }
    if (!frame.ref.startsWith('ob/')) return
    this.#inflight.delete(frame.ref)
    const item = await this.#o.store.get<OutboxItem>(frame.ref)
    const conv = this.conversations.get(frame.conversationId)
    if (!item || !conv) return
    const writes: Write[] = [
      { key: frame.ref, delete: true },
      { key: `rs/${item.conversationId}/${item.recordId}`, value: frame.seq },
    ]
    if (frame.seq === conv.meta.lastSeq + 1) {
      // Nothing from others sits between: our own envelope is the next in the log.
      const h = c.parseEnvelopeHeader(item.envelope!)
      conv.meta.lastSeq = frame.seq
      if (h.ok) conv.meta.counters[this.id.deviceId] = h.value.counter
      writes.push({ key: `conv/${item.conversationId}`, value: conv.meta })
    }
    await this.#o.store.write(writes)
    this.#queued--
    conv.setSeq(item.recordId, frame.seq)
    this.#o.onSent?.(item.conversationId, item.recordId, frame.seq)
    this.#o.emit('messages', { conversationId: item.conversationId })
    this.#o.onStatusChange?.()
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
      if (m.receiptSent.delivered >= m.lastSeq && m.receiptSent.read >= m.readSeq) continue
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

  // ---- outgoing ----------------------------------------------------------------------------

  /** Writes a message: shown as queued only after its store transaction has committed. */
  sendMessage(conversationId: string, body: string, clientId: string): Promise<string> {
    return this.#serial(() => this.#writeMessage(conversationId, body, clientId))
  }

  async #writeMessage(conversationId: string, body: string, clientId: string): Promise<string> {
    const conv = this.conversations.get(conversationId)
    if (!conv) throw Object.assign(new Error('sync/unknown-conversation'), { code: 'sync/unknown-conversation' })
    const existing = await this.#o.store.get<string>(`cid/${clientId}`)
    if (existing) return existing // a repeated tap or retry: never a second message
    if (new TextEncoder().encode(body).length > MAX_MESSAGE_BYTES) {
      throw Object.assign(new Error(`Messages are limited to ${MAX_MESSAGE_BYTES / 1024} KiB`), { code: 'compose/too-long' })
    }
    const m = conv.meta
    const n = m.nextRecordCounter++
    const at = (this.#o.now ?? Date.now)()
    const content = { kind: 'text', body, createdAt: at, authorUserId: this.id.userId }
    const record: MessageRecord = {
      id: recordId(this.id.deviceId, n),
      author: this.id.userId,
      device: this.id.deviceId,
      n,
      kind: 'text',
      body,
      at,
      sig: c.signRecord(conversationId, this.id.deviceId, n, content, this.id.signingSecretKey),
    }
    const order = this.#outboxOrder++
    const update = conv.addOwnRecord(record, order)
    const item: OutboxItem = {
      key: `ob/${padSeq(order)}`,
      conversationId,
      recordId: record.id,
      clientId,
      order,
      update,
      envelope: null,
    }
    await this.#o.store.write([
      { key: item.key, value: item },
      { key: `cid/${clientId}`, value: record.id },
      { key: `yu/${conversationId}/${padSeq(m.nextUpdateKey++)}`, value: update },
      { key: `conv/${conversationId}`, value: m },
    ])
    this.#queued++
    this.#o.emit('messages', { conversationId })
    this.#o.onStatusChange?.()
    void this.#enqueue(() => this.#flushOutbox())
    return record.id
  }

  /** Seals each waiting item once (its counter is stored with it) and sends it; resends are byte-identical. */
  async #flushOutbox(): Promise<void> {
    if (this.connection.state !== 'online') return
    for (const [key, item] of await this.#o.store.list<OutboxItem>('ob/')) {
      if (this.#inflight.has(key)) continue
      const conv = this.conversations.get(item.conversationId)
      if (!conv) continue
      if (!item.envelope) {
        const m = conv.meta
        const payload = c.encodeTuple(['yjs', item.update])
        if (payload.length > c.MAX_ENVELOPE_PAYLOAD) {
          // Cannot ever be sent (e.g. written by an older build without the size check): mark it
          // "not sent" and move on, so one item never holds back the rest of the outbox.
          await this.#o.store.write([{ key, delete: true }, { key: `ns/${item.conversationId}/${item.recordId}`, value: true }])
          this.#notSent.add(item.recordId)
          this.#queued--
          this.#refuse('compose/too-long')
          this.#o.emit('messages', { conversationId: item.conversationId })
          continue
        }
        const header = { conversationId: m.conversationId, epoch: m.epoch, senderDeviceId: this.id.deviceId, counter: m.nextEnvelopeCounter++ }
        item.envelope = c.sealEnvelope(header, payload, m.epochKeys[String(m.epoch)]!, this.id.signingSecretKey)
        await this.#o.store.write([{ key, value: item }, { key: `conv/${m.conversationId}`, value: m }])
      }
      if (!this.connection.send({ type: 'send', ref: key, conversationId: item.conversationId, envelope: item.envelope })) return
      this.#inflight.add(key)
    }
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
    return new Promise((resolve, reject) => {
      this.#pending.set(frame.ref, { resolve, reject })
      if (!this.connection.send(frame)) {
        this.#pending.delete(frame.ref)
        reject(Object.assign(new Error('net/offline'), { code: 'net/offline' }))
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
        if (conv.meta.kind === 'direct' && conv.meta.memberUserIds.slice().sort().join() === members.join()) {
          return conv.meta.conversationId
        }
      }
    }
    const devices = [...this.devices.values()].filter((d) => members.includes(d.userId))
    if (!devices.some((d) => d.deviceId === this.id.deviceId)) throw Object.assign(new Error('trust/not-in-directory'), { code: 'trust/not-in-directory' })
    for (const u of members) {
      if (!devices.some((d) => d.userId === u)) throw Object.assign(new Error('trust/no-verified-device'), { code: 'trust/no-verified-device' })
    }
    const conversationId = c.bytesToHex(c.randomBytes(16))
    const key = c.randomBytes(32)
    const manifest = c.signManifest({
      conversationId,
      creatorDeviceId: this.id.deviceId,
      kind,
      memberUserIds: members,
      deviceIds: devices.map((d) => d.deviceId),
      createdAt: (this.#o.now ?? Date.now)(),
    }, this.id.signingSecretKey)
    const boxes = devices.map((d) => c.sealKeyBox(key, {
      conversationId,
      epoch: 0,
      senderDeviceId: this.id.deviceId,
      senderSigningKey: this.id.signingPublicKey,
      recipientDeviceId: d.deviceId,
      recipientAgreementKey: d.agreementPublicKey,
    }, this.id.signingSecretKey))
    const frame = { type: 'createConversation' as const, ref: `cc/${conversationId}`, conversationId, manifest, deviceIds: devices.map((d) => d.deviceId), boxes }
    await this.request(frame)
    // The relay sends our own device the conversation frame too (we are a member device);
    // process it locally now so the caller can open it at once.
    const mine = boxes[devices.findIndex((d) => d.deviceId === this.id.deviceId)]!
    await this.receiveFrame({ type: 'conversation', conversationId, manifest, boxes: [mine], headSeq: 0 })
    return conversationId
  }

  /** Stores a root-signed authorization for a new person (admin devices only). */
  async putAuthorization(authorization: Uint8Array): Promise<void> {
    await this.request({ type: 'putAuthorization', ref: `pa/${c.bytesToHex(c.randomBytes(8))}`, authorization })
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
    const byUser = new Map<string, Person>()
    for (const d of this.devices.values()) {
      const p = byUser.get(d.userId)
      if (p) p.deviceCount++
      else byUser.set(d.userId, { userId: d.userId, displayName: d.displayName, role: d.role, deviceCount: 1, isMe: d.userId === this.id.userId })
    }
    return [...byUser.values()].sort((a, b) => a.displayName.localeCompare(b.displayName))
  }

  #name(userId: string): string {
    for (const d of this.devices.values()) if (d.userId === userId) return d.displayName
    return userId === this.id.userId ? this.id.displayName : 'Unknown'
  }

  listConversations(): ConversationSummary[] {
    return [...this.conversations.values()].map((conv) => {
      const m = conv.meta
      const ordered = conv.ordered()
      const last = ordered[ordered.length - 1]
      const others = m.memberUserIds.filter((u) => u !== this.id.userId)
      return {
        conversationId: m.conversationId,
        kind: m.kind,
        title: others.map((u) => this.#name(u)).join(', ') || 'Notes to self',
        memberUserIds: m.memberUserIds,
        lastMessage: last ? { body: last.record.body, authorName: this.#name(last.record.author), at: last.record.at } : null,
        unread: ordered.filter((e) => e.seq !== null && e.seq > m.readSeq && e.record.device !== this.id.deviceId).length,
      }
    }).sort((a, b) => (b.lastMessage?.at ?? 0) - (a.lastMessage?.at ?? 0))
  }

  listMessages(conversationId: string): MessageView[] {
    const conv = this.conversations.get(conversationId)
    if (!conv) return []
    const receipts = this.#receipts.get(conversationId) ?? new Map()
    const others = conv.meta.deviceIds.filter((d) => d !== this.id.deviceId)
    const otherUsers = conv.meta.memberUserIds.filter((u) => u !== this.id.userId)
    const deviceUser = (d: string) => this.devices.get(d)?.userId
    return conv.ordered().map(({ record, seq }) => {
      const mine = record.author === this.id.userId
      let status: MessageView['status'] = null
      if (mine) {
        if (seq === null) status = this.#notSent.has(record.id) ? 'not-sent' : 'queued'
        else {
          const delivered = others.length > 0 && others.every((d) => (receipts.get(d)?.delivered ?? 0) >= seq)
          const read = otherUsers.length > 0 && otherUsers.every((u) =>
            others.some((d) => deviceUser(d) === u && (receipts.get(d)?.read ?? 0) >= seq))
          status = read ? 'read' : delivered ? 'delivered' : 'sent'
        }
      }
      return { id: record.id, authorUserId: record.author, authorName: this.#name(record.author), mine, body: record.body, createdAt: record.at, seq, status }
    })
  }
}
