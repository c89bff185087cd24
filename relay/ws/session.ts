/**
 * One WebSocket connection's lifecycle: challenge → login (Ed25519 over the origin-bound
 * challenge, DESIGN §5) → ready. Frames are handled one at a time in arrival order; a text,
 * malformed or oversized frame closes only this connection, and no input can throw past here.
 * Its limits (relay/limits.ts): frames queued for handling, outbound bytes buffered (a reader
 * that stops reading is dropped), connections per device and the per-device `send` rate.
 * Past the ~250-line norm: the limits stay beside the lifecycle they guard (one place to read).
 */
import {
  loginChallengeMessage,
  parseDeviceBinding,
  randomBytes,
  verifySignature,
} from '../crypto-surface.ts'
import { LOGIN_TIMEOUT_MS } from '../limits.ts'
import { shortId } from '../log.ts'
import {
  decodeFrame,
  encodeFrame,
  type Frame,
  type FrameOf,
  MAX_FRAME_BYTES,
} from '../wire/frames.ts'
import { isSaneId, type RelayDeps, type SessionContext } from './context.ts'
import { handleCommit, handleCreateConversation, sendConversationList } from './conversations.ts'
import { handleGetDirectory, handlePutAuthorization } from './directory.ts'
import { handleReceipt, handleSend, handleSubscribe } from './messaging.ts'
import { CLOSE_REVOKED, handleRevokeDevice, revocationNotice } from './revocation.ts'
import { sendLease } from './lease.ts'
import { dropSnapshotUpload, handlePutSnapshot } from './snapshots.ts'
import { handlePutPolicy } from './policy.ts'
import { handleGetKeyBackup, handlePutKeyBackup } from './key-backup.ts'
import { handleGetAuditHead, handleGetAuditRecords, handlePutAuditEvent } from './audit.ts'
import { handleGetLegalHolds, handleReleaseLegalHold, handleSetLegalHold } from './legal-hold.ts'
import { handleGetDevicesSeen, handleRevokeAuthorization } from './admin-console.ts'
import { auditDeviceId } from '../audit/hook.ts'
import { handleGetDirectoryUsers } from '../scim/directory-users.ts'
import { isAdmittedFrom } from '../network-boundaries.ts'
import { handleGetBlobChunk, handleGetBlobStatus, handlePutBlobChunk } from './blobs.ts'

export { LOGIN_TIMEOUT_MS }
export const CHALLENGE_NONCE_BYTES = 32
/** Close codes (RFC 6455 §7.4 plus the 4000 range for application reasons). */
export const CLOSE = {
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  policyViolation: 1008,
  tooLarge: 1009,
  badLogin: 4001,
  revoked: CLOSE_REVOKED,
  loginTimeout: 4008,
  slowReader: 4009,
  tooManyConnections: 4029,
  /** The device's role is not admitted from its address (WARDLINE_NETWORKS, decision 0017). */
  networkRefused: 4030,
} as const

/** How often a catch-up waiting for a slow reader looks at the socket's outbound queue. */
const DRAIN_POLL_MS = 20
/**
 * A catch-up sends its next frame once the queue is below this fraction of the cap: with the cap
 * at least two frames (limits.ts), a full frame then still leaves a quarter of the cap for the
 * small frames after it (caughtUp, receipts), so paced sends never trip the live-send drop.
 */
const DRAIN_TO_FRACTION = 1 / 4

export type SessionOptions = {
  origin: string
  loginTimeoutMs: number
  /** The client's address (the proxy's last X-Forwarded-For entry when trusted), for boundaries. */
  address?: string
  /** Called once when the connection logs in or closes (the unauthenticated-per-address count). */
  onAuthenticatedOrClosed?: () => void
}

type State = 'awaiting-login' | 'logging-in' | 'ready' | 'closed'

export class Session implements SessionContext {
  private state: State = 'awaiting-login'
  private readonly nonce = randomBytes(CHALLENGE_NONCE_BYTES)
  private queue: Promise<void> = Promise.resolve()
  private queuedBytes = 0
  private loginTimer: ReturnType<typeof setTimeout> | undefined
  deviceId = ''
  userId = ''
  role = ''

