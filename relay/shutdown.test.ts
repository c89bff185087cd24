/**
 * Graceful shutdown (issue 4 "graceful shutdown that drains"): once closing starts the relay
 * refuses new sockets and reports not ready, closes every socket with 1001 so clients reconnect
 * elsewhere, lets a write already in flight finish (durably), and only then closes storage.
 */
import { assertEquals } from './storage/_assert.ts'
import { openSqliteStorage } from './storage/sqlite.ts'
import { sealTestEnvelope } from './testing/fixtures.ts'
import { TestClient } from './testing/test-client.ts'
import { withConversation } from './testing/with-conversation.ts'

Deno.test('closing the relay drains: 1001 to clients, new sockets and readiness refused, the in-flight append stored', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-drain-' })
  try {
    const storage = await openSqliteStorage(dir)
    let appending: () => void = () => {}
    const appendStarted = new Promise<void>((r) => (appending = r))
    const append = storage.appendEnvelope.bind(storage)
    storage.appendEnvelope = async (e) => {
      appending()
      await new Promise((r) => setTimeout(r, 300)) // a slow disk
      return await append(e)
    }
    await withConversation({ storage }, async (t, nurse) => {
      const c = await TestClient.loggedIn(t.url, nurse)
      c.send({ type: 'send', ref: 'a', conversationId: 'c1', envelope: sealTestEnvelope(nurse, 'c1', 1) })
      await appendStarted
      const closing = t.relay.close()
      assertEquals((await c.closed).code, 1001)
      const ready = await fetch(`${t.url}/readyz`)
      assertEquals([ready.status, await ready.json()], [503, { error: 'relay/shutting-down' }])
      const ws = await fetch(`${t.url}/ws`, { headers: { upgrade: 'websocket' } })
      assertEquals([ws.status, await ws.json()], [503, { error: 'relay/shutting-down' }])
      await closing
    })
    // The append that was in flight finished before storage closed.
    const reopened = await openSqliteStorage(dir)
    assertEquals((await reopened.envelopesSince('c1', 0, 10)).map((e) => e.seq), [1])
    await reopened.close()
  } finally {
    await Deno.remove(dir, { recursive: true })
  }
})
