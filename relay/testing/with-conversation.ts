/**
 * A real relay (with the given options) where the admin and a nurse share conversation 'c1':
 * the setup of the limit, slow-reader and liveness tests. Used only by tests.
 */
import { assertEquals } from '../storage/_assert.ts'
import type { RelayOptions } from '../server.ts'
import { createTestConversation, type TestDevice } from './fixtures.ts'
import { TestClient } from './test-client.ts'
import { startTestRelay, type TestRelay } from './test-relay.ts'

export async function withConversation(
  options: Partial<RelayOptions>,
  fn: (t: TestRelay, nurse: TestDevice) => Promise<void>,
): Promise<void> {
  const t = await startTestRelay(options)
  try {
    const nurse = await t.enroll('nurse')
    const c = await TestClient.loggedIn(t.url, t.admin)
    c.send({ type: 'createConversation', ref: 'create', ...createTestConversation(t.admin, [nurse], 'c1') })
    assertEquals((await c.waitFor('ack')).ref, 'create')
    await c.close()
    await fn(t, nurse)
  } finally {
    await t.close()
  }
}
