import { assert, assertEquals } from '../storage/_assert.ts'
import { openSqliteStorage } from '../storage/sqlite.ts'
import { sealTestEnvelope } from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { startBareRelay } from '../testing/test-relay.ts'
import { withConversation } from '../testing/with-conversation.ts'

const get = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init)
  const text = await res.text()
  return { status: res.status, text, type: res.headers.get('content-type') ?? '' }
}

Deno.test('GET /healthz answers while the process runs; /readyz only while storage answers', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-ready-' })
  const storage = await openSqliteStorage(dir)
  const t = await startBareRelay({ storage })
  try {
    assertEquals(await get(`${t.url}/healthz`), {
      status: 200,
      text: '{"status":"ok"}',
      type: 'application/json; charset=utf-8',
    })
    assertEquals((await get(`${t.url}/readyz`)).text, '{"status":"ready"}')
    storage.getOrg = () => Promise.reject(new Error('disk gone'))
    const down = await get(`${t.url}/readyz`)
    assertEquals([down.status, down.text], [503, '{"error":"relay/storage-unavailable"}'])
    assertEquals((await get(`${t.url}/healthz`)).status, 200)
    assertEquals((await get(`${t.url}/healthz`, { method: 'POST' })).status, 405)
  } finally {
    await t.close()
    await Deno.remove(dir, { recursive: true })
  }
})

Deno.test('GET /metrics counts connections, frames, bytes, appends, errors and latency in Prometheus text', () =>
  withConversation({}, async (t, nurse) => {
    const c = await TestClient.loggedIn(t.url, nurse)
    c.send({ type: 'send', ref: 'a', conversationId: 'c1', envelope: sealTestEnvelope(nurse, 'c1', 1) })
    await c.waitFor('ack')
    c.send({ type: 'subscribe', conversationId: 'nope', since: 0 })
    await c.waitFor('error')
    const m = await get(`${t.url}/metrics`)
    assertEquals(m.status, 200)
    assert(m.type.startsWith('text/plain; version=0.0.4'), m.type)
    const value = (line: string) => Number(m.text.split('\n').find((l) => l.startsWith(line + ' '))?.slice(line.length + 1))
    assertEquals(value('wardline_connections'), 1)
    assertEquals(value('wardline_connections_authenticated'), 1)
    assertEquals(value('wardline_frames_in_total{type="send"}'), 1)
    assertEquals(value('wardline_appends_total'), 1)
    assertEquals(value('wardline_errors_total{code="relay/not-member"}'), 1)
    assert(value('wardline_bytes_in_total') > 0 && value('wardline_bytes_out_total') > 0)
    assert(value('wardline_frames_out_total') >= 3) // challenge, ready, ack, error …
    assertEquals(value('wardline_frame_seconds_count{type="send"}'), 1)
    assertEquals(value('wardline_frame_seconds_bucket{type="send",le="+Inf"}'), 1)
    assert(value('wardline_http_responses_total{code="200"}') >= 2) // setup and enrollment
    for (const name of ['rate_limited', 'buffered_drops', 'closes', 'pruned_envelopes']) {
      assert(m.text.includes(`# TYPE wardline_${name}_total counter`), name)
    }
    // Labels are frame types and codes only: no ids, no names.
    assert(!m.text.includes(nurse.deviceId.slice(0, 8)) && !m.text.includes('nurse'))
    await c.close()
  }))

Deno.test('with WARDLINE_METRICS_TOKEN set, /metrics needs it as a bearer token', async () => {
  const t = await startBareRelay({ metricsToken: 's3cret-token' })
  try {
    assertEquals((await get(`${t.url}/metrics`)).status, 401)
    assertEquals((await get(`${t.url}/metrics`, { headers: { authorization: 'Bearer nope' } })).status, 401)
    const ok = await get(`${t.url}/metrics`, { headers: { authorization: 'Bearer s3cret-token' } })
    assertEquals(ok.status, 200)
    assertEquals((await get(`${t.url}/healthz`)).status, 200)
  } finally {
    await t.close()
  }
})
