/**
 * The engine's RelayConnection against real Deno WebSocket servers, with a virtual clock: the
 * test runs each timer the connection sets in order, waiting for real socket traffic to settle
 * before advancing, so ten virtual minutes of reconnecting take about a second (issue 4).
 * - a relay that accepts and closes at once sees each client back off to one try per 20–30 s;
 * - so does one that logs the client in and then drops it (backoff resets only when healthy);
 * - a half-open socket (the relay stops answering) is replaced within a minute.
 */
import assert from 'node:assert/strict'
import { decodeFrame, encodeFrame } from '../../relay/wire/frames.ts'
import { BACKOFF_JITTER, BACKOFF_MAX_MS, RelayConnection, type Timers } from './connection.ts'
import { seededRandom } from '../../test/seeded-random.ts'

/** Timers whose time moves only when the test runs the next one. */
class VirtualClock implements Timers {
  time = 0
  #next = 1
  #queue: { at: number; id: number; fn: () => void }[] = []
  readonly random: () => number

  constructor(seed: number) {
    this.random = seededRandom(seed)
  }

  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.#next++
    this.#queue.push({ at: this.time + ms, id, fn })
    return id
  }

  clearTimeout = (id: unknown): void => {
    this.#queue = this.#queue.filter((t) => t.id !== id)
  }

  now = (): number => this.time

  /** Runs the earliest timer, moving the clock to it; false when none is set. */
  runNext(): boolean {
    if (this.#queue.length === 0) return false
    this.#queue.sort((a, b) => a.at - b.at || a.id - b.id)
    const t = this.#queue.shift()!
    this.time = Math.max(this.time, t.at)
    t.fn()
    return true
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits (real time) until no socket the clients opened is still connecting or open. */
async function settle(open: () => number): Promise<void> {
  const end = Date.now() + 5_000
  while (open() > 0) {
    if (Date.now() > end) throw new Error('sockets did not settle')
    await sleep(2)
  }
  await sleep(2) // let the connection's own close handler schedule its retry
}

type Behaviour = 'close-at-once' | 'ready-then-close' | 'ready-then-silent'

/** A Deno server that records, per client (?c=N), the virtual time of each accepted socket. */
function startServer(behaviour: Behaviour, clock: VirtualClock) {
  const tries = new Map<string, number[]>()
  const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, (req) => {
    const id = new URL(req.url).searchParams.get('c') ?? '?'
    tries.set(id, [...(tries.get(id) ?? []), clock.time])
    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 0 })
    socket.binaryType = 'arraybuffer'
    socket.onopen = () => {
      if (behaviour === 'close-at-once') return socket.close(1011)
      const origin = new URL(req.url).origin
      socket.send(encodeFrame({ type: 'challenge', nonce: new Uint8Array(32), origin }))
    }
    socket.onmessage = (e) => {
      const d = decodeFrame(new Uint8Array(e.data as ArrayBuffer))
      if (!d.ok || d.frame.type !== 'login') return // silent: pings are never answered
      socket.send(encodeFrame({ type: 'ready', deviceId: d.frame.deviceId, userId: 'u', role: 'member' }))
      if (behaviour === 'ready-then-close') socket.close(1011)
    }
    return response
  })
  return { tries, url: `ws://127.0.0.1:${server.addr.port}/ws`, close: () => server.shutdown() }
}

function startClients(n: number, url: string, clock: VirtualClock) {
  let open = 0
  const states: { state: string; at: number }[][] = []
  const connections = Array.from({ length: n }, (_, i) => {
    states.push([])
    const c = new RelayConnection({
      url: `${url}?c=${i}`,
      deviceId: `device-${i}`,
      signingSecretKey: new Uint8Array(32).fill(i + 1),
      onFrame: () => {},
      onState: (state) => states[i]!.push({ state, at: clock.time }),
      timers: clock,
      createSocket: (u) => {
        const ws = new WebSocket(u)
        open++
        ws.addEventListener('close', () => open--)
        return ws
      },
    })
    c.start()
    return c
  })
  return { connections, states, open: () => open }
}

/** Runs the virtual clock until `until` ms, settling real sockets before each timer. */
async function runUntil(clock: VirtualClock, until: number, open: () => number): Promise<void> {
  for (;;) {
    await settle(open)
    if (clock.time >= until || !clock.runNext()) return
  }
}

const MINUTE = 60_000
const MIN_STEADY_GAP = BACKOFF_MAX_MS * (1 - BACKOFF_JITTER)

async function assertNoStorm(behaviour: Behaviour): Promise<void> {
  const clock = new VirtualClock(7)
  const server = startServer(behaviour, clock)
  const clients = startClients(4, server.url, clock)
  try {
    await runUntil(clock, 10 * MINUTE, clients.open)
    for (let i = 0; i < 4; i++) {
      const times = server.tries.get(String(i)) ?? []
      const gaps = times.slice(1).map((t, k) => t - times[k]!)
      // The ramp (0.5 s, 1 s, 2 s … 30 s) is over within the first minute and a half…
      const steady = gaps.filter((_, k) => times[k]! >= 1.5 * MINUTE)
      assert.ok(steady.length >= 10, `client ${i} kept trying: ${steady.length}`)
      // …after which every try is 20–30 s after the one before: one per ~30 s, never a storm.
      for (const g of steady) assert.ok(g >= MIN_STEADY_GAP && g <= BACKOFF_MAX_MS, `gap ${g} ms`)
      assert.ok(times.length <= 8 + (10 * MINUTE) / MIN_STEADY_GAP, `client ${i}: ${times.length} tries`)
      // Gaps never shrink by more than the jitter allows: backoff was never reset.
      for (let k = 1; k < gaps.length; k++) assert.ok(gaps[k]! >= gaps[k - 1]! * (1 - BACKOFF_JITTER) / 1.01)
    }
  } finally {
    for (const c of clients.connections) c.stop()
    await settle(clients.open)
    await server.close()
  }
}

Deno.test('against a relay that accepts and closes at once, each client backs off to one try per 20–30 s', () =>
  assertNoStorm('close-at-once'))

Deno.test('against a relay that logs clients in and drops them at once, backoff is not reset: no storm either', () =>
  assertNoStorm('ready-then-close'))

Deno.test('a half-open socket (the relay stops answering) is found and replaced within a minute', async () => {
  const clock = new VirtualClock(3)
  const server = startServer('ready-then-silent', clock)
  const clients = startClients(1, server.url, clock)
  try {
    // Run until the connection went online, then offline again (or give up after 5 minutes).
    for (;;) {
      await sleep(20)
      const states = clients.states[0]!
      const online = states.find((s) => s.state === 'online')
      const offline = online && states.find((s) => s.state === 'offline' && s.at >= online.at)
      if (offline) {
        assert.ok(offline.at - online.at <= MINUTE, `took ${offline.at - online.at} ms`)
        assert.ok(offline.at - online.at >= 40_000, 'not before the silence limit')
        break
      }
      assert.ok(clock.time < 5 * MINUTE, 'the half-open socket was never replaced')
      clock.runNext()
    }
    assert.equal(server.tries.get('0')?.length, 1)
    // It reconnects afterwards.
    const deadline = clock.time + MINUTE
    while ((server.tries.get('0')?.length ?? 0) < 2) {
      assert.ok(clock.time < deadline, 'no reconnect')
      clock.runNext()
      await sleep(20)
    }
  } finally {
    clients.connections[0]!.stop()
    await sleep(20)
    await server.close()
  }
})
