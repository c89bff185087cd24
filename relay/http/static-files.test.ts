import { assertEquals } from '../storage/_assert.ts'
import { startBareRelay } from '../testing/test-relay.ts'
import { NOT_BUILT_TEXT } from './static-files.ts'
import { SECURITY_HEADERS } from './respond.ts'

async function withStatic(fn: (url: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-static-' })
  await Deno.mkdir(`${dir}/assets`)
  await Deno.writeTextFile(`${dir}/index.html`, '<!doctype html><title>Wardline</title>')
  await Deno.writeTextFile(`${dir}/sw.js`, 'self.x = 1')
  await Deno.writeTextFile(`${dir}/assets/app-1234.js`, 'export {}')
  await Deno.writeTextFile(`${dir}/manifest.webmanifest`, '{}')
  const t = await startBareRelay({ staticDir: dir })
  try {
    await fn(t.url)
  } finally {
    await t.close()
    await Deno.remove(dir, { recursive: true })
  }
}

Deno.test('static files are served with content types, cache rules and security headers', () =>
  withStatic(async (url) => {
    const index = await fetch(`${url}/`)
    assertEquals([index.headers.get('content-type'), index.headers.get('cache-control')], [
      'text/html; charset=utf-8',
      'no-cache',
    ])
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      assertEquals(index.headers.get(name), value)
    }
    assertEquals(await index.text(), '<!doctype html><title>Wardline</title>')
    const sw = await fetch(`${url}/sw.js`)
    assertEquals(
      [sw.headers.get('content-type'), sw.headers.get('cache-control'), await sw.text()],
      ['text/javascript; charset=utf-8', 'no-cache', 'self.x = 1'],
    )
    const asset = await fetch(`${url}/assets/app-1234.js`)
    assertEquals(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable')
    await asset.body?.cancel()
    const manifest = await fetch(`${url}/manifest.webmanifest`)
    assertEquals([manifest.headers.get('content-type'), manifest.headers.get('cache-control')], [
      'application/manifest+json',
      'no-cache',
    ])
    await manifest.body?.cancel()
  }))

Deno.test('deep links get index.html and paths cannot escape the static directory', () =>
  withStatic(async (url) => {
    const deep = await fetch(`${url}/conversations/c1?x=1`)
    assertEquals([deep.status, await deep.text()], [200, '<!doctype html><title>Wardline</title>'])
    const escape = await fetch(`${url}/..%2F..%2Fetc%2Fpasswd`)
    assertEquals(await escape.text(), '<!doctype html><title>Wardline</title>')
    const ws = await fetch(`${url}/ws`)
    assertEquals(ws.status, 426)
    await ws.body?.cancel()
  }))

Deno.test('without a built app the root says the relay runs and how to build the app', async () => {
  const t = await startBareRelay()
  try {
    const res = await fetch(`${t.url}/`)
    assertEquals([res.status, await res.text()], [200, NOT_BUILT_TEXT])
    assertEquals(res.headers.get('x-frame-options'), 'DENY')
  } finally {
    await t.close()
  }
})
