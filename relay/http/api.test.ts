import { toBase64url } from '../../crypto/bytes.ts'
import { assert, assertEquals } from '../storage/_assert.ts'
import { createAuthorization, createDevice, createTestOrg } from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { postJson, startBareRelay, startTestRelay, TEST_SETUP_CODE } from '../testing/test-relay.ts'

async function body(res: Response): Promise<unknown> {
  return await res.json()
}

Deno.test('the setup code creates the organisation exactly once', async () => {
  const t = await startBareRelay()
  try {
    assertEquals(await body(await fetch(`${t.url}/api/org`)), { initialized: false })
    const org = createTestOrg()
    const admin = createDevice(createAuthorization(org, { userId: 'boss', role: 'admin' }))
    const setup = (setupCode: string, device = admin, certificate = org.complianceCertificate) =>
      postJson(`${t.url}/api/setup`, {
        setupCode,
        rootPublicKey: toBase64url(org.root.publicKey),
        authorization: toBase64url(device.authorization.blob),
        binding: toBase64url(device.binding),
        complianceCertificate: toBase64url(certificate),
      })
    const wrong = await setup('WRONG-CODE')
    assertEquals([wrong.status, await body(wrong)], [403, { error: 'setup/bad-code' }])
    const member = createDevice(createAuthorization(org, { userId: 'nurse' }))
    const notAdmin = await setup(TEST_SETUP_CODE, member)
    assertEquals([notAdmin.status, await body(notAdmin)], [400, { error: 'setup/not-admin' }])
    const expired = createDevice(
      createAuthorization(org, { userId: 'old', role: 'admin', expiresAt: Date.now() - 1 }),
    )
    assertEquals((await setup(TEST_SETUP_CODE, expired)).status, 400)
    // The compliance key must be signed by the root being registered.
    const foreign = createTestOrg().complianceCertificate
    const badKey = await setup(TEST_SETUP_CODE, admin, foreign)
    assertEquals([badKey.status, await body(badKey)], [400, { error: 'setup/bad-compliance-key' }])
    const noKey = await setup(TEST_SETUP_CODE, admin, new Uint8Array())
    assertEquals([noKey.status, await body(noKey)], [400, { error: 'setup/bad-compliance-key' }])
    assertEquals(await body(await fetch(`${t.url}/api/org`)), { initialized: false })

    // Typed codes are accepted case- and dash-insensitively.
    const ok = await setup(TEST_SETUP_CODE.toLowerCase().replaceAll('-', ''))
    assertEquals([ok.status, await body(ok)], [200, { deviceId: admin.deviceId }])
    const again = await setup(TEST_SETUP_CODE)
    assertEquals([again.status, await body(again)], [409, { error: 'setup/already-done' }])
    const { leasePublicKey, ...orgState } = await body(await fetch(`${t.url}/api/org`)) as Record<string, unknown>
    assertEquals(orgState, {
      initialized: true,
      rootPublicKey: toBase64url(org.root.publicKey),
      complianceCertificate: toBase64url(org.complianceCertificate),
    })
    assertEquals(typeof leasePublicKey, 'string') // the relay's own lease key (decision 0012)
  } finally {
    await t.close()
  }
})

Deno.test('an authorization registers exactly one device and logged-in devices hear about it', async () => {
  const t = await startTestRelay()
  try {
    const watcher = await TestClient.loggedIn(t.url, t.admin)
    const auth = createAuthorization(t.org, { userId: 'nurse' })
    await t.putAuthorization(auth)
    const fetched = await fetch(`${t.url}/api/authorizations/${auth.id}`)
    assertEquals(await body(fetched), { authorization: toBase64url(auth.blob) })

    const first = createDevice(auth)
    const second = createDevice(auth)
    const post = (d = first) =>
      postJson(`${t.url}/api/devices`, {
        authorizationId: auth.id,
        binding: toBase64url(d.binding),
      })
    const [a, b] = await Promise.all([post(first), post(second)])
    assertEquals([a.status, await body(a)], [200, { deviceId: first.deviceId }])
    assertEquals([b.status, await body(b)], [409, { error: 'enroll/code-used' }])
    await watcher.waitFor('directoryChanged')

    const used = await fetch(`${t.url}/api/authorizations/${auth.id}`)
    assertEquals([used.status, await body(used)], [410, { error: 'enroll/code-used' }])
    const unknown = await fetch(`${t.url}/api/authorizations/${'ab'.repeat(32)}`)
    assertEquals([unknown.status, await body(unknown)], [404, { error: 'enroll/unknown-code' }])

    watcher.send({ type: 'getDirectory' })
    const dir = await watcher.waitFor('directory')
    assertEquals([dir.rootPublicKey, dir.entries.length], [t.org.root.publicKey, 2])
    await watcher.close()
  } finally {
    await t.close()
  }
})

