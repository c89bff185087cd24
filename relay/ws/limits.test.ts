/**
 * Over-the-limit tests for the per-connection and per-device bounds of relay/limits.ts, each
 * against the real relay with the limit set small: frame size, send rate, connections per
 * device, unauthenticated connections per address, and the queue of frames not yet handled.
 */
import { assert, assertEquals } from '../storage/_assert.ts'
import type { RelayStorage } from '../storage/storage.ts'
import { openSqliteStorage } from '../storage/sqlite.ts'
import { sealTestEnvelope, type TestDevice } from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { startTestRelay } from '../testing/test-relay.ts'
import { withConversation } from '../testing/with-conversation.ts'
import { MAX_FRAME_BYTES } from '../limits.ts'
import { encodeFrame } from '../wire/frames.ts'

const sendFrame = (device: TestDevice, counter: number, payloadBytes = 0) => ({
  type: 'send' as const,
  ref: `r${counter}`,
  conversationId: 'c1',
  envelope: sealTestEnvelope(device, 'c1', counter, 0, payloadBytes),
})

/** Opens a WebSocket; resolves whether the relay accepted the upgrade. */
function tryConnect(url: string): Promise<WebSocket | null> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/ws')
  return new Promise((resolve) => {
    ws.onopen = () => resolve(ws)
    ws.onerror = () => resolve(null)
  })
}

const closed = (ws: WebSocket) =>
  new Promise<void>((r) => {
    if (ws.readyState === WebSocket.CLOSED) return r()
    ws.addEventListener('close', () => r())
    ws.close()
  })

Deno.test('an oversized frame closes with 1009 and is never processed, even when it starts like a valid send', () =>
  withConversation({}, async (t) => {
    const big = await TestClient.loggedIn(t.url, t.admin)
    // A real sealed envelope followed by padding: it would decode as a send if it were read.
    const sealed = sealTestEnvelope(t.admin, 'c1', 1)
    const envelope = new Uint8Array(MAX_FRAME_BYTES)
    envelope.set(sealed)
    const frame = encodeFrame({ type: 'send', ref: 'big', conversationId: 'c1', envelope })
    assert(frame.length > MAX_FRAME_BYTES)
    big.ws.send(frame)
    assertEquals((await big.closed).code, 1009)
    const reader = await TestClient.loggedIn(t.url, t.admin)
    reader.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    assertEquals(await reader.waitFor('caughtUp'), { type: 'caughtUp', conversationId: 'c1', seq: 0 })
    await reader.close()
  }))

Deno.test('sends over the per-device rate are refused with relay/rate-limited, not stored, and accepted once the bucket refills', () =>
  withConversation({ limits: { messagesPerSecond: 10, messageBurst: 3 } }, async (t) => {
    const c = await TestClient.loggedIn(t.url, t.admin)
    // A second connection of the same device shares the bucket: reconnecting does not refill it.
    const other = await TestClient.loggedIn(t.url, t.admin)
    for (let i = 1; i <= 3; i++) c.send(sendFrame(t.admin, i))
    for (let i = 1; i <= 3; i++) assertEquals((await c.waitFor('ack')).seq, i)
    other.send(sendFrame(t.admin, 4))
    assertEquals(await other.waitFor('error'), { type: 'error', code: 'relay/rate-limited', ref: 'r4' })
    c.send(sendFrame(t.admin, 5))
    assertEquals(await c.waitFor('error'), { type: 'error', code: 'relay/rate-limited', ref: 'r5' })
    assertEquals(t.relay.metrics.get('wardline_rate_limited_total'), 2)
    await new Promise((r) => setTimeout(r, 250)) // 2.5 tokens back
    c.send(sendFrame(t.admin, 4))
    c.send(sendFrame(t.admin, 5))
    assertEquals([(await c.waitFor('ack')).seq, (await c.waitFor('ack')).seq], [4, 5])
    // The socket stayed open and the log has no hole.
    c.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    const seqs = []
    for (let i = 0; i < 5; i++) seqs.push((await c.waitFor('envelope')).seq)
    assertEquals(seqs, [1, 2, 3, 4, 5])
    await Promise.all([c.close(), other.close()])
  }))

