/**
 * Frame fuzzing (issue 4, RELIABILITY "frame fuzzing"): 100,000 random and mutated frames per
 * run (WARDLINE_FUZZ_FRAMES for longer runs, WARDLINE_FUZZ_SEED to replay one) through the real
 * Session, hub and SQLite storage, in process over a stand-in socket so it runs in seconds.
 * Seeds are real, signed frames of every device → relay type (and relay → device ones); mutants
 * flip, truncate, extend, retag and splice them. Every frame must end in a reply, an error frame
 * or a close — never a throw past the session, an unhandled rejection, or `relay/internal`.
 */
import { soloBus } from '../bus/bus.ts'
import { createAuditHook } from '../audit/hook.ts'
import { signAuditClaim } from '../../crypto/audit.ts'
import { DEFAULT_LIMITS } from '../limits.ts'
import { silentLog } from '../log.ts'
import { Metrics } from '../metrics.ts'
import { assert } from '../storage/_assert.ts'
import { openSqliteStorage } from '../storage/sqlite.ts'
import { seededRandom } from '../../test/seeded-random.ts'
import {
  createAuthorization,
  createTestOrg,
  createTestCommit,
  createTestConversation,
  sealTestEnvelope,
  signLogin,
  signTestReceipt,
  signTestRevocation,
  type TestDevice,
} from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { startTestRelay } from '../testing/test-relay.ts'
import { decodeFrame, encodeFrame, type Frame, FRAME_TYPES, MAX_FRAME_BYTES } from '../wire/frames.ts'
import type { RelayDeps } from './context.ts'
import { Hub } from './hub.ts'
import { DeviceRateLimiter } from './rate-limit.ts'
import { Session } from './session.ts'

const FRAMES = Number(Deno.env.get('WARDLINE_FUZZ_FRAMES') ?? 100_000)
const SEED = Number(Deno.env.get('WARDLINE_FUZZ_SEED') ?? Date.now() % 2 ** 31)
const ORIGIN = 'https://fuzz.example'

/** The WebSocket surface Session uses, recording what it sends and how it closes. */
class StandInSocket {
  binaryType = 'arraybuffer'
  readyState: number = WebSocket.OPEN
  bufferedAmount = 0
  replies = 0
  closedWith = 0
  internal = 0
  onopen: (() => void) | null = null
  onmessage: ((e: { data: unknown }) => void) | null = null
  onclose: (() => void) | null = null
  onerror: (() => void) | null = null
  challenge: Uint8Array | null = null

  send(bytes: Uint8Array): void {
    this.replies++
    const d = decodeFrame(bytes)
    if (!d.ok) throw new Error('the relay sent an undecodable frame')
    if (d.frame.type === 'challenge') this.challenge = d.frame.nonce
    if (d.frame.type === 'error' && d.frame.code === 'relay/internal') this.internal++
  }

  close(code: number): void {
    this.closedWith = code
    this.readyState = WebSocket.CLOSED
    this.onclose?.()
  }
}

/** Real signed frames of every type a device may send, plus relay → device ones. */
function seeds(admin: TestDevice, nurse: TestDevice, victim: TestDevice, genesis: Uint8Array): Frame[] {
  const conv = createTestConversation(admin, [nurse], 'fz-new')
  const commit = createTestCommit(admin, { conversationId: 'c1', epoch: 1, prev: genesis, devices: [admin, nurse] })
  return [
    { type: 'send', ref: 's', conversationId: 'c1', envelope: sealTestEnvelope(admin, 'c1', 1) },
    { type: 'subscribe', conversationId: 'c1', since: 1_000_000 },
    { type: 'receipt', conversationId: 'c1', receipt: signTestReceipt(admin, 'c1', 1, 1) },
    { type: 'createConversation', ref: 'cc', ...conv },
    { type: 'commit', ref: 'cm', conversationId: 'c1', entry: commit.entry },
    { type: 'revokeDevice', ref: 'rv', revocation: signTestRevocation(victim.deviceId, admin) },
    // Signed by another organisation's root: must be refused.
    { type: 'putAuthorization', ref: 'pa', authorization: createAuthorization(createTestOrg(), { userId: 'z' }).blob },
    { type: 'putPolicy', ref: 'pp', policy: new Uint8Array(40) },
    { type: 'putSnapshot', ref: 'ps', conversationId: 'c1', seq: 1, index: 0, count: 1, part: new Uint8Array(64) },
    { type: 'putKeyBackup', ref: 'kb', backup: new Uint8Array(96) },
    { type: 'getKeyBackup', ref: 'gk' },
    { type: 'putAuditEvent', ref: 'au', ...signAuditClaim({ deviceId: admin.deviceId, event: 'breakglass.open', time: Date.now(), fields: { conversation: 'c1' } }, admin.signing.secretKey) },
    { type: 'getAuditHead', ref: 'ah' },
    { type: 'getAuditRecords', ref: 'ar', since: 0, limit: 10 },
    { type: 'snapshotPart', conversationId: 'c1', seq: 1, index: 0, count: 1, part: new Uint8Array(8) },
    { type: 'getDirectory' },
    { type: 'ping', nonce: 5 },
    { type: 'login', deviceId: admin.deviceId, signature: new Uint8Array(64) },
    { type: 'ack', ref: 'x', conversationId: 'c1', seq: 1 },
    { type: 'envelope', conversationId: 'c1', seq: 3, envelope: new Uint8Array(8) },
  ]
}

