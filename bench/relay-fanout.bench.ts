/**
 * Fan-out through one relay: a sender sends 256-byte sealed envelopes as fast as acknowledgements
 * allow (16 in flight) into one conversation with N subscribed devices, for a fixed time; the
 * baseline is a plain Deno WebSocket broadcast server (no storage, no login) driven the same way
 * (it acks each frame after broadcasting it). Both servers run as their own processes; the
 * clients run here. Prints one JSON line. Not the full issue-4 bench (rooms of 2 and 10 at up to
 * 1,000 devices, latency pass, memory per idle connection): see bench/README.md.
 *
 *   deno run -A bench/relay-fanout.bench.ts [subscribers=2,10,50] [seconds=3]
 */
import { toBase64url } from '../crypto/bytes.ts'
import {
  createAuthorization,
  createDevice,
  createTestConversation,
  createTestOrg,
  sealTestEnvelope,
  type TestDevice,
} from '../relay/testing/fixtures.ts'
import { TestClient } from '../relay/testing/test-client.ts'
import { encodeFrame } from '../relay/wire/frames.ts'

const SIZES = (Deno.args[0] ?? '2,10,50').split(',').map(Number)
const SECONDS = Number(Deno.args[1] ?? 3)
const WINDOW = 16
const PAYLOAD = 256
const SETUP_CODE = 'BENC-HSET-UP00'

/** Starts `script` as a process with `env`; resolves with its http URL once it prints it. */
async function spawn(script: string, env: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ['run', '-A', new URL(script, import.meta.url).pathname],
    env: { DENO_NO_UPDATE_CHECK: '1', PORT: '0', WARDLINE_HOST: '127.0.0.1', ...env },
    stdout: 'piped',
    stderr: 'null',
  }).spawn()
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader()
  let text = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`${script} exited`)
    text += value
    const m = text.match(/listening on (http:\/\/\S+)/)
    if (m) {
      void (async () => { while (!(await reader.read()).done); })()
      return { url: m[1]!, stop: async () => (child.kill('SIGTERM'), await child.status) }
    }
  }
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

/** Sets up an organisation on a fresh relay and enrolls `n` subscriber devices. */
async function enrollAll(url: string, n: number): Promise<{ admin: TestDevice; devices: TestDevice[] }> {
  const org = createTestOrg()
  const admin = createDevice(createAuthorization(org, { userId: 'admin', role: 'admin' }))
  const setup = await post(`${url}/api/setup`, {
    setupCode: SETUP_CODE,
    rootPublicKey: toBase64url(org.root.publicKey),
    authorization: toBase64url(admin.authorization.blob),
    binding: toBase64url(admin.binding),
    complianceCertificate: toBase64url(org.complianceCertificate),
  })
  if (!setup.ok) throw new Error(`setup failed: ${setup.status}`)
  const a = await TestClient.loggedIn(url, admin)
  const devices: TestDevice[] = []
  for (let i = 0; i < n; i++) {
    const auth = createAuthorization(org, { userId: `u${i}` })
    a.send({ type: 'putAuthorization', ref: `p${i}`, authorization: auth.blob })
    await a.waitFor('ack', 10_000)
    const d = createDevice(auth)
    const r = await post(`${url}/api/devices`, { authorizationId: auth.id, binding: toBase64url(d.binding) })
    if (!r.ok) throw new Error(`enroll failed: ${r.status}`)
    devices.push(d)
  }
  a.send({ type: 'createConversation', ref: 'c', ...createTestConversation(admin, devices, 'bench') })
  await a.waitFor('ack', 10_000)
  await a.close()
  return { admin, devices }
}

/**
 * Sends `frames` in order, WINDOW in flight, until SECONDS pass or they run out, and counts the
 * messages the subscribers receive meanwhile (frames are made beforehand: sealing is the
 * device's cost, not the relay's).
 */
async function drive(subscribers: WebSocket[], sender: WebSocket, frames: Uint8Array[]) {
  let deliveries = 0
  let counting = false
  for (const s of subscribers) s.addEventListener('message', () => counting && deliveries++)
  let sent = 0
  let acked = 0
  const started = performance.now()
  const end = started + SECONDS * 1000
  const next = () => sender.send(frames[sent++] as Uint8Array<ArrayBuffer>)
  await new Promise<void>((resolve) => {
    sender.addEventListener('message', () => {
      acked++
      if (performance.now() < end && sent < frames.length) next()
      else if (acked === sent) resolve()
    })
    counting = true
    for (let i = 0; i < WINDOW; i++) next()
  })
  const seconds = (performance.now() - started) / 1000
  await new Promise((r) => setTimeout(r, 200)) // the last fan-outs
  return { sent, deliveriesPerSec: Math.round(deliveries / seconds), framesExhausted: sent === frames.length }
}

/** Frames made before a run: at most this many (a run that uses them all ends early). */
const MAX_FRAMES = 4000

async function runRelay(n: number) {
  const dataDir = await Deno.makeTempDir({ prefix: 'wardline-bench-' })
  const relay = await spawn('../relay/main.ts', {
    WARDLINE_DATA: dataDir,
    WARDLINE_STATIC: `${dataDir}/none`,
    WARDLINE_SETUP_CODE: SETUP_CODE,
    WARDLINE_MESSAGES_PER_SECOND: '0',
  })
  try {
    const { admin, devices } = await enrollAll(relay.url, n)
    const subs = await Promise.all(devices.map(async (d) => {
      const c = await TestClient.loggedIn(relay.url, d)
      c.send({ type: 'subscribe', conversationId: 'bench', since: 0 })
      await c.waitFor('caughtUp', 10_000)
      c.ws.onmessage = null
      return c.ws
    }))
    const sender = await TestClient.loggedIn(relay.url, admin)
    sender.ws.onmessage = null
    const frames = Array.from({ length: MAX_FRAMES }, (_, i) =>
      encodeFrame({ type: 'send', ref: `r${i}`, conversationId: 'bench', envelope: sealTestEnvelope(admin, 'bench', i, 0, PAYLOAD) }))
    const result = await drive(subs, sender.ws, frames)
    for (const s of [...subs, sender.ws]) s.close()
    return result
  } finally {
    await relay.stop()
    await Deno.remove(dataDir, { recursive: true })
  }
}

async function runBaseline(n: number) {
  const server = await spawn('./_broadcast-server.ts', {})
  try {
    const open = () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(server.url.replace('http', 'ws'))
        ws.binaryType = 'arraybuffer'
        ws.onopen = () => resolve(ws)
        ws.onerror = () => reject(new Error('baseline connect failed'))
      })
    const subs = await Promise.all(Array.from({ length: n }, open))
    const sender = await open()
    const payload = new Uint8Array(PAYLOAD + 150) // about a sealed envelope's size
    const result = await drive(subs, sender, Array.from({ length: 1_000_000 }, () => payload))
    for (const s of [...subs, sender]) s.close()
    return result
  } finally {
    await server.stop()
  }
}

const runs = []
for (const n of SIZES) {
  const wardline = await runRelay(n)
  const baseline = await runBaseline(n)
  runs.push({
    subscribers: n,
    deliveriesPerSec: wardline.deliveriesPerSec,
    baselineDeliveriesPerSec: baseline.deliveriesPerSec,
    ratio: Math.round((wardline.deliveriesPerSec / baseline.deliveriesPerSec) * 100) / 100,
  })
}
console.log(JSON.stringify({ bench: 'relay-fanout', runtime: `deno ${Deno.version.deno}`, seconds: SECONDS, envelopeBytes: PAYLOAD, runs }))
