/**
 * Bytes buffered per connection (relay/limits.ts MAX_BUFFERED_BYTES): a raw client that stops
 * reading while the relay pushes megabytes to it — live fan-out, then a catch-up backlog — is
 * dropped; the sender and a reading subscriber are unaffected; and the relay's queued bytes stay
 * within the cap plus one frame per connection the whole time.
 */
import { MAX_FRAME_BYTES } from '../limits.ts'
import type { LogFields } from '../log.ts'
import { assert, assertEquals } from '../storage/_assert.ts'
import { openSqliteStorage } from '../storage/sqlite.ts'
import { sealTestEnvelope, type TestDevice } from '../testing/fixtures.ts'
import { RawSocket } from '../testing/raw-socket.ts'
import { TestClient } from '../testing/test-client.ts'
import type { TestRelay } from '../testing/test-relay.ts'
import { withConversation } from '../testing/with-conversation.ts'

const CAP = 2 * MAX_FRAME_BYTES // the smallest cap the relay accepts (1 MiB)
const ENVELOPES = 60
const PAYLOAD = 200 * 1024 // 60 × 200 KiB = 12 MiB: more than the kernel's socket buffers hold

/** Relay options with a small cap, no send rate limit, and a log the test can read. */
function options(events: { event: string; fields: LogFields }[]) {
  return {
    limits: { maxBufferedBytes: CAP, messagesPerSecond: 0, slowReaderTimeoutMs: 500 },
    log: (event: string, fields: LogFields = {}) => events.push({ event, fields }),
  }
}

async function sendAll(t: TestRelay, from: TestDevice): Promise<void> {
  const c = await TestClient.loggedIn(t.url, from)
  for (let i = 1; i <= ENVELOPES; i++) {
    const envelope = sealTestEnvelope(from, 'c1', i, 0, PAYLOAD)
    c.send({ type: 'send', ref: `r${i}`, conversationId: 'c1', envelope })
    assertEquals((await c.waitFor('ack', 10_000)).seq, i)
  }
  await c.close()
}

/** A logged-in reader subscribed to c1 that collects every seq it receives. */
async function reader(t: TestRelay, device: TestDevice) {
  const c = await TestClient.loggedIn(t.url, device)
  c.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
  const seqs: number[] = []
  const done = (async () => {
    while (seqs.length < ENVELOPES) seqs.push((await c.waitFor('envelope', 10_000)).seq)
  })()
  return { c, seqs, done }
}

/** Samples the relay's queued bytes over all connections until stopped; returns the maximum. */
function sampleBuffered(t: TestRelay) {
  let max = 0
  const timer = setInterval(() => (max = Math.max(max, t.relay.metrics.get('wardline_buffered_bytes'))), 2)
  return () => (clearInterval(timer), max)
}

async function rawSubscriber(t: TestRelay, device: TestDevice): Promise<RawSocket> {
  const raw = await RawSocket.open(t.url)
  await raw.login(device)
  await raw.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
  return raw // and never reads again
}

Deno.test('a subscriber that stops reading during live fan-out is dropped; sender and other readers are unaffected; memory stays bounded', async () => {
  const events: { event: string; fields: LogFields }[] = []
  await withConversation(options(events), async (t, nurse) => {
    const raw = await rawSubscriber(t, nurse)
    const good = await reader(t, nurse)
    const stop = sampleBuffered(t)
    await sendAll(t, t.admin)
    await good.done
    const max = stop()
    assertEquals(good.seqs, Array.from({ length: ENVELOPES }, (_, i) => i + 1))
    assertEquals(t.relay.metrics.get('wardline_buffered_drops_total'), 1)
    const drop = events.find((e) => e.event === 'ws.slow-reader')
    assert(drop && Number(drop.fields.buffered) <= CAP + MAX_FRAME_BYTES, JSON.stringify(drop))
    // Three connections (raw, reader, sender): never more than the cap plus a frame each.
    assert(max <= 3 * (CAP + MAX_FRAME_BYTES), `buffered peaked at ${max}`)
    raw.close()
    await good.c.close()
  })
})

Deno.test('a catch-up backlog is paced by the reader: one that never reads is dropped after the slow-reader timeout, bounded', async () => {
  const events: { event: string; fields: LogFields }[] = []
  await withConversation(options(events), async (t, nurse) => {
    await sendAll(t, t.admin)
    const stop = sampleBuffered(t)
    const raw = await rawSubscriber(t, nurse)
    const good = await reader(t, nurse)
    await good.done
    const started = Date.now()
    while (t.relay.metrics.get('wardline_buffered_drops_total') === 0) {
      assert(Date.now() - started < 5_000, 'the slow reader was not dropped')
      await new Promise((r) => setTimeout(r, 20))
    }
    const max = stop()
    assertEquals(good.seqs.length, ENVELOPES)
    const drop = events.find((e) => e.event === 'ws.slow-reader')
    // Catch-up waits below a quarter of the cap before each frame.
    assert(drop && Number(drop.fields.buffered) <= CAP / 4 + MAX_FRAME_BYTES, JSON.stringify(drop))
    assert(max <= 2 * (CAP + MAX_FRAME_BYTES), `buffered peaked at ${max}`)
    raw.close()
    await good.c.close()
  })
})

Deno.test('a 10 MiB snapshot in a catch-up reaches a reading device at its own pace: it is not dropped as a slow reader', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-snap-' })
  try {
    const storage = await openSqliteStorage(dir)
    const limits = { maxBufferedBytes: CAP, messagesPerSecond: 0, slowReaderTimeoutMs: 2000 }
    await withConversation({ storage, limits, compactionGraceMs: 0, compactionIntervalMs: 0 }, async (t, nurse) => {
      const c = await TestClient.loggedIn(t.url, nurse)
      c.send({ type: 'send', ref: 'r', conversationId: 'c1', envelope: sealTestEnvelope(nurse, 'c1', 1) })
      await c.waitFor('ack')
      const parts = Array.from({ length: 40 }, (_, i) => new Uint8Array(256 * 1024).fill(i))
      await storage.putSnapshot({ conversationId: 'c1', seq: 1, deviceId: nurse.deviceId, parts, storedAt: Date.now() - 1 })
      assertEquals(await t.relay.pruneNow(), 1)
      c.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
      for (let i = 0; i < parts.length; i++) assertEquals((await c.waitFor('snapshotPart', 10_000)).index, i)
      await c.waitFor('caughtUp')
      assertEquals(t.relay.metrics.get('wardline_buffered_drops_total'), 0)
      await c.close()
    })
  } finally {
    await Deno.remove(dir, { recursive: true })
  }
})
