/**
 * Relay-side liveness (relay/limits.ts IDLE_TIMEOUT_MS): the relay pings a silent socket and
 * closes it when no pong comes, so a half-open connection is found; a client that answers pings
 * (every WebSocket implementation does) stays connected however quiet it is. The timeout is set
 * to one second here; the default is 40 s, under the one minute issue 4 asks for.
 */
import { IDLE_TIMEOUT_MS } from '../limits.ts'
import { assert, assertEquals } from '../storage/_assert.ts'
import { RawSocket } from '../testing/raw-socket.ts'
import { TestClient } from '../testing/test-client.ts'
import { startTestRelay } from '../testing/test-relay.ts'

const OP_PING = 9

async function waitUntil(check: () => boolean, ms: number): Promise<number> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
  return Date.now() - started
}

Deno.test('the default idle timeout finds a half-open socket within a minute', () => {
  assert(IDLE_TIMEOUT_MS <= 60_000)
})

Deno.test('a logged-in socket that never answers the relay\'s pings is closed; one that answers stays', async () => {
  const t = await startTestRelay({ limits: { idleTimeoutMs: 1000 } })
  try {
    const healthy = await TestClient.loggedIn(t.url, t.admin)
    const silent = await RawSocket.open(t.url)
    await silent.login(t.admin)
    assertEquals(t.relay.metrics.get('wardline_connections_authenticated'), 2)
    // The relay pings the quiet socket (seen here, never answered)…
    // (after the frames that follow a login, such as the offline lease)
    let ping = await silent.readFrame()
    while (ping.opcode !== OP_PING) ping = await silent.readFrame()
    assertEquals(ping.opcode, OP_PING)
    // …and closes it: a half-open peer is gone within the timeout plus scheduling.
    const took = await waitUntil(() => t.relay.metrics.get('wardline_connections_authenticated') === 1, 3_000)
    assert(took < 2_000, `took ${took} ms`)
    // Quiet for three timeouts, but answering pings: still connected and served.
    await new Promise((r) => setTimeout(r, 3_000))
    healthy.send({ type: 'ping', nonce: 9 })
    assertEquals(await healthy.waitFor('pong'), { type: 'pong', nonce: 9 })
    silent.close()
    await healthy.close()
  } finally {
    await t.close()
  }
})
