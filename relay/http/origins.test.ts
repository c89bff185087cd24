import assert from 'node:assert/strict'
import { startBareRelay } from '../testing/test-relay.ts'

Deno.test('WebSocket upgrades from a foreign origin are refused; own and listed origins pass', async () => {
  const { relay } = await startBareRelay({ allowedOrigins: new Set(['http://localhost:9999']) })
  try {
    const ws = `http://localhost:${relay.port}/ws`
    const foreign = await fetch(ws, { headers: { origin: 'https://evil.example' } })
    assert.equal(foreign.status, 403)
    assert.deepEqual(await foreign.json(), { error: 'relay/origin-not-allowed' })
    for (const origin of [`http://localhost:${relay.port}`, 'http://localhost:9999']) {
      const res = await fetch(ws, { headers: { origin } })
      assert.equal(res.status, 426, origin) // allowed through to the upgrade check
      await res.body?.cancel()
    }
  } finally {
    await relay.close()
  }
})

Deno.test('the JSON API answers listed origins with CORS headers and nobody else', async () => {
  const { relay } = await startBareRelay({ allowedOrigins: new Set(['http://localhost:9999']) })
  try {
    const api = `http://localhost:${relay.port}/api/org`
    const listed = await fetch(api, { headers: { origin: 'http://localhost:9999' } })
    assert.equal(listed.headers.get('access-control-allow-origin'), 'http://localhost:9999')
    await listed.body?.cancel()
    const other = await fetch(api, { headers: { origin: 'https://evil.example' } })
    assert.equal(other.headers.get('access-control-allow-origin'), null)
    await other.body?.cancel()
    const preflight = await fetch(api, { method: 'OPTIONS', headers: { origin: 'http://localhost:9999' } })
    assert.equal(preflight.status, 204)
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /content-type/)
  } finally {
    await relay.close()
  }
})