function mutate(bytes: Uint8Array, rnd: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(rnd() * n)
  switch (pick(7)) {
    case 0: { // flip a few bytes
      const out = bytes.slice()
      for (let i = 0, n = 1 + pick(4); i < n && out.length > 0; i++) {
        const k = pick(out.length)
        out[k] = out[k]! ^ (1 + pick(255))
      }
      return out
    }
    case 1: return bytes.slice(0, pick(bytes.length + 1)) // truncate
    case 2: { // extend with random bytes
      const out = new Uint8Array(bytes.length + 1 + pick(32))
      out.set(bytes)
      crypto.getRandomValues(out.subarray(bytes.length))
      return out
    }
    case 3: { // another type tag (valid or not)
      const out = bytes.slice()
      if (out.length > 0) out[0] = pick(FRAME_TYPES.length + 4)
      return out
    }
    case 4: { // a huge length prefix right after the tag
      const out = new Uint8Array(bytes.length + 5)
      out[0] = bytes[0] ?? 0
      out.set([0xff, 0xff, 0xff, 0xff, 0x0f], 1)
      out.set(bytes.subarray(1), 6)
      return out
    }
    case 5: return crypto.getRandomValues(new Uint8Array(pick(64))) // noise
    default: return bytes // the valid seed itself
  }
}

Deno.test(`${FRAMES} random and mutated frames: every one answered or closed, nothing thrown (seed ${SEED})`, async () => {
  // In memory when the machine has /dev/shm: the fuzz is about parsing and handling, not fsync.
  const shm = await Deno.stat('/dev/shm').then((s) => s.isDirectory, () => false)
  const dir = await Deno.makeTempDir({ prefix: 'wardline-fuzz-', ...(shm ? { dir: '/dev/shm' } : {}) })
  const storage = await openSqliteStorage(dir)
  const t = await startTestRelay({ storage })
  let unhandled = 0
  const onUnhandled = (e: PromiseRejectionEvent) => {
    unhandled++
    e.preventDefault()
  }
  globalThis.addEventListener('unhandledrejection', onUnhandled)
  try {
    const nurse = await t.enroll('nurse')
    const victim = await t.enroll('victim')
    const genesisFrame = createTestConversation(t.admin, [nurse], 'c1')
    const c = await TestClient.loggedIn(t.url, t.admin)
    c.send({ type: 'createConversation', ref: 'c', ...genesisFrame })
    await c.waitFor('ack')
    await c.close()
    await t.relay.close() // the fuzz drives sessions in process on the same data directory
    const reopened = await openSqliteStorage(dir)
    const deps: RelayDeps = {
      storage: reopened,
      hub: new Hub((id, since, limit) => reopened.envelopesSince(id, since, limit)),
      log: silentLog,
      bus: soloBus(),
      metrics: new Metrics(),
      limits: { ...DEFAULT_LIMITS },
      sendRate: new DeviceRateLimiter(0, 0),
      audit: createAuditHook(reopened, silentLog),
    }
    const corpus = seeds(t.admin, nurse, victim, genesisFrame.manifest).map(encodeFrame)
    const rnd = seededRandom(SEED)
    const open = (): { socket: StandInSocket; session: Session } => {
      const socket = new StandInSocket()
      const session = new Session(socket as unknown as WebSocket, deps, { origin: ORIGIN, loginTimeoutMs: 60_000 })
      socket.onopen?.()
      return { socket, session }
    }
    const loggedIn = async () => {
      const s = open()
      const signature = signLogin(t.admin, ORIGIN, s.socket.challenge!)
      s.socket.onmessage?.({ data: encodeFrame({ type: 'login', deviceId: t.admin.deviceId, signature }).slice().buffer })
      await s.session.idle()
      assert(s.socket.closedWith === 0, `login failed with ${s.socket.closedWith}`)
      return s
    }
    let live = await loggedIn()
    let closes = 0
    for (let i = 0; i < FRAMES; i++) {
      const seed = corpus[Math.floor(rnd() * corpus.length)]!
      const frame = mutate(seed, rnd)
      const decoded = decodeFrame(frame)
      const decodes = decoded.ok
      // Undecodable frames close whichever session gets them: a fresh unauthenticated one
      // (cheap), so the logged-in session keeps taking the frames that reach the handlers.
      const target = decodes ? live : open()
      const before = target.socket.replies
      target.socket.onmessage?.({ data: frame.slice().buffer })
      await target.session.idle()
      // Receipts are the one frame the protocol does not acknowledge (stored or not).
      const answered = target.socket.replies > before || target.socket.closedWith !== 0 ||
        (decoded.ok && decoded.frame.type === 'receipt')
      const what = decoded.ok ? decoded.frame.type : 'undecodable'
      assert(answered, `frame ${i} (${what}, seed ${SEED}) got neither a reply nor a close`)
      if (target.socket.closedWith !== 0) closes++
      if (live.socket.closedWith !== 0) live = await loggedIn() // e.g. a second login
    }
    const oversized = open()
    oversized.socket.onmessage?.({ data: new ArrayBuffer(MAX_FRAME_BYTES + 1) })
    assert(oversized.socket.closedWith === 1009)
    assert(live.socket.internal === 0, 'a handler threw (relay/internal)')
    assert(unhandled === 0, `${unhandled} unhandled rejections`)
    assert(closes > FRAMES / 10, 'the mutants reached the close paths')
    await reopened.close()
  } finally {
    globalThis.removeEventListener('unhandledrejection', onUnhandled)
    await t.close()
    await Deno.remove(dir, { recursive: true })
  }
})