  constructor(
    private readonly ws: WebSocket,
    readonly deps: RelayDeps,
    private readonly options: SessionOptions,
  ) {
    ws.binaryType = 'arraybuffer'
    ws.onopen = () => this.onOpen()
    ws.onmessage = (e) => this.onMessage(e.data)
    ws.onclose = () => this.onClosed()
    ws.onerror = () => {} // a close event always follows; nothing to add
  }

  private onOpen(): void {
    this.sendFrame({ type: 'challenge', nonce: this.nonce, origin: this.options.origin })
    this.loginTimer = setTimeout(() => this.close(CLOSE.loginTimeout), this.options.loginTimeoutMs)
  }

  private onMessage(data: unknown): void {
    if (this.state === 'closed') return
    const { metrics, limits } = this.deps
    if (!(data instanceof ArrayBuffer)) {
      this.sendError('relay/malformed-frame', '')
      return this.close(CLOSE.unsupportedData)
    }
    metrics.inc('wardline_bytes_in_total', '', data.byteLength)
    // Deno's WebSocket has no size option, so the limit is enforced on receipt (DESIGN §5).
    if (data.byteLength > MAX_FRAME_BYTES) return this.close(CLOSE.tooLarge)
    // Deno reads without backpressure: a client that sends faster than its frames are handled
    // would grow this queue without bound.
    if (this.queuedBytes + data.byteLength > limits.maxQueuedBytes) {
      this.sendError('relay/rate-limited', '')
      return this.close(CLOSE.policyViolation)
    }
    const decoded = decodeFrame(new Uint8Array(data))
    if (!decoded.ok) {
      this.sendError(decoded.code, '')
      return this.close(CLOSE.protocolError)
    }
    const type = decoded.frame.type
    metrics.inc('wardline_frames_in_total', type)
    this.queuedBytes += data.byteLength
    this.queue = this.queue.then(async () => {
      const started = performance.now()
      try {
        await this.handle(decoded.frame)
      } finally {
        this.queuedBytes -= data.byteLength
        metrics.observe(type, (performance.now() - started) / 1000)
      }
    }).catch((e) => {
      this.deps.log('frame.failed', { type, error: e instanceof Error ? e.name : 'unknown' })
      this.sendError('relay/internal', '')
    })
  }

  private onClosed(): void {
    this.state = 'closed'
    clearTimeout(this.loginTimer)
    this.options.onAuthenticatedOrClosed?.()
    this.deps.hub.remove(this)
    dropSnapshotUpload(this)
  }

