import { assert, assertEquals } from '../storage/_assert.ts'
import { createAuthorization, createDevice, signLogin } from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { startTestRelay } from '../testing/test-relay.ts'
import { MAX_FRAME_BYTES } from '../wire/frames.ts'

Deno.test('a device logs in by signing the origin-bound challenge and gets ready with its role', async () => {
  const t = await startTestRelay()
  try {
    const c = await TestClient.connect(t.url)
    const challenge = await c.next('challenge')
    assertEquals(challenge.nonce.length, 32)
    assertEquals(challenge.origin, t.url)
    c.send({ type: 'ping', nonce: 1 })
    assertEquals(await c.next('error'), { type: 'error', code: 'relay/not-logged-in', ref: '' })
    assertEquals((await c.closed).code, 4001)

    const ok = await TestClient.connect(t.url)
    const ready = await ok.login(t.admin)
    assertEquals(ready, {
      type: 'ready',
      deviceId: t.admin.deviceId,
      userId: 'admin',
      role: 'admin',
    })
    assertEquals((await ok.next('lease')).type, 'lease') // the offline lease follows ready
    ok.send({ type: 'ping', nonce: 7 })
    assertEquals(await ok.next('pong'), { type: 'pong', nonce: 7 })
    await ok.close()
  } finally {
    await t.close()
  }
})

Deno.test('a wrong login signature is refused and the socket closed with 4001', async () => {
  const t = await startTestRelay()
  try {
    const c = await TestClient.connect(t.url)
    const other = createDevice(createAuthorization(t.org, { userId: 'x' }))
    // A valid signature, but by a key that is not the device's own.
    const reply = await c.login({ ...t.admin, signing: other.signing })
    assertEquals(reply, { type: 'error', code: 'relay/bad-login', ref: '' })
    assertEquals((await c.closed).code, 4001)

    const garbage = await TestClient.connect(t.url)
    assertEquals(await garbage.login(t.admin, new Uint8Array(64)), {
      type: 'error',
      code: 'relay/bad-login',
      ref: '',
    })
    assertEquals((await garbage.closed).code, 4001)
  } finally {
    await t.close()
  }
})

Deno.test('a login signed for another origin is refused', async () => {
  const t = await startTestRelay()
  try {
    const c = await TestClient.connect(t.url)
    const challenge = await c.next('challenge')
    c.send({
      type: 'login',
      deviceId: t.admin.deviceId,
      signature: signLogin(t.admin, 'https://evil.example', challenge.nonce),
    })
    assertEquals(await c.next('error'), { type: 'error', code: 'relay/bad-login', ref: '' })
    assertEquals((await c.closed).code, 4001)
  } finally {
    await t.close()
  }
})

Deno.test('an unknown device cannot log in even with a valid self-signed chain', async () => {
  const t = await startTestRelay()
  try {
    const stranger = createDevice(createAuthorization(t.org, { userId: 'stranger' }))
    const c = await TestClient.connect(t.url)
    assertEquals(await c.login(stranger), { type: 'error', code: 'relay/bad-login', ref: '' })
    assertEquals((await c.closed).code, 4001)
  } finally {
    await t.close()
  }
})

Deno.test('a connection that does not log in within the timeout is closed with 4008', async () => {
  const t = await startTestRelay({ loginTimeoutMs: 100 })
  try {
    const c = await TestClient.connect(t.url)
    await c.next('challenge')
    assertEquals((await c.closed).code, 4008)
  } finally {
    await t.close()
  }
})

Deno.test('malformed, text and oversized frames close only that connection while another client keeps working', async () => {
  const t = await startTestRelay()
  try {
    const healthy = await TestClient.loggedIn(t.url, t.admin)

    const malformed = await TestClient.loggedIn(t.url, t.admin)
    malformed.ws.send(new Uint8Array([250, 1, 2, 3]))
    assertEquals((await malformed.waitFor('error')).code, 'relay/malformed-frame')
    assertEquals((await malformed.closed).code, 1002)

    const text = await TestClient.loggedIn(t.url, t.admin)
    text.ws.send('hello')
    assertEquals((await text.waitFor('error')).code, 'relay/malformed-frame')
    assertEquals((await text.closed).code, 1003)

    const truncated = await TestClient.connect(t.url)
    await truncated.next('challenge')
    truncated.ws.send(new Uint8Array([11, 200])) // login tag, then a length that runs past the end
    assertEquals((await truncated.next('error')).code, 'relay/malformed-frame')
    assertEquals((await truncated.closed).code, 1002)

    const big = await TestClient.loggedIn(t.url, t.admin)
    big.send({ type: 'ping', nonce: 1 })
    await big.waitFor('pong')
    big.ws.send(new Uint8Array(MAX_FRAME_BYTES + 1))
    assertEquals((await big.closed).code, 1009)

    healthy.send({ type: 'ping', nonce: 42 })
    assertEquals(await healthy.waitFor('pong'), { type: 'pong', nonce: 42 })
    const fresh = await TestClient.loggedIn(t.url, t.admin)
    fresh.send({ type: 'getDirectory' })
    assert((await fresh.waitFor('directory')).entries.length === 1)
    await Promise.all([healthy.close(), fresh.close()])
  } finally {
    await t.close()
  }
})
