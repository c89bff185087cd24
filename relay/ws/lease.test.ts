import { fromBase64url } from '../../crypto/bytes.ts'
import { verifyLease } from '../../crypto/lease.ts'
import { assert, assertEquals } from '../storage/_assert.ts'
import { TestClient } from '../testing/test-client.ts'
import { startTestRelay } from '../testing/test-relay.ts'
import { openSqliteStorage } from '../storage/sqlite.ts'
import { openLeaseIssuer } from './lease.ts'

Deno.test('renewLease answers a logged-in device with a fresh lease, and nobody before login', async () => {
  const t = await startTestRelay()
  try {
    const device = await t.enroll('nurse')
    const org = await (await fetch(`${t.url}/api/org`)).json() as { leasePublicKey: string }
    const c = await TestClient.loggedIn(t.url, device)
    c.send({ type: 'renewLease' })
    const renewed = verifyLease((await c.next('lease')).lease, fromBase64url(org.leasePublicKey), device.deviceId)
    assert(renewed.ok)
    await c.close()
    // Not before login.
    const anon = await TestClient.connect(t.url)
    await anon.next('challenge')
    anon.send({ type: 'renewLease' })
    assertEquals((await anon.next('error')).code, 'relay/not-logged-in')
  } finally {
    await t.close()
  }
})

Deno.test('the relay keeps one lease key across restarts', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-lease-' })
  try {
    const first = await openSqliteStorage(dir)
    const a = await openLeaseIssuer(first)
    await first.close()
    const second = await openSqliteStorage(dir)
    const b = await openLeaseIssuer(second, 60_000)
    await second.close()
    assertEquals(b.publicKey, a.publicKey)
    assertEquals(b.durationMs, 60_000)
  } finally {
    await Deno.remove(dir, { recursive: true })
  }
})