Deno.test('an expired authorization is refused for lookup and enrollment', async () => {
  const t = await startTestRelay()
  try {
    const auth = createAuthorization(t.org, { userId: 'late', expiresAt: Date.now() + 300 })
    await t.putAuthorization(auth)
    await new Promise((r) => setTimeout(r, 350))
    const got = await fetch(`${t.url}/api/authorizations/${auth.id}`)
    assertEquals([got.status, await body(got)], [410, { error: 'enroll/code-expired' }])
    const post = await postJson(`${t.url}/api/devices`, {
      authorizationId: auth.id,
      binding: toBase64url(createDevice(auth).binding),
    })
    assertEquals([post.status, await body(post)], [410, { error: 'enroll/code-expired' }])
  } finally {
    await t.close()
  }
})

Deno.test('a binding that does not chain to the stored root is refused', async () => {
  const t = await startTestRelay()
  try {
    const auth = createAuthorization(t.org, { userId: 'nurse' })
    await t.putAuthorization(auth)
    const forged = createDevice(createAuthorization(createTestOrg(), { userId: 'nurse' }))
    const res = await postJson(`${t.url}/api/devices`, {
      authorizationId: auth.id,
      binding: toBase64url(forged.binding),
    })
    assertEquals([res.status, await body(res)], [400, { error: 'enroll/bad-chain' }])
  } finally {
    await t.close()
  }
})

Deno.test('only admins may upload authorizations, and only root-signed ones', async () => {
  const t = await startTestRelay()
  try {
    const nurse = await t.enroll('nurse')
    const n = await TestClient.loggedIn(t.url, nurse)
    n.send({
      type: 'putAuthorization',
      ref: 'p',
      authorization: createAuthorization(t.org, { userId: 'x' }).blob,
    })
    assertEquals(await n.waitFor('error'), { type: 'error', code: 'relay/forbidden', ref: 'p' })
    const a = await TestClient.loggedIn(t.url, t.admin)
    a.send({
      type: 'putAuthorization',
      ref: 'q',
      authorization: createAuthorization(createTestOrg(), { userId: 'x' }).blob,
    })
    assertEquals(await a.waitFor('error'), {
      type: 'error',
      code: 'relay/bad-authorization',
      ref: 'q',
    })
    await Promise.all([n.close(), a.close()])
  } finally {
    await t.close()
  }
})

Deno.test('the JSON API refuses bad JSON, oversized bodies and unknown routes with namespaced codes', async () => {
  const t = await startBareRelay()
  try {
    const bad = await fetch(`${t.url}/api/setup`, { method: 'POST', body: '{nope' })
    assertEquals([bad.status, await body(bad)], [400, { error: 'api/bad-json' }])
    const big = await fetch(`${t.url}/api/setup`, {
      method: 'POST',
      body: JSON.stringify({ x: 'a'.repeat(70_000) }),
    })
    assertEquals([big.status, await body(big)], [413, { error: 'api/body-too-large' }])
    const missing = await postJson(`${t.url}/api/devices`, {})
    assertEquals([missing.status, await body(missing)], [400, { error: 'api/bad-request' }])
    const nowhere = await fetch(`${t.url}/api/nowhere`)
    assertEquals([nowhere.status, await body(nowhere)], [404, { error: 'api/not-found' }])
    assert(nowhere.headers.get('content-security-policy')?.includes("frame-ancestors 'none'"))
  } finally {
    await t.close()
  }
})
