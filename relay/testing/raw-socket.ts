/**
 * A WebSocket client written over a raw TCP (or TLS) connection, for the tests a browser-like
 * client cannot do: stop reading while the relay keeps sending (slow reader), never answer the
 * relay's protocol pings (half-open socket), or talk wss with a test CA. RFC 6455 framing only
 * as far as these tests need it (no fragmentation, no extensions). Used only by tests.
 */
import { decodeFrame, encodeFrame, type Frame } from '../wire/frames.ts'
import { signLogin, type TestDevice } from './fixtures.ts'

const OP_BINARY = 2
const OP_CLOSE = 8

export type RawFrame = { opcode: number; payload: Uint8Array }

export class RawSocket {
  private buffer = new Uint8Array(0)

  private constructor(readonly conn: Deno.Conn) {}

  /** Connects to `url` (http: plain TCP, https: TLS with `caCerts`) and upgrades `/ws`. */
  static async open(url: string, caCerts?: string[]): Promise<RawSocket> {
    const u = new URL(url)
    const port = Number(u.port)
    const conn = u.protocol === 'https:'
      ? await Deno.connectTls({ hostname: u.hostname, port, ...(caCerts ? { caCerts } : {}) })
      : await Deno.connect({ hostname: u.hostname, port })
    const s = new RawSocket(conn)
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))))
    const request = `GET /ws HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
    await s.write(new TextEncoder().encode(request))
    const head = await s.readUntilBlankLine()
    if (!head.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.split('\r\n')[0]}`)
    return s
  }

  private async write(bytes: Uint8Array): Promise<void> {
    let off = 0
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off))
  }

  private async fill(n: number): Promise<void> {
    while (this.buffer.length < n) {
      const chunk = new Uint8Array(64 * 1024)
      const got = await this.conn.read(chunk)
      if (got === null) throw new Error('connection closed')
      const next = new Uint8Array(this.buffer.length + got)
      next.set(this.buffer)
      next.set(chunk.subarray(0, got), this.buffer.length)
      this.buffer = next
    }
  }

  private take(n: number): Uint8Array {
    const out = this.buffer.slice(0, n)
    this.buffer = this.buffer.slice(n)
    return out
  }

  private async readUntilBlankLine(): Promise<string> {
    for (;;) {
      const text = new TextDecoder().decode(this.buffer)
      const end = text.indexOf('\r\n\r\n')
      if (end >= 0) {
        this.take(end + 4)
        return text.slice(0, end)
      }
      await this.fill(this.buffer.length + 1)
    }
  }

  /** The next WebSocket frame from the relay (unmasked, as servers send them). */
  async readFrame(): Promise<RawFrame> {
    await this.fill(2)
    const opcode = this.buffer[0]! & 0x0f
    let length = this.buffer[1]! & 0x7f
    let header = 2
    if (length === 126) {
      await this.fill(4)
      length = (this.buffer[2]! << 8) | this.buffer[3]!
      header = 4
    } else if (length === 127) {
      await this.fill(10)
      length = Number(new DataView(this.buffer.buffer, this.buffer.byteOffset).getBigUint64(2))
      header = 10
    }
    await this.fill(header + length)
    this.take(header)
    return { opcode, payload: this.take(length) }
  }

  /** The next binary frame decoded as a wire frame (protocol pings are skipped, not answered). */
  async readWireFrame(): Promise<Frame | { type: 'closed'; code: number }> {
    for (;;) {
      const f = await this.readFrame()
      if (f.opcode === OP_CLOSE) return { type: 'closed', code: (f.payload[0]! << 8) | f.payload[1]! }
      if (f.opcode !== OP_BINARY) continue
      const d = decodeFrame(f.payload)
      if (!d.ok) throw new Error('relay sent an undecodable frame')
      return d.frame
    }
  }

  /** Sends one masked frame (clients must mask, RFC 6455 §5.3). */
  async sendRaw(opcode: number, payload: Uint8Array): Promise<void> {
    const n = payload.length
    const head = n < 126 ? [0x80 | opcode, 0x80 | n]
      : n < 65536 ? [0x80 | opcode, 0x80 | 126, n >> 8, n & 0xff]
      : [0x80 | opcode, 0x80 | 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
    const mask = crypto.getRandomValues(new Uint8Array(4))
    const out = new Uint8Array(head.length + 4 + n)
    out.set(head)
    out.set(mask, head.length)
    for (let i = 0; i < n; i++) out[head.length + 4 + i] = payload[i]! ^ mask[i % 4]!
    await this.write(out)
  }

  send(frame: Frame): Promise<void> {
    return this.sendRaw(OP_BINARY, encodeFrame(frame))
  }

  /** Answers the challenge as `device` and reads up to `ready` (skipping nothing else). */
  async login(device: TestDevice): Promise<void> {
    const challenge = await this.readWireFrame()
    if (challenge.type !== 'challenge') throw new Error(`expected a challenge, got ${challenge.type}`)
    const signature = signLogin(device, challenge.origin, challenge.nonce)
    await this.send({ type: 'login', deviceId: device.deviceId, signature })
    const ready = await this.readWireFrame()
    if (ready.type !== 'ready') throw new Error(`expected ready, got ${ready.type}`)
  }

  close(): void {
    try {
      this.conn.close()
    } catch {
      // already closed
    }
  }
}