Deno.test('a device over its connection limit is refused with relay/too-many-connections and 4029', async () => {
  const t = await startTestRelay({ limits: { maxConnectionsPerDevice: 2 } })
  try {
    const nurse = await t.enroll('nurse')
    const a = await TestClient.loggedIn(t.url, t.admin)
    const b = await TestClient.loggedIn(t.url, t.admin)
    const c = await TestClient.connect(t.url)
    assertEquals(await c.login(t.admin), { type: 'error', code: 'relay/too-many-connections', ref: '' })
    assertEquals((await c.closed).code, 4029)
    // Another device is not affected, and a freed slot can be used again.
    const n = await TestClient.loggedIn(t.url, nurse)
    await a.close()
    const again = await TestClient.loggedIn(t.url, t.admin)
    await Promise.all([b.close(), n.close(), again.close()])
  } finally {
    await t.close()
  }
})

Deno.test('unauthenticated connections per address are capped with HTTP 429; logging in or timing out frees a slot', async () => {
  const t = await startTestRelay({ limits: { maxUnauthenticatedPerAddress: 2 }, loginTimeoutMs: 400 })
  try {
    const one = await TestClient.connect(t.url)
    const two = await TestClient.connect(t.url)
    assertEquals(await tryConnect(t.url), null)
    const refused = await fetch(`${t.url}/ws`, { headers: { upgrade: 'websocket' } })
    assertEquals([refused.status, await refused.json()], [429, { error: 'relay/too-many-unauthenticated' }])
    assert(t.relay.metrics.get('wardline_refused_upgrades_total', 'relay/too-many-unauthenticated') >= 2)
    // A logged-in connection no longer counts.
    assertEquals((await one.login(t.admin)).type, 'ready')
    const three = await TestClient.connect(t.url)
    assertEquals(await tryConnect(t.url), null)
    // The unauthenticated ones are timed out (4008), which frees their slots.
    assertEquals([(await two.closed).code, (await three.closed).code], [4008, 4008])
    const four = await tryConnect(t.url)
    assert(four !== null)
    await Promise.all([one.close(), closed(four)])
  } finally {
    await t.close()
  }
})

/** SQLite storage whose membership check waits, so received frames pile up in the queue. */
async function slowStorage(dir: string): Promise<RelayStorage> {
  const s = await openSqliteStorage(dir)
  const isMember = s.isMember.bind(s)
  s.isMember = async (c, d) => {
    await new Promise((r) => setTimeout(r, 30))
    return await isMember(c, d)
  }
  return s
}

Deno.test('a connection that sends faster than its frames are handled is closed with 1008 once the queue cap is reached', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-queue-' })
  try {
    await withConversation({ storage: await slowStorage(dir), limits: { maxQueuedBytes: 8 * 1024 } }, async (t) => {
      const flood = await TestClient.loggedIn(t.url, t.admin)
      for (let i = 1; i <= 20; i++) flood.send(sendFrame(t.admin, i, 1024))
      assertEquals((await flood.waitFor('error')).code, 'relay/rate-limited')
      // The client may see the close as abnormal (its unread frames make the relay's TCP reset):
      // the relay's own count says which code it closed with.
      await flood.closed
      assertEquals(t.relay.metrics.get('wardline_closes_total', '1008'), 1)
      // Others are unaffected.
      const calm = await TestClient.loggedIn(t.url, t.admin)
      calm.send({ type: 'ping', nonce: 3 })
      assertEquals(await calm.waitFor('pong'), { type: 'pong', nonce: 3 })
      await calm.close()
    })
  } finally {
    await Deno.remove(dir, { recursive: true })
  }
})
