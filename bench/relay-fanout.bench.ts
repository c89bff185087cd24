/**
 * `npm run bench:relay` (issue 4): Wardline's relay (its own process, durable SQLite) against a
 * plain Deno WebSocket broadcast server (`_broadcast-server.ts`: no storage, no login, rooms by
 * URL), same machine, same load, same run. For every (devices, roomSize): N devices in N/roomSize
 * rooms, 256-byte envelopes (sealed beforehand: sealing is the device's cost, not the relay's).
 *
 *   throughput  every device sends into its room as fast as its acknowledgements allow (one in
 *               flight each) for SECONDS; deliveries are counted at the devices (all here);
 *   latency     a second pass offers half of Wardline's measured send rate, spread over the
 *               devices, timing send → each delivery (joined through the ack's seq);
 *   memory      the relay's RSS growth with N idle authenticated, subscribed devices ÷ N.
 *
 * The baseline acknowledges each frame after broadcasting it to its room, so both are driven the
 * same way. The last stdout line is `{"runs":[{devices, roomSize, deliveriesPerSec,
 * baselineDeliveriesPerSec, ratio, p50Ms, p99Ms, bytesPerIdleConnection}, …]}` plus context.
 * `npm run bench:relay` raises the open-file limit first (1,000 devices need ~2,000 sockets here).
 *
 *   deno run -A bench/relay-fanout.bench.ts [devices=10,100] [roomSizes=2,10] [seconds=3]
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
import { decodeFrame, encodeFrame } from '../relay/wire/frames.ts'

const DEVICES = (Deno.args[0] ?? '10,100').split(',').map(Number)
const ROOM_SIZES = (Deno.args[1] ?? '2,10').split(',').map(Number)
const SECONDS = Number(Deno.args[2] ?? 3)
const PAYLOAD = 256
const SETUP_CODE = 'BENC-HSET-UP00'
/** Envelopes sealed per device for the throughput pass (a device that runs out stops sending). */
const THROUGHPUT_FRAMES_TOTAL = 9000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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
      return { url: m[1]!, pid: child.pid, stop: async () => (child.kill('SIGTERM'), await child.status) }
    }
  }
}

/** Resident memory of a process, from /proc (Linux). */
function rssBytes(pid: number): number {
  const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+) kB/)
  return m ? Number(m[1]) * 1024 : 0
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

async function pool<T, R>(items: T[], size: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }))
  return out
}

const roomOf = (i: number, roomSize: number) => `room${Math.floor(i / roomSize)}`

/** Sets up an organisation, enrolls `n` devices and puts them in rooms of `roomSize` (the admin creates each). */
async function enrollAll(url: string, n: number, roomSize: number): Promise<TestDevice[]> {
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
  for (let k = 0; k * roomSize < n; k++) {
    const members = devices.slice(k * roomSize, (k + 1) * roomSize)
    a.send({ type: 'createConversation', ref: `c${k}`, ...createTestConversation(admin, members, `room${k}`) })
    await a.waitFor('ack', 10_000)
  }
  await a.close()
  return devices
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? +sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2) : 0

