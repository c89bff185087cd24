/**
 * One WebSocket connection's lifecycle: challenge → login (Ed25519 over the origin-bound
 * challenge, DESIGN §5) → ready. Frames are handled one at a time in arrival order; a text,
 * malformed or oversized frame closes only this connection, and no input can throw past here.
 */
import {
  loginChallengeMessage,
  parseDeviceBinding,
  randomBytes,
  verifySignature,
} from '../crypto-surface.ts'
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

export const LOGIN_TIMEOUT_MS = 10_000
export const CHALLENGE_NONCE_BYTES = 32
/** Close codes (RFC 6455 §7.4 plus the 4000 range for application reasons). */
export const CLOSE = {
  protocolError: 1002,
  unsupportedData: 1003,
  tooLarge: 1009,
  badLogin: 4001,
  revoked: CLOSE_REVOKED,
  loginTimeout: 4008,
} as const

type State = 'awaiting-login' | 'logging-in' | 'ready' | 'closed'

export class Session implements SessionContext {
  private state: State = 'awaiting-login'
  private readonly nonce = randomBytes(CHALLENGE_NONCE_BYTES)
  private queue: Promise<void> = Promise.resolve()
  private loginTimer: ReturnType<typeof setTimeout> | undefined
  deviceId = ''
  userId = ''
  role = ''

  constructor(
    private readonly ws: WebSocket,
    readonly deps: RelayDeps,
    private readonly options: { origin: string; loginTimeoutMs: number },
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
    if (!(data instanceof ArrayBuffer)) {
      this.sendError('relay/malformed-frame', '')
      return this.close(CLOSE.unsupportedData)
    }
    // Deno's WebSocket has no size option, so the limit is enforced on receipt (DESIGN §5).
    if (data.byteLength > MAX_FRAME_BYTES) return this.close(CLOSE.tooLarge)
    const decoded = decodeFrame(new Uint8Array(data))
    if (!decoded.ok) {
      this.sendError(decoded.code, '')
      return this.close(CLOSE.protocolError)
    }
    this.queue = this.queue.then(() => this.handle(decoded.frame)).catch((e) => {
      this.deps.log('frame.failed', {
        type: decoded.frame.type,
        error: e instanceof Error ? e.name : 'unknown',
      })
      this.sendError('relay/internal', '')
    })
  }

  private onClosed(): void {
    this.state = 'closed'
    clearTimeout(this.loginTimer)
    this.deps.hub.remove(this)
    dropSnapshotUpload(this)
  }

  close(code: number): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    clearTimeout(this.loginTimer)
    this.deps.hub.remove(this)
    dropSnapshotUpload(this)
    try {
      this.ws.close(code)
    } catch {
      // already closing
    }
  }

  sendFrame(frame: Frame): void {
    if (this.ws.readyState !== WebSocket.OPEN) return
    try {
      this.ws.send(encodeFrame(frame))
    } catch {
      // The socket closed under us; a fan-out from another session must not fail because of it.
    }
  }

  sendError(code: string, ref: string): void {
    this.sendFrame({ type: 'error', code, ref })
  }

  private async handle(frame: Frame): Promise<void> {
    if (this.state === 'closed') return
    if (this.state !== 'ready') {
      if (frame.type === 'login' && this.state === 'awaiting-login') return await this.login(frame)
      this.sendError('relay/not-logged-in', '')
      return this.close(CLOSE.badLogin)
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
      case 'putPolicy': return await handlePutPolicy(this, frame)
      case 'putSnapshot': return await handlePutSnapshot(this, frame)
      case 'putKeyBackup': return await handlePutKeyBackup(this, frame)
      case 'getKeyBackup': return await handleGetKeyBackup(this, frame)
      case 'ping':
        return this.sendFrame({ type: 'pong', nonce: frame.nonce })
      case 'renewLease': return sendLease(this, this.deps.lease)
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
      this.sendError('relay/bad-login', '')
      return this.close(CLOSE.badLogin)
    }
    if (this.state !== 'logging-in') return // closed while we were reading storage
    if (device?.revoked) return await this.refuseRevoked(f.deviceId)
    clearTimeout(this.loginTimer)
    this.state = 'ready'
    this.deviceId = f.deviceId
    this.userId = binding.value.userId
    this.role = auth.role
    hub.addLoggedIn(this)
    // A revocation that landed while this login read storage found no session to close.
    if ((await storage.getDevice(f.deviceId))?.revoked) return await this.refuseRevoked(f.deviceId)
    log('login.ok', { device: shortId(f.deviceId), connections: hub.connectionCount })
    this.sendFrame({ type: 'ready', deviceId: this.deviceId, userId: this.userId, role: this.role })
    sendLease(this, this.deps.lease)
    await sendConversationList(this)
  }

  private async refuseRevoked(deviceId: string): Promise<void> {
    this.deps.log('login.revoked', { device: shortId(deviceId) })
    // The certificate lets the device verify its revocation before it wipes (decision 0010).
    const notice = await revocationNotice(this.deps.storage, deviceId).catch(() => null)
    if (notice) this.sendFrame(notice)
    this.sendError('relay/device-revoked', '')
    this.close(CLOSE.revoked)
  }
}
