/**
 * The simulator's malicious relay: a man in the middle between each simulated device and the real
 * relay. Every client gets, through the engine's `createSocket` option, a socket wrapper that
 * passes frames through untouched except that, for a seeded subset of devices and while fewer than
 * half of the turns have been sent, it replays, drops, reorders, forks or forges what the relay
 * sends. It records each fault it injected (an id, the log position, the devices it targeted) and
 * matches the defences the clients report (`onDefence`) to them: a fault counts as caught when
 * every device it targeted reported the expected kind after the injection.
 *
 * Faults only alter "fresh" frames (a log position this device is shown for the first time) of a
 * conversation that is settled (no fault of this device awaiting its defence, no subscription
 * awaiting its caughtUp), so repairs the engine asks for always come from the behaving relay.
 * Nothing is taken away for good: a swallowed or held frame either reaches the engine later, is
 * re-sent by the relay on the engine's resubscribe, or, when no later entry shows the gap within
 * HOLD_LIMIT_MS, is delivered after all and the fault is withdrawn.
 */
import * as c from '../../crypto/mod.ts'
import { decodeFrame, encodeFrame, type Frame, type FrameOf } from '../../relay/wire/frames.ts'
import type { DefenceEvent } from '../../workers/core/client.ts'
import { seededRandom } from '../seeded-random.ts'

export const FAULT_KINDS = ['replay', 'drop', 'reorder', 'fork', 'inject'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

/** How long a held or swallowed frame waits for the next entry before it is delivered as it was. */
export const HOLD_LIMIT_MS = 4_000
/** Slots between two planned faults of one conversation (each fault needs a settled device). */
const SLOT = 3

export type Fault = {
  id: string
  kind: FaultKind
  /** inject: 'envelope' (forged entry at the next seq) or 'directory' (rogue device chain). */
  variant: 'envelope' | 'directory' | null
  /** The conversation the defence is expected in ('' for directory forgeries). */
  conversationId: string
  seq: number
  targets: Set<string>
  caught: Set<string>
  injectedAt: number
}

export type AdversaryReport = {
  replaysInjected: number
  replaysRejected: number
  dropsInjected: number
  dropsDetected: number
  forksInjected: number
  forksDetected: number
  injectionsInjected: number
  injectionsBlocked: number
  reordersInjected: number
}

export const emptyAdversaryReport = (): AdversaryReport => ({
  replaysInjected: 0, replaysRejected: 0, dropsInjected: 0, dropsDetected: 0, forksInjected: 0,
  forksDetected: 0, injectionsInjected: 0, injectionsBlocked: 0, reordersInjected: 0,
})

/** The defence each fault must provoke. */
const EXPECTED: Record<FaultKind, DefenceEvent['kind']> = {
  replay: 'replay', drop: 'gap', reorder: 'gap', fork: 'fork', inject: 'forgery',
}

export function parseKinds(text: string): FaultKind[] {
  const kinds = text.split(',').map((s) => s.trim()).filter(Boolean)
  for (const k of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(k)) {
      throw new Error(`--adversary expects a comma-separated subset of ${FAULT_KINDS.join(',')}, got "${k}"`)
    }
  }
  return [...new Set(kinds)] as FaultKind[]
}

type Entry = { seq: number; bytes: Uint8Array; sender: string; epoch: number; commit: boolean }
type Held = { frame: FrameOf<'envelope'>; kind: 'drop' | 'reorder' | 'fork'; timer: ReturnType<typeof setTimeout>; fault: Fault | null }
type Awaiting = { fault: Fault; conversationId: string; expect: DefenceEvent['kind'] }

/** One device's view of one conversation, as the wrapper saw it pass. */
type Lane = {
  conversationId: string
  /** Highest seq shown to this device (envelope passed, swallowed or held) or acked to it. */
  highest: number
  /** Data entries shown to this device, for replays. */
  shown: Entry[]
  subscriptions: number
  held: Held | null
  /** Planned faults for this device in this conversation: kind and earliest seq. */
  plan: { kind: FaultKind; from: number }[]
  /** Who sends each entry (index seq - 1), from the scenario's turns; '' when unknown. */
  senders: string[]
}

