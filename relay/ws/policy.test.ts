import { fromBase64url } from '../../crypto/bytes.ts'
import { generateSigningKeyPair } from '../../crypto/ed25519.ts'
import { DEFAULT_POLICY, signPolicy } from '../../crypto/policy.ts'
import { assertEquals } from '../storage/_assert.ts'
import { TestClient } from '../testing/test-client.ts'
import { startTestRelay } from '../testing/test-relay.ts'

async function getPolicy(url: string): Promise<{ policy: string | null }> {
  const res = await fetch(`${url}/api/policy`)
  assertEquals(res.status, 200)
  return await res.json()
}

Deno.test('an admin uploads a root-signed policy: acked, served by GET /api/policy, directoryChanged broadcast', async () => {
  const t = await startTestRelay()
  try {
    assertEquals(await getPolicy(t.url), { policy: null })
    const member = await t.enroll('nurse')
    const watcher = await TestClient.loggedIn(t.url, member)
    const admin = await TestClient.loggedIn(t.url, t.admin)
    const v2 = signPolicy({ ...DEFAULT_POLICY, version: 2, maxPinAttempts: 5 }, t.org.root.secretKey)
    admin.send({ type: 'putPolicy', ref: 'p2', policy: v2 })
    assertEquals(await admin.waitFor('ack'), { type: 'ack', ref: 'p2', conversationId: '', seq: 0 })
    await watcher.waitFor('directoryChanged')
    const served = await getPolicy(t.url)
    assertEquals(fromBase64url(served.policy!), v2)

    // Only newer versions replace it; the same or an older version is refused.
    for (const version of [2, 1]) {
      const old = signPolicy({ ...DEFAULT_POLICY, version }, t.org.root.secretKey)
      admin.send({ type: 'putPolicy', ref: `old${version}`, policy: old })
      assertEquals(await admin.waitFor('error'), { type: 'error', code: 'relay/stale-policy', ref: `old${version}` })
    }
    const v3 = signPolicy({ ...DEFAULT_POLICY, version: 3 }, t.org.root.secretKey)
    admin.send({ type: 'putPolicy', ref: 'p3', policy: v3 })
    assertEquals((await admin.waitFor('ack')).ref, 'p3')
    assertEquals(fromBase64url((await getPolicy(t.url)).policy!), v3)
    await watcher.close()
    await admin.close()
  } finally {
    await t.close()
  }
})

Deno.test('putPolicy is refused from a non-admin and when not signed by the stored root', async () => {
  const t = await startTestRelay()
  try {
    const member = await t.enroll('nurse')
    const nurse = await TestClient.loggedIn(t.url, member)
    const good = signPolicy({ ...DEFAULT_POLICY, version: 1 }, t.org.root.secretKey)
    nurse.send({ type: 'putPolicy', ref: 'n', policy: good })
    assertEquals(await nurse.waitFor('error'), { type: 'error', code: 'relay/forbidden', ref: 'n' })

    const admin = await TestClient.loggedIn(t.url, t.admin)
    const forged = signPolicy({ ...DEFAULT_POLICY, version: 9 }, generateSigningKeyPair().secretKey)
    admin.send({ type: 'putPolicy', ref: 'f', policy: forged })
    assertEquals(await admin.waitFor('error'), { type: 'error', code: 'relay/bad-policy', ref: 'f' })
    admin.send({ type: 'putPolicy', ref: 'g', policy: new Uint8Array([1, 2, 3]) })
    assertEquals(await admin.waitFor('error'), { type: 'error', code: 'relay/bad-policy', ref: 'g' })
    assertEquals(await getPolicy(t.url), { policy: null })
    const post = await fetch(`${t.url}/api/policy`, { method: 'POST', body: '{}' })
    assertEquals(post.status, 405)
    await post.body?.cancel()
    await nurse.close()
    await admin.close()
  } finally {
    await t.close()
  }
})