  close(code: number): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    clearTimeout(this.loginTimer)
    this.options.onAuthenticatedOrClosed?.()
    this.deps.hub.remove(this)
    dropSnapshotUpload(this)
    this.deps.metrics.inc('wardline_closes_total', String(code))
    try {
      this.ws.close(code)
    } catch {
      // already closing
    }
  }

  /** Resolves once every frame received so far has been handled (graceful shutdown). */
  idle(): Promise<void> {
    return this.queue
  }

  get bufferedAmount(): number {
    return this.ws.readyState === WebSocket.OPEN ? this.ws.bufferedAmount : 0
  }

  sendFrame(frame: Frame): void {
    if (this.ws.readyState !== WebSocket.OPEN || this.state === 'closed') return
    // Checked before queuing more, so one connection never holds more than the cap plus one frame.
    if (this.ws.bufferedAmount > this.deps.limits.maxBufferedBytes) return this.dropSlowReader()
    try {
      const bytes = encodeFrame(frame)
      this.ws.send(bytes)
      this.deps.metrics.inc('wardline_frames_out_total')
      this.deps.metrics.inc('wardline_bytes_out_total', '', bytes.byteLength)
    } catch {
      // The socket closed under us; a fan-out from another session must not fail because of it.
    }
  }

  sendError(code: string, ref: string): void {
    this.deps.metrics.inc('wardline_errors_total', code)
    this.sendFrame({ type: 'error', code, ref })
  }

  async drain(): Promise<boolean> {
    const { maxBufferedBytes, slowReaderTimeoutMs } = this.deps.limits
    const deadline = Date.now() + slowReaderTimeoutMs
    while (this.state !== 'closed' && this.bufferedAmount > maxBufferedBytes * DRAIN_TO_FRACTION) {
      if (Date.now() >= deadline) {
        this.dropSlowReader()
        break
      }
      await new Promise((r) => setTimeout(r, DRAIN_POLL_MS))
    }
    return this.state !== 'closed'
  }

  private dropSlowReader(): void {
    this.deps.metrics.inc('wardline_buffered_drops_total')
    this.deps.log('ws.slow-reader', { buffered: this.ws.bufferedAmount })
    this.close(CLOSE.slowReader)
  }

  private async handle(frame: Frame): Promise<void> {
    if (this.state === 'closed') return
    if (this.state !== 'ready') {
      if (frame.type === 'login' && this.state === 'awaiting-login') return await this.login(frame)
      this.sendError('relay/not-logged-in', '')
      return this.close(CLOSE.badLogin)
    }
    if (frame.type === 'send' && !this.deps.sendRate.take(this.deviceId)) {
      // Refused before storage: not stored, not acked; the client's outbox backs off and resends.
      this.deps.metrics.inc('wardline_rate_limited_total')
      return this.sendError('relay/rate-limited', frame.ref)
    }
    switch (frame.type) {
      case 'subscribe':
        return await handleSubscribe(this, frame)
      case 'send':
        return await handleSend(this, frame)
      case 'createConversation':
        return await handleCreateConversation(this, frame)
      case 'receipt':
        return await handleReceipt(this, frame)
      case 'getDirectory':
        return await handleGetDirectory(this)
      case 'putAuthorization':
        return await handlePutAuthorization(this, frame)
      case 'commit':
        return await handleCommit(this, frame)
      case 'revokeDevice':
        return await handleRevokeDevice(this, frame)
      case 'putPolicy':
        return await handlePutPolicy(this, frame)
      case 'putSnapshot':
        return await handlePutSnapshot(this, frame)
      case 'putKeyBackup':
        return await handlePutKeyBackup(this, frame)
      case 'getKeyBackup':
        return await handleGetKeyBackup(this, frame)
      case 'getDirectoryUsers':
        return await handleGetDirectoryUsers(this, frame)
      case 'putBlobChunk':
        return await handlePutBlobChunk(this, frame)
      case 'getBlobStatus':
        return await handleGetBlobStatus(this, frame)
      case 'getBlobChunk':
        return await handleGetBlobChunk(this, frame)
      case 'ping':
        return this.sendFrame({ type: 'pong', nonce: frame.nonce })
      case 'renewLease':
        // Asked for explicitly: a relay without a lease key says so rather than staying silent.
        if (!this.deps.lease) return this.sendError('relay/no-lease', '')
        return sendLease(this, this.deps.lease)
      case 'putAuditEvent':
        return await handlePutAuditEvent(this, frame)
      case 'getAuditHead':
        return await handleGetAuditHead(this, frame)
      case 'getAuditRecords':
        return await handleGetAuditRecords(this, frame)
      case 'setLegalHold':
        return await handleSetLegalHold(this, frame)
      case 'releaseLegalHold':
        return await handleReleaseLegalHold(this, frame)
      case 'getLegalHolds':
        return await handleGetLegalHolds(this, frame)
      case 'revokeAuthorization':
        return await handleRevokeAuthorization(this, frame)
      case 'getDevicesSeen':
        return await handleGetDevicesSeen(this, frame)
      default:
        // relay → device frames (or a second login) are not valid from a device.
        return this.sendError('relay/unexpected-frame', '')
    }
  }

  private async login(f: FrameOf<'login'>): Promise<void> {
    this.state = 'logging-in'
    const { storage, hub, log } = this.deps
    const device = isSaneId(f.deviceId) ? await storage.getDevice(f.deviceId) : null
    const binding = device ? parseDeviceBinding(device.binding) : null
    const auth = device ? await storage.getAuthorization(device.authorizationId) : null
    const message = loginChallengeMessage(this.options.origin, this.nonce, f.deviceId)
    if (
      !binding?.ok || !auth ||
      !verifySignature(f.signature, message, binding.value.signingPublicKey)
    ) {
      log('login.refused', { device: shortId(f.deviceId) })
      const reason = binding?.ok && auth ? 'bad-signature' : 'unknown-device'
      void this.deps.audit('login.refused', { device: auditDeviceId(f.deviceId), reason })
      this.sendError('relay/bad-login', '')
      return this.close(CLOSE.badLogin)
    }
    if (this.state !== 'logging-in') return // closed while we were reading storage
    if (device?.revoked) return await this.refuseRevoked(f.deviceId)
    if (await storage.scim.isDeviceRefused(f.deviceId, binding.value.userId)) {
      return this.refuseByDirectory(f.deviceId)
    }
    // After the revocation checks, so a revoked device outside the network still learns it.
    if (this.deps.networks && !isAdmittedFrom(this.deps.networks, auth.role, this.options.address ?? '')) {
      return this.refuseByNetwork(f.deviceId, auth.role)
    }
    if (hub.sessionsOf([f.deviceId]).length >= this.deps.limits.maxConnectionsPerDevice) {
      log('login.too-many-connections', { device: shortId(f.deviceId) })
      this.sendError('relay/too-many-connections', '')
      return this.close(CLOSE.tooManyConnections)
    }
    clearTimeout(this.loginTimer)
    this.options.onAuthenticatedOrClosed?.()
    this.state = 'ready'
    this.deviceId = f.deviceId
    this.userId = binding.value.userId
    this.role = auth.role
    hub.addLoggedIn(this)
    // A revocation that landed while this login read storage found no session to close.
    if ((await storage.getDevice(f.deviceId))?.revoked) return await this.refuseRevoked(f.deviceId)
    // Likewise a directory deactivation (scim/enforce.ts) that found no session yet.
    if (await storage.scim.isDeviceRefused(f.deviceId, this.userId)) return this.refuseByDirectory(f.deviceId)
    log('login.ok', { device: shortId(f.deviceId), connections: hub.connectionCount })
    void this.deps.audit('login.ok', {}, f.deviceId)
    // "Last seen" for the admin console; like the audit append, never delays or fails a login.
    storage.touchDevice(f.deviceId, Date.now()).catch(() => log('device.seen-failed', {}))
    this.sendFrame({ type: 'ready', deviceId: this.deviceId, userId: this.userId, role: this.role })
    sendLease(this, this.deps.lease)
    await sendConversationList(this)
  }

  /**
   * The directory deactivated the device's user (SCIM, issue 7). No certificate exists, so the
   * device is refused like a revoked one but shown nothing it could erase itself on (decision 0012).
   */
  private refuseByDirectory(deviceId: string): void {
    this.deps.log('login.refused-by-directory', { device: shortId(deviceId) })
    void this.deps.audit('login.refused', { device: auditDeviceId(deviceId), reason: 'deactivated-user' })
    this.sendError('relay/device-revoked', '')
    this.close(CLOSE.revoked)
  }

  /** Logged and audited by device id and role only: never the address or a name. */
  private refuseByNetwork(deviceId: string, role: string): void {
    this.deps.log('login.network-refused', { device: shortId(deviceId), role })
    void this.deps.audit('login.refused', { device: auditDeviceId(deviceId), reason: 'network', role })
    this.sendError('relay/network-refused', '')
    this.close(CLOSE.networkRefused)
  }

  private async refuseRevoked(deviceId: string): Promise<void> {
    this.deps.log('login.revoked', { device: shortId(deviceId) })
    void this.deps.audit('login.refused', { device: deviceId, reason: 'revoked-device' })
    // The certificate lets the device verify its revocation before it wipes (decision 0012).
    const notice = await revocationNotice(this.deps.storage, deviceId).catch(() => null)
    if (notice) this.sendFrame(notice)
    this.sendError('relay/device-revoked', '')
    this.close(CLOSE.revoked)
  }
}