type DeviceState = {
  deviceId: string
  lanes: Map<string, Lane>
  awaiting: Awaiting[]
  ownSends: Map<string, Uint8Array>
  forgeNextDirectory: boolean
  directoryForged: boolean
  socket: AdversarySocket | null
}

export class Adversary {
  readonly kinds: Set<FaultKind>
  readonly faults: Fault[] = []
  /** Defences reported that no injected fault accounts for (kind → count), for the log. */
  readonly unmatched = new Map<string, number>()
  /** Drops withdrawn because the device's own next entry (an ack) revealed them first, or it read again of its own accord. */
  silentRepairs = 0
  #random: () => number
  #devices = new Map<string, DeviceState>()
  #active: () => boolean
  #rogue = c.generateSigningKeyPair()
  #faultsByKey = new Map<string, Fault>()
  #planned = 0

  constructor(o: { kinds: FaultKind[]; seed: number; active: () => boolean }) {
    this.kinds = new Set(o.kinds)
    this.#random = seededRandom(o.seed ^ 0x5eed_ad5e)
    this.#active = o.active
  }

  #device(deviceId: string): DeviceState {
    let d = this.#devices.get(deviceId)
    if (!d) {
      d = { deviceId, lanes: new Map(), awaiting: [], ownSends: new Map(), forgeNextDirectory: false, directoryForged: false, socket: null }
      this.#devices.set(deviceId, d)
    }
    return d
  }

  #lane(d: DeviceState, conversationId: string): Lane {
    let l = d.lanes.get(conversationId)
    if (!l) {
      l = { conversationId, highest: 0, shown: [], subscriptions: 0, held: null, plan: [], senders: [] }
      d.lanes.set(conversationId, l)
    }
    return l
  }

  /**
   * Plans the faults for one conversation: for each kind, a seeded non-empty subset of its devices
   * and the earliest log position (kinds take turns in seeded order, SLOT positions apart).
   * `senders` names the device of each entry to come (index seq - 1), as the scenario's turns say:
   * a drop or reorder is planted only where the next entry reaches the device from the relay (its
   * own next entry would reach it as an ack, which the engine follows up without calling it a gap).
   */
  planConversation(conversationId: string, deviceIds: string[], senders: string[]): void {
    const kinds = [...this.kinds]
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1))
      ;[kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!]
    }
    // Each conversation starts at the next kind in turn, so in a short run every kind still gets
    // the earliest slot somewhere (the seeded shuffle alone could leave one always last).
    const turn = this.#planned++ % kinds.length
    const order = [...kinds.slice(turn), ...kinds.slice(0, turn)]
    order.forEach((kind, slot) => {
      let targets = deviceIds.filter(() => this.#random() < 0.5)
      if (targets.length === 0) targets = [deviceIds[Math.floor(this.#random() * deviceIds.length)]!]
      for (const id of targets) this.#lane(this.#device(id), conversationId).plan.push({ kind, from: 2 + SLOT * slot })
    })
    for (const id of deviceIds) this.#lane(this.#device(id), conversationId).senders = senders
  }

  /** The engine's `createSocket` for one device. */
  socketFor(deviceId: string): (url: string) => WebSocket {
    return (url) => {
      const d = this.#device(deviceId)
      const s = new AdversarySocket(url, this, d)
      d.socket = s
      return s as unknown as WebSocket
    }
  }

  /** The engine's `onDefence` for one device. */
  defence(deviceId: string, event: DefenceEvent): void {
    const d = this.#device(deviceId)
    TRACE?.(`${deviceId.slice(0, 8)} caught ${event.kind} ${event.conversationId.slice(0, 8)}`)
    const i = d.awaiting.findIndex((a) => a.expect === event.kind && a.conversationId === event.conversationId)
    if (i < 0) {
      const k = `${event.kind}${event.conversationId ? '' : ' (directory)'}`
      this.unmatched.set(k, (this.unmatched.get(k) ?? 0) + 1)
      return
    }
    const [a] = d.awaiting.splice(i, 1)
    a!.fault.caught.add(deviceId)
  }

  /** True while a frame is held back somewhere (the scenario waits for these before measuring). */
  busy(): boolean {
    for (const d of this.#devices.values()) for (const l of d.lanes.values()) if (l.held) return true
    return false
  }

  report(): AdversaryReport {
    const r = emptyAdversaryReport()
    for (const f of this.faults) {
      if (f.targets.size === 0) continue
      const caught = [...f.targets].every((t) => f.caught.has(t)) ? 1 : 0
      switch (f.kind) {
        case 'replay': r.replaysInjected++; r.replaysRejected += caught; break
        case 'drop': r.dropsInjected++; r.dropsDetected += caught; break
        case 'fork': r.forksInjected++; r.forksDetected += caught; break
        case 'inject': r.injectionsInjected++; r.injectionsBlocked += caught; break
        case 'reorder': r.reordersInjected++; break
      }
    }
    return r
  }

  /** Faults not caught by every target (reorders included: theirs is a gap). */
  uncaught(): Fault[] {
    return this.faults.filter((f) => f.targets.size > 0 && ![...f.targets].every((t) => f.caught.has(t)))
  }

  // ---- recording ----------------------------------------------------------------------------

  #record(d: DeviceState, kind: FaultKind, variant: Fault['variant'], conversationId: string, seq: number): Fault {
    const key = `${kind}/${variant ?? ''}@${conversationId}#${seq}`
    let f = this.#faultsByKey.get(key)
    if (!f) {
      f = { id: key, kind, variant, conversationId, seq, targets: new Set(), caught: new Set(), injectedAt: performance.now() }
      this.#faultsByKey.set(key, f)
      this.faults.push(f)
    }
    f.targets.add(d.deviceId)
    TRACE?.(`${d.deviceId.slice(0, 8)} INJECT ${key}`)
    d.awaiting.push({ fault: f, conversationId, expect: EXPECTED[kind] })
    return f
  }

  #withdraw(d: DeviceState, f: Fault): void {
    f.targets.delete(d.deviceId)
    d.awaiting = d.awaiting.filter((a) => a.fault !== f)
  }

  // ---- the stream -----------------------------------------------------------------------------

  /** Device → relay: watched (subscriptions, own envelopes), never altered. */
  outgoing(d: DeviceState, bytes: Uint8Array): void {
    const r = decodeFrame(bytes)
    if (!r.ok) return
    const f = r.frame
    if (TRACE && f.type === 'subscribe') TRACE(`${d.deviceId.slice(0, 8)} → subscribe ${f.conversationId.slice(0, 8)} ${f.since}`)
    if (TRACE && f.type === 'send') TRACE(`${d.deviceId.slice(0, 8)} → send ${f.conversationId.slice(0, 8)}`)
    if (f.type === 'subscribe') {
      const l = this.#lane(d, f.conversationId)
      l.subscriptions++
      if (l.held) {
        // The device reads again of its own accord (another defence, a retry) while a frame is
        // held: it never saw the hole, and its catch-up brings the held entry from the relay.
        const held = l.held
        this.#release(l)
        if (held.fault) this.#withdraw(d, held.fault)
        this.silentRepairs++
      }
    }
    else if (f.type === 'send') d.ownSends.set(f.ref, f.envelope)
  }

  /** Relay → device: returns the frames to deliver now, in order. */
  incoming(d: DeviceState, frame: Frame, deliver: (f: Frame) => void): void {
    if (TRACE && 'conversationId' in frame) {
      const f = frame as { type: string; conversationId: string; seq?: number }
      TRACE(`${d.deviceId.slice(0, 8)} ← ${f.type} ${f.conversationId.slice(0, 8)} ${f.seq ?? ''}`)
    }
    switch (frame.type) {
      case 'caughtUp': {
        const l = this.#lane(d, frame.conversationId)
        l.subscriptions = Math.max(0, l.subscriptions - 1)
        return deliver(frame)
      }
      case 'ack': return this.#onAck(d, frame, deliver)
      case 'directory': return this.#onDirectory(d, frame, deliver)
      case 'envelope': return this.#onEnvelope(d, frame, deliver)
      default: return deliver(frame)
    }
  }

  #onAck(d: DeviceState, frame: FrameOf<'ack'>, deliver: (f: Frame) => void): void {
    const own = d.ownSends.get(frame.ref)
    d.ownSends.delete(frame.ref)
    if (!frame.conversationId) return deliver(frame)
    const l = this.#lane(d, frame.conversationId)
    const fresh = frame.seq > l.highest
    if (fresh) l.highest = frame.seq
    const held = l.held
    if (held && fresh && held.kind === 'fork' && own && frame.seq === held.frame.seq + 1) {
      // The next entry is this device's own: show it its own envelope first, then the held one.
      this.#release(l)
      deliver(frame)
      deliver({ ...held.frame, envelope: own })
      deliver({ ...held.frame, seq: frame.seq })
      this.#record(d, 'fork', null, l.conversationId, held.frame.seq)
      return
    }
    if (held && held.kind === 'drop' && fresh) {
      // The device's own next entry came first: the engine follows an ack ahead of its log up by
      // reading again (no gap reported), which repairs the drop. Not a drop it could see: withdraw.
      this.#release(l)
      if (held.fault) this.#withdraw(d, held.fault)
      this.silentRepairs++
      deliver(held.frame)
    } else if (held && held.kind !== 'drop') {
      // A reorder or fork needs the next entry from the relay (it comes round again later).
      this.#release(l)
      deliver(held.frame)
    }
    deliver(frame)
  }

  #onDirectory(d: DeviceState, frame: FrameOf<'directory'>, deliver: (f: Frame) => void): void {
    if (!d.forgeNextDirectory) return deliver(frame)
    d.forgeNextDirectory = false
    d.directoryForged = true
    deliver({ ...frame, entries: [...frame.entries, this.#rogueEntry()] })
    this.#record(d, 'inject', 'directory', '', 0)
  }

  #onEnvelope(d: DeviceState, frame: FrameOf<'envelope'>, deliver: (f: Frame) => void): void {
    const l = this.#lane(d, frame.conversationId)
    if (frame.seq <= l.highest) return deliver(frame) // a resend: repairs pass untouched
    const entry = describe(frame)
    const wasHighest = l.highest
    l.highest = frame.seq
    const held = l.held
    if (held) {
      this.#release(l)
      if (held.kind === 'drop') {
        // The dropped entry stays dropped: this frame shows the engine the gap.
        this.#keep(l, entry)
        return deliver(frame)
      }
      const heldEntry = describe(held.frame)
      if (held.kind === 'reorder') {
        deliver(frame)
        deliver(held.frame)
        this.#record(d, 'reorder', null, l.conversationId, held.frame.seq)
      } else if (frame.seq === held.frame.seq + 1 && !entry.commit && entry.sender !== heldEntry.sender) {
        // fork: each other's entry under the other's position
        deliver({ ...held.frame, envelope: frame.envelope })
        deliver({ ...frame, envelope: held.frame.envelope })
        this.#record(d, 'fork', null, l.conversationId, held.frame.seq)
      } else {
        // not a pair from two senders (the fork comes round again later)
        deliver(held.frame)
        deliver(frame)
      }
      this.#keep(l, heldEntry)
      this.#keep(l, entry)
      return
    }
    const next = l.plan[0]
    const settled = l.subscriptions === 0 && !d.awaiting.some((a) => a.conversationId === l.conversationId)
    if (
      !next || !settled || !this.#active() || frame.seq < next.from || frame.seq !== wasHighest + 1 || entry.commit ||
      !eligible(next.kind, l, d.deviceId, entry)
    ) {
      this.#keep(l, entry)
      return deliver(frame)
    }
    switch (next.kind) {
      case 'replay': {
        // An envelope this device already has, from another sender under the same epoch, shown
        // again at the next position; the real entry follows at once (the engine refuses the
        // copy and must not move past the position).
        const old = l.shown.filter((e) => !e.commit && e.sender !== d.deviceId && e.sender !== '' && e.epoch === entry.epoch)
        if (old.length === 0) break
        const pick = old[Math.floor(this.#random() * old.length)]!
        this.#advance(l, frame.seq)
        deliver({ ...frame, envelope: pick.bytes })
        this.#record(d, 'replay', null, l.conversationId, frame.seq)
        TRACE?.(`${d.deviceId.slice(0, 8)} replayed the entry at ${pick.seq} from ${pick.sender.slice(0, 8)}`)
        this.#keep(l, entry)
        return deliver(frame)
      }
      case 'inject': {
        const forged = flipCiphertextBit(frame.envelope)
        if (!forged) break
        this.#advance(l, frame.seq)
        deliver({ ...frame, envelope: forged })
        this.#record(d, 'inject', 'envelope', l.conversationId, frame.seq)
        this.#keep(l, entry)
        deliver(frame)
        if (!d.directoryForged && !d.forgeNextDirectory) {
          // and a rogue device in the next directory this device fetches (it fetches on this hint)
          d.forgeNextDirectory = true
          deliver({ type: 'directoryChanged' })
        }
        return
      }
      case 'drop':
      case 'reorder':
      case 'fork': {
        this.#advance(l, frame.seq)
        const kind = next.kind
        const fault = kind === 'drop' ? this.#record(d, 'drop', null, l.conversationId, frame.seq) : null
        const timer = setTimeout(() => {
          // No later entry came: deliver it after all, and withdraw the fault.
          if (l.held?.frame !== frame) return
          l.held = null
          if (fault) this.#withdraw(d, fault)
          this.#keep(l, entry)
          d.socket?.inject(frame)
        }, HOLD_LIMIT_MS)
        l.held = { frame, kind, timer, fault }
        return
      }
    }
    this.#keep(l, entry)
    deliver(frame)
  }

  /** The planned fault at the head was tried at `seq`: plan it again later (cycling the kinds). */
  #advance(l: Lane, seq: number): void {
    const done = l.plan.shift()
    if (done) l.plan.push({ kind: done.kind, from: seq + SLOT })
  }

  #release(l: Lane): void {
    if (l.held) clearTimeout(l.held.timer)
    l.held = null
  }

  /** The socket closed: whatever it held is gone with it (the engine resubscribes on reconnect). */
  closed(d: DeviceState): void {
    for (const l of d.lanes.values()) {
      if (!l.held) continue
      const held = l.held
      this.#release(l)
      if (held.fault) this.#withdraw(d, held.fault)
    }
    // The next socket subscribes afresh; resends on it pass untouched (their seqs were shown).
    for (const l of d.lanes.values()) l.subscriptions = 0
  }

  #keep(l: Lane, e: Entry): void {
    if (!e.commit && e.sender) l.shown.push(e)
  }

  /** A directory entry whose chain ends at a root the organisation never had. */
  #rogueEntry(): Uint8Array {
    const secret = crypto.getRandomValues(new Uint8Array(16))
    const enroll = c.deriveEnrollmentKey(secret, c.rootFingerprint(this.#rogue.publicKey))
    const authorization = c.signAuthorization({
      userId: crypto.randomUUID(),
      displayName: 'Dr. Mallory',
      role: 'clinician',
      expiresAt: Date.now() + 3600_000,
      enrollPublicKey: enroll.publicKey,
    }, this.#rogue.secretKey)
    const device = c.generateSigningKeyPair()
    const binding = c.signDeviceBinding({
      authorizationHash: c.sha256(authorization),
      userId: crypto.randomUUID(),
      signingPublicKey: device.publicKey,
      agreementPublicKey: c.generateAgreementKeyPair().publicKey,
    }, enroll.secretKey, device.secretKey)
    return c.encodeTuple([authorization, binding])
  }
}

/** Whether the log around `entry` suits the fault (see planConversation). */
function eligible(kind: FaultKind, l: Lane, deviceId: string, entry: Entry): boolean {
  const next = l.senders[entry.seq] // the sender of entry seq + 1
  switch (kind) {
    case 'drop':
    case 'reorder': return next !== undefined && next !== '' && next !== deviceId
    case 'fork': return next !== undefined && next !== '' && (next === deviceId || next !== entry.sender)
    default: return true
  }
}

function describe(frame: FrameOf<'envelope'>): Entry {
  const commit = c.isCommitEntry(frame.envelope)
  const h = commit ? null : c.parseEnvelopeHeader(frame.envelope)
  return {
    seq: frame.seq,
    bytes: frame.envelope,
    commit,
    sender: h?.ok ? h.value.senderDeviceId : '',
    epoch: h?.ok ? h.value.epoch : -1,
  }
}

/** The same envelope with one ciphertext bit flipped: its signature no longer holds. */
function flipCiphertextBit(envelope: Uint8Array): Uint8Array | null {
  const parts = c.decodeTuple(envelope, 3)
  if (!parts.ok) return null
  const [header, ct, sig] = parts.value as [Uint8Array, Uint8Array, Uint8Array]
  if (ct.length === 0) return null
  const flipped = ct.slice()
  flipped[flipped.length >> 1]! ^= 0x04
  return c.encodeTuple([header, flipped, sig])
}

const TRACE = Deno.env.get('WARDLINE_SIM_ADVERSARY_LOG') ? (s: string) => console.error(`adversary: ${s}`) : null

type Handler<E> = ((ev: E) => void) | null

/** The small WebSocket surface the engine's RelayConnection uses, around a real socket. */
export class AdversarySocket {
  onmessage: Handler<{ data: unknown }> = null
  onclose: Handler<CloseEvent> = null
  onerror: Handler<Event> = null
  onopen: Handler<Event> = null
  #inner: WebSocket
  #adversary: Adversary
  #device: DeviceState

  constructor(url: string, adversary: Adversary, device: DeviceState) {
    this.#adversary = adversary
    this.#device = device
    this.#inner = new WebSocket(url)
    this.#inner.binaryType = 'arraybuffer'
    this.#inner.onopen = (ev) => this.onopen?.(ev)
    this.#inner.onerror = (ev) => this.onerror?.(ev)
    this.#inner.onclose = (ev) => {
      if (this.#device.socket === this) this.#adversary.closed(this.#device)
      this.onclose?.(ev)
    }
    this.#inner.onmessage = (ev) => {
      if (!(ev.data instanceof ArrayBuffer)) return this.onmessage?.(ev)
      const decoded = decodeFrame(new Uint8Array(ev.data))
      if (!decoded.ok) return this.onmessage?.(ev)
      let untouched = true
      const out: Frame[] = []
      this.#adversary.incoming(this.#device, decoded.frame, (f) => {
        if (f !== decoded.frame) untouched = false
        out.push(f)
      })
      if (untouched && out.length === 1) return this.onmessage?.(ev)
      for (const f of out) this.inject(f)
    }
  }

  get binaryType(): BinaryType {
    return this.#inner.binaryType
  }
  set binaryType(_t: BinaryType) {
    // always arraybuffer: the adversary decodes every frame
  }
  get readyState(): number {
    return this.#inner.readyState
  }

  /** Delivers a frame to the engine as if the relay had sent it. */
  inject(frame: Frame): void {
    if (this.#inner.readyState !== WebSocket.OPEN) return
    this.onmessage?.({ data: encodeFrame(frame).slice().buffer })
  }

  send(data: Uint8Array | ArrayBuffer): void {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data
    this.#adversary.outgoing(this.#device, bytes)
    this.#inner.send(data as Uint8Array<ArrayBuffer>)
  }

  close(code?: number, reason?: string): void {
    this.#inner.close(code, reason)
  }
}
