/**
 * Security at the edge (issue 4): TLS from certificate and key (https and wss, tested with a
 * self-signed certificate made here by openssl), the security headers on every HTTP response
 * (HSTS only when browsers reach the relay over https), and the warning at start when browsers
 * would reach it over plain http on something other than localhost.
 */
import { assert, assertEquals } from '../storage/_assert.ts'
import { RawSocket } from '../testing/raw-socket.ts'
import { startBareRelay } from '../testing/test-relay.ts'
import { selfSignedCertificate } from '../testing/tls.ts'
import { isInsecureSetup } from '../server.ts'
import { SECURITY_HEADERS } from './respond.ts'

function assertSecurityHeaders(res: Response, hsts: boolean): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) assertEquals(res.headers.get(k), v, `${res.url} ${k}`)
  assertEquals(res.headers.has('strict-transport-security'), hsts, `${res.url} HSTS`)
}

Deno.test('with a certificate and key the relay serves https and wss, with HSTS on every response', async () => {
  const tls = await selfSignedCertificate()
  const t = await startBareRelay({ tls })
  const client = Deno.createHttpClient({ caCerts: [tls.cert] })
  try {
    assert(t.url.startsWith('https://localhost:'), t.url)
    for (const path of ['/healthz', '/api/org', '/', '/api/nowhere', '/ws']) {
      const res = await fetch(`${t.url}${path}`, { client })
      await res.body?.cancel()
      assertSecurityHeaders(res, true)
      assert(res.headers.get('strict-transport-security')!.includes('max-age='))
    }
    // wss: the upgrade works over TLS and the login challenge names the https origin.
    const raw = await RawSocket.open(t.url, [tls.cert])
    const challenge = await raw.readWireFrame()
    assertEquals(challenge.type === 'challenge' && challenge.origin, t.url)
    raw.close()
    // Plain http to the TLS port gets nothing.
    const plain = await fetch(t.url.replace('https:', 'http:') + '/healthz').then(() => 'answered', () => 'refused')
    assertEquals(plain, 'refused')
  } finally {
    client.close()
    await t.close()
  }
})

Deno.test('every HTTP response carries the security headers; HSTS only when browsers use https', async () => {
  const plain = await startBareRelay()
  const proxied = await startBareRelay({ publicOrigin: 'https://wardline.example' })
  try {
    for (const [t, hsts] of [[plain, false], [proxied, true]] as const) {
      for (const path of ['/', '/healthz', '/readyz', '/metrics', '/api/org', '/api/nowhere', '/ws']) {
        const res = await fetch(`${t.url}${path}`, { headers: { origin: 'https://evil.example' } })
        await res.body?.cancel()
        assertSecurityHeaders(res, hsts)
      }
    }
    const csp = SECURITY_HEADERS['Content-Security-Policy']!
    for (const d of ["script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) {
      assert(csp.includes(d), d)
    }
    assert(!csp.includes('unsafe-'), 'no unsafe-inline or unsafe-eval')
  } finally {
    await Promise.all([plain.close(), proxied.close()])
  }
})

Deno.test('the relay warns at start when browsers would reach it over plain http other than localhost', async () => {
  assertEquals(isInsecureSetup({ hostname: '0.0.0.0' }), true)
  assertEquals(isInsecureSetup({ hostname: '127.0.0.1' }), false)
  assertEquals(isInsecureSetup({ hostname: '0.0.0.0', publicOrigin: 'https://wardline.example' }), false)
  assertEquals(isInsecureSetup({ hostname: '127.0.0.1', publicOrigin: 'http://wardline.example' }), true)
  assertEquals(isInsecureSetup({ hostname: '0.0.0.0', publicOrigin: 'http://localhost:8787' }), false)
  assertEquals(isInsecureSetup({ hostname: '0.0.0.0', tls: { cert: '', key: '' } }), false)
  const events: string[] = []
  const log = (event: string) => void events.push(event)
  const insecure = await startBareRelay({ publicOrigin: 'http://wardline.example', log })
  await insecure.close()
  assert(events.includes('relay.insecure-origin'), events.join())
  events.length = 0
  const local = await startBareRelay({ log })
  await local.close()
  assert(!events.includes('relay.insecure-origin'), events.join())
})