async function runRelay(n: number, roomSize: number) {
  const dataDir = await Deno.makeTempDir({ prefix: 'wardline-bench-' })
  const relay = await spawn('../relay/main.ts', {
    WARDLINE_DATA: dataDir,
    WARDLINE_STATIC: `${dataDir}/none`,
    WARDLINE_SETUP_CODE: SETUP_CODE,
    WARDLINE_MESSAGES_PER_SECOND: '0',
  })
  try {
    const devices = await enrollAll(relay.url, n, roomSize)
    console.error(`bench: ${n} devices in rooms of ${roomSize} enrolled`)
    await sleep(300)
    const rssBefore = rssBytes(relay.pid)
    const clients = await pool(devices, 8, async (d, i) => {
      const c = await TestClient.loggedIn(relay.url, d)
      c.send({ type: 'subscribe', conversationId: roomOf(i, roomSize), since: 0 })
      await c.waitFor('caughtUp', 30_000)
      return c
    })
    await sleep(1000)
    const bytesPerIdleConnection = Math.round((rssBytes(relay.pid) - rssBefore) / n)

    console.error(`bench: ${n} devices logged in and subscribed`)
    // Pass 1: throughput, one send in flight per device.
    const perDevice = Math.max(20, Math.ceil(THROUGHPUT_FRAMES_TOTAL / n))
    let counter = 0
    const frames = devices.map((d, i) =>
      Array.from({ length: perDevice }, (_, k) =>
        encodeFrame({ type: 'send', ref: `t${k}`, conversationId: roomOf(i, roomSize), envelope: sealTestEnvelope(d, roomOf(i, roomSize), ++counter, 0, PAYLOAD) }) as Uint8Array<ArrayBuffer>)
    )
    let deliveries = 0
    let exhausted = false
    let sends = 0
    const end = performance.now() + SECONDS * 1000
    const started = performance.now()
    await Promise.all(clients.map((c, i) =>
      new Promise<void>((resolve) => {
        let next = 0
        c.ws.onmessage = (e) => {
          const d = decodeFrame(new Uint8Array(e.data as ArrayBuffer))
          if (!d.ok) return
          if (d.frame.type === 'envelope') deliveries++
          else if (d.frame.type === 'error') throw new Error(`relay refused a send: ${JSON.stringify(d.frame)}`)
          else if (d.frame.type === 'ack') {
            if (performance.now() < end && next < perDevice) {
              c.ws.send(frames[i]![next++]!)
              sends++
            } else {
              if (next >= perDevice) exhausted = true
              resolve()
            }
          }
        }
        c.ws.send(frames[i]![next++]!)
        sends++
      })
    ))
    const seconds = (performance.now() - started) / 1000
    await sleep(300)
    const deliveriesPerSec = Math.round(deliveries / seconds)
    const sendsPerSec = sends / seconds

    // Pass 2: latency at half the measured send rate, spread round-robin over the devices.
    const rate = sendsPerSec / 2
    const total = Math.max(1, Math.round(rate * SECONDS))
    const plan = Array.from({ length: total }, (_, k) => {
      const i = k % n
      return { i, frame: encodeFrame({ type: 'send', ref: `l${k}`, conversationId: roomOf(i, roomSize), envelope: sealTestEnvelope(devices[i]!, roomOf(i, roomSize), ++counter, 0, PAYLOAD) }) as Uint8Array<ArrayBuffer> }
    })
    const sentAt = new Map<string, number>() // ref → send time
    const seqOfRef = new Map<string, string>() // ref → "room/seq"
    const arrivals = new Map<string, number[]>() // "room/seq" → delivery times
    clients.forEach((c) => {
      c.ws.onmessage = (e) => {
        const d = decodeFrame(new Uint8Array(e.data as ArrayBuffer))
        if (!d.ok) return
        const f = d.frame
        if (f.type === 'envelope') {
          const key = `${f.conversationId}/${f.seq}`
          const list = arrivals.get(key) ?? []
          list.push(performance.now())
          arrivals.set(key, list)
        } else if (f.type === 'ack') seqOfRef.set(f.ref, `${f.conversationId}/${f.seq}`)
      }
    })
    const t0 = performance.now()
    let k = 0
    while (k < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1)
      for (; k < due; k++) {
        const { i, frame } = plan[k]!
        sentAt.set(`l${k}`, performance.now())
        clients[i]!.ws.send(frame)
      }
      await sleep(2)
    }
    await sleep(1000)
    const latencies: number[] = []
    for (const [ref, at] of sentAt) {
      const key = seqOfRef.get(ref)
      for (const t of (key && arrivals.get(key)) || []) latencies.push(t - at)
    }
    latencies.sort((a, b) => a - b)
    for (const c of clients) c.ws.close()
    return {
      deliveriesPerSec,
      sendsPerSec,
      exhausted,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      latencySamples: latencies.length,
      bytesPerIdleConnection,
    }
  } finally {
    await relay.stop()
    await Deno.remove(dataDir, { recursive: true })
  }
}

async function runBaseline(n: number, roomSize: number) {
  const server = await spawn('./_broadcast-server.ts', {})
  try {
    const open = (i: number) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`${server.url.replace('http', 'ws')}/?room=${roomOf(i, roomSize)}`)
        ws.binaryType = 'arraybuffer'
        ws.onopen = () => resolve(ws)
        ws.onerror = () => reject(new Error('baseline connect failed'))
      })
    const sockets = await pool(Array.from({ length: n }, (_, i) => i), 8, (i) => open(i))
    await sleep(200)
    const payload = new Uint8Array(PAYLOAD + 150) // about a sealed envelope's size
    let deliveries = 0
    const end = performance.now() + SECONDS * 1000
    const started = performance.now()
    await Promise.all(sockets.map((ws) =>
      new Promise<void>((resolve) => {
        ws.onmessage = (e) => {
          if ((e.data as ArrayBuffer).byteLength > 1) deliveries++
          else if (performance.now() < end) ws.send(payload)
          else resolve()
        }
        ws.send(payload)
      })
    ))
    const seconds = (performance.now() - started) / 1000
    for (const ws of sockets) ws.close()
    return { deliveriesPerSec: Math.round(deliveries / seconds) }
  } finally {
    await server.stop()
  }
}

const runs = []
for (const devices of DEVICES) {
  for (const roomSize of ROOM_SIZES) {
    if (roomSize > devices) continue
    const wardline = await runRelay(devices, roomSize)
    const baseline = await runBaseline(devices, roomSize)
    const run = {
      devices,
      roomSize,
      deliveriesPerSec: wardline.deliveriesPerSec,
      baselineDeliveriesPerSec: baseline.deliveriesPerSec,
      ratio: Math.round((wardline.deliveriesPerSec / baseline.deliveriesPerSec) * 100) / 100,
      p50Ms: wardline.p50Ms,
      p99Ms: wardline.p99Ms,
      bytesPerIdleConnection: wardline.bytesPerIdleConnection,
    }
    console.error(JSON.stringify({ ...run, sendsPerSec: Math.round(wardline.sendsPerSec), latencySamples: wardline.latencySamples, framesExhausted: wardline.exhausted }))
    runs.push(run)
  }
}
console.log(JSON.stringify({ bench: 'relay', runtime: `deno ${Deno.version.deno}`, seconds: SECONDS, envelopeBytes: PAYLOAD, runs }))
