/**
 * A WebSocket test client speaking the real wire frames: it queues every frame it receives,
 * lets a test await the next one (or the next of a type) with a timeout, and records how the
 * relay closed the socket. Used only by tests.
 */
import {
  decodeFrame,
  encodeFrame,
  type Frame,
  type FrameOf,
  type FrameType,
} from '../wire/frames.ts'
import { signLogin, type TestDevice } from './fixtures.ts'

const WAIT_MS = 3000

export class TestClient {
  private readonly frames: Frame[] = []
  private waiter: (() => void) | null = null
  readonly closed: Promise<CloseEvent>
  /** The lease that followed `ready` in `loggedIn`. */
  lease: FrameOf<'lease'> | null = null

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = 'arraybuffer'
    ws.onmessage = (e) => {
      const d = decodeFrame(new Uint8Array(e.data as ArrayBuffer))
      if (!d.ok) throw new Error('relay sent an undecodable frame')
      this.frames.push(d.frame)
      this.waiter?.()
    }
    this.closed = new Promise((resolve) =>
      ws.addEventListener('close', (e) => {
        resolve(e)
        this.waiter?.()
      })
    )
  }

  static connect(relayUrl: string): Promise<TestClient> {
    const ws = new WebSocket(relayUrl.replace(/^http/, 'ws') + '/ws')
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(new TestClient(ws))
      ws.onerror = () => reject(new Error('could not connect'))
    })
  }

  /** Connects, answers the challenge as `device` and waits for `ready`. */
  static async loggedIn(relayUrl: string, device: TestDevice): Promise<TestClient> {
    const c = await TestClient.connect(relayUrl)
    const ready = await c.login(device)
    if (ready.type !== 'ready') throw new Error(`login failed: ${JSON.stringify(ready)}`)
    // Every login is followed by the device's offline lease (decision 0012): keep it aside.
    const next = await c.nextAny()
    if (next.type === 'lease') c.lease = next
    else c.frames.unshift(next)
    return c
  }

  async login(device: TestDevice, signature?: Uint8Array): Promise<Frame> {
    const challenge = await this.next('challenge')
    this.send({
      type: 'login',
      deviceId: device.deviceId,
      signature: signature ?? signLogin(device, challenge.origin, challenge.nonce),
    })
    return await this.nextAny()
  }

  send(frame: Frame): void {
    this.ws.send(encodeFrame(frame))
  }

  /** Resolves with the next frame, or rejects after a timeout or when the socket closes. */
  async nextAny(timeoutMs = WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs
    while (this.frames.length === 0) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('socket closed')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error('timed out waiting for a frame')
      let timer: ReturnType<typeof setTimeout> | undefined
      await new Promise<void>((resolve) => {
        this.waiter = resolve
        timer = setTimeout(resolve, left)
      })
      clearTimeout(timer)
      this.waiter = null
    }
    return this.frames.shift()!
  }

  /** The next frame, which must be of `type`. */
  async next<T extends FrameType>(type: T, timeoutMs = WAIT_MS): Promise<FrameOf<T>> {
    const f = await this.nextAny(timeoutMs)
    if (f.type !== type) {
      throw new Error(
        `expected ${type}, got ${
          JSON.stringify(f, (_k, v) => v instanceof Uint8Array ? `<${v.length} bytes>` : v)
        }`,
      )
    }
    return f as FrameOf<T>
  }

  /** Skips frames until one of `type` arrives. */
  async waitFor<T extends FrameType>(type: T, timeoutMs = WAIT_MS): Promise<FrameOf<T>> {
    for (;;) {
      const f = await this.nextAny(timeoutMs)
      if (f.type === type) return f as FrameOf<T>
    }
  }

  /** Whether no frame arrives within `ms` (for "was not broadcast" checks). */
  async isQuietFor(ms: number): Promise<boolean> {
    try {
      const f = await this.nextAny(ms)
      this.frames.unshift(f)
      return false
    } catch {
      return true
    }
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close()
    await this.closed
  }
}
