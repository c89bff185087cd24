/**
 * One authenticated WebSocket to the relay: answers the login challenge with the device key,
 * reconnects with exponential backoff and jitter (reset only after a healthy period), and
 * replaces a silent socket found by heartbeats (DESIGN §6). Timers are injectable for tests.
 * Issue 4: a relay that accepts and closes at once sees each client settle at one try every
 * 20–30 s, never a storm; a half-open socket is replaced within a minute.
 */
import { loginChallengeMessage } from '../../crypto/trust.ts'
import { sign } from '../../crypto/ed25519.ts'
import { decodeFrame, encodeFrame, type Frame, MAX_FRAME_BYTES } from '../../relay/wire/frames.ts'
import type { ConnectionState } from '../protocol.ts'

export const BACKOFF_BASE_MS = 500
export const BACKOFF_MAX_MS = 30_000
/**
 * Each wait is drawn from [cap × (1 − BACKOFF_JITTER), cap]: spread enough that clients cut off
 * together do not come back together, while a relay that keeps refusing still sees each client
 * at most once per 20 s once the cap is reached (full jitter would allow tries 100 ms apart).
 */
export const BACKOFF_JITTER = 1 / 3
export const HEALTHY_AFTER_MS = 10_000
/** A ping every 15 s; silent for 40 s means half-open: found within 40 + 15 = 55 s (< 1 min). */
export const PING_EVERY_MS = 15_000
export const SILENT_LIMIT_MS = 40_000

/** How long to wait before reconnect attempt number `attempt` (0-based), given random in [0, 1). */
export function backoffDelay(attempt: number, random: number): number {
  const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt)
  return Math.round(cap * (1 - BACKOFF_JITTER * random))
}

export type Timers = {
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (id: unknown) => void
  now: () => number
  random: () => number
}
export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as number),
  now: () => Date.now(),
  random: () => Math.random(),
}

/** The http(s) origin of a ws(s) URL: what the relay names in its login challenge. */
export function expectedOrigin(wsUrl: string): string {
  const u = new URL(wsUrl)
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:'
  return u.origin
}

export type ConnectionOptions = {
  url: string
  deviceId: string
  signingSecretKey: Uint8Array
  onFrame: (frame: Frame) => void
  onState: (state: ConnectionState) => void
  timers?: Timers
  createSocket?: (url: string) => WebSocket
}

export class RelayConnection {
  state: ConnectionState = 'offline'
  #o: ConnectionOptions
  #t: Timers
  #socket: WebSocket | null = null
  #attempt = 0
  #stopped = true
  #retryTimer: unknown = null
  #pingTimer: unknown = null
  #healthyTimer: unknown = null
  #lastHeard = 0
  #answered: WebSocket | null = null

  constructor(options: ConnectionOptions) {
    this.#o = options
    this.#t = options.timers ?? realTimers
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#connect()
  }

  stop(): void {
    this.#stopped = true
    this.#clearTimers()
    this.#socket?.close(1000)
    this.#socket = null
    this.#setState('offline')
  }

  /** Reconnects now (e.g. the browser reports it is online again). */
  retryNow(): void {
    if (this.#stopped || this.state !== 'offline') return
    if (this.#retryTimer !== null) this.#t.clearTimeout(this.#retryTimer)
    this.#retryTimer = null
    this.#connect()
  }

  /** The platform says the network is gone: stop pretending the socket is alive. */
  dropNow(): void {
    if (this.#stopped || !this.#socket) return
    const socket = this.#socket
    this.#socket = null
    this.#clearTimers()
    socket.onclose = null
    socket.close(4000)
    this.#setState('offline')
    this.#scheduleRetry()
  }

  /** Sends when logged in; returns false otherwise (callers keep their outbox). */
  send(frame: Frame): boolean {
    if (this.state !== 'online' || !this.#socket) return false
    this.#socket.send(encodeFrame(frame) as Uint8Array<ArrayBuffer>)
    return true
  }

  #setState(s: ConnectionState): void {
    if (this.state === s) return
    this.state = s
    this.#o.onState(s)
  }

  #connect(): void {
    this.#setState('connecting')
    let socket: WebSocket
    try {
      socket = this.#o.createSocket ? this.#o.createSocket(this.#o.url) : new WebSocket(this.#o.url)
    } catch {
      this.#scheduleRetry()
      return
    }
    socket.binaryType = 'arraybuffer'
    this.#socket = socket
    this.#lastHeard = this.#t.now()
    socket.onmessage = (ev) => this.#onMessage(socket, ev.data)
    socket.onclose = () => {
      if (this.#socket !== socket) return
      this.#socket = null
      this.#clearTimers()
      if (this.#stopped) return
      this.#setState('offline')
      this.#scheduleRetry()
    }
    socket.onerror = () => socket.close()
  }

  #onMessage(socket: WebSocket, data: unknown): void {
    if (this.#socket !== socket) return
    this.#lastHeard = this.#t.now()
    if (!(data instanceof ArrayBuffer) || data.byteLength > MAX_FRAME_BYTES) return socket.close(1003)
    const decoded = decodeFrame(new Uint8Array(data))
    if (!decoded.ok) return socket.close(1002)
    const frame = decoded.frame
    if (frame.type === 'challenge') {
      // One login per socket: a repeated challenge (a duplicating network) is not answered again.
      if (this.#answered === socket) return
      this.#answered = socket
      // Sign only for the relay we meant to reach, so a login cannot be relayed to another one.
      if (frame.origin !== expectedOrigin(this.#o.url)) return socket.close(4003)
      const message = loginChallengeMessage(frame.origin, frame.nonce, this.#o.deviceId)
      socket.send(encodeFrame({ type: 'login', deviceId: this.#o.deviceId, signature: sign(message, this.#o.signingSecretKey) }) as Uint8Array<ArrayBuffer>)
      return
    }
    if (frame.type === 'ready') {
      if (this.state === 'online') return // a repeated 'ready' changes nothing
      this.#setState('online')
      this.#schedulePing()
      this.#healthyTimer = this.#t.setTimeout(() => (this.#attempt = 0), HEALTHY_AFTER_MS)
    }
    if (frame.type === 'pong') return
    this.#o.onFrame(frame)
  }

  #schedulePing(): void {
    this.#pingTimer = this.#t.setTimeout(() => {
      const socket = this.#socket
      if (!socket) return
      if (this.#t.now() - this.#lastHeard > SILENT_LIMIT_MS) {
        socket.close(4000) // half-open: replace it
        return
      }
      if (socket.readyState === 1) socket.send(encodeFrame({ type: 'ping', nonce: this.#t.now() % 2 ** 31 }) as Uint8Array<ArrayBuffer>)
      this.#schedulePing()
    }, PING_EVERY_MS)
  }

  #scheduleRetry(): void {
    const delay = backoffDelay(this.#attempt, this.#t.random())
    this.#attempt = Math.min(this.#attempt + 1, 16)
    this.#retryTimer = this.#t.setTimeout(() => {
      this.#retryTimer = null
      if (!this.#stopped) this.#connect()
    }, delay)
  }

  #clearTimers(): void {
    for (const id of [this.#retryTimer, this.#pingTimer, this.#healthyTimer]) {
      if (id !== null) this.#t.clearTimeout(id)
    }
    this.#retryTimer = this.#pingTimer = this.#healthyTimer = null
  }
}
