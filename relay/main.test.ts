import { assert, assertEquals } from './storage/_assert.ts'
import { spawnMain as spawnRelay } from './testing/spawn-main.ts'
import { selfSignedCertificate } from './testing/tls.ts'

/** Reads stdout lines until `count` have arrived (the startup contract is line-based). */
async function readLines(stream: ReadableStream<Uint8Array>, count: number): Promise<string[]> {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (text.split('\n').length <= count) {
    const { done, value } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
  }
  await reader.cancel() // the relay prints nothing more on stdout
  return text.split('\n').slice(0, count)
}


Deno.test('main prints the listening line and a setup code on stdout, and stops cleanly on SIGTERM', async () => {
  const dataDir = await Deno.makeTempDir({ prefix: 'wardline-main-' })
  try {
    const child = spawnRelay(`${dataDir}/nested`)
    const [listening, code, open] = await readLines(child.stdout, 3)
    const port = Number(
      listening!.match(/^Wardline relay listening on http:\/\/localhost:(\d+)$/)?.[1],
    )
    assert(port > 0, `unexpected first line: ${listening}`)
    const setupCode = code!.match(/^Setup code: ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){7})$/)?.[1]
    assert(setupCode, `unexpected second line: ${code}`)
    assertEquals(
      open,
      `Open http://localhost:${port}/#setup=${setupCode} to create the organisation`,
    )
    const org = await fetch(`http://localhost:${port}/api/org`)
    assertEquals(await org.json(), { initialized: false })
    assert((await Deno.stat(`${dataDir}/nested/wardline.sqlite`)).isFile)

    child.kill('SIGTERM')
    const status = await child.status
    assertEquals(status.code, 0)
    const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer())
    assert(!stderr.includes(setupCode), 'the setup code must never reach the log')
  } finally {
    await Deno.remove(dataDir, { recursive: true })
  }
})

Deno.test('main uses WARDLINE_SETUP_CODE when given', async () => {
  const dataDir = await Deno.makeTempDir({ prefix: 'wardline-main-' })
  try {
    const child = spawnRelay(dataDir, { WARDLINE_SETUP_CODE: 'ABCD-EFGH' })
    const [, code] = await readLines(child.stdout, 3)
    assertEquals(code, 'Setup code: ABCD-EFGH')
    child.kill('SIGINT')
    assertEquals((await child.status).code, 0)
    await child.stderr.cancel()
  } finally {
    await Deno.remove(dataDir, { recursive: true })
  }
})

Deno.test('main serves https with WARDLINE_TLS_CERT and WARDLINE_TLS_KEY, logs JSON, and refuses half a TLS setting or a bad limit', async () => {
  const dataDir = await Deno.makeTempDir({ prefix: 'wardline-main-' })
  try {
    const tls = await selfSignedCertificate()
    await Deno.writeTextFile(`${dataDir}/cert.pem`, tls.cert)
    await Deno.writeTextFile(`${dataDir}/key.pem`, tls.key)
    const child = spawnRelay(dataDir, {
      WARDLINE_TLS_CERT: `${dataDir}/cert.pem`,
      WARDLINE_TLS_KEY: `${dataDir}/key.pem`,
      WARDLINE_MESSAGES_PER_SECOND: '50',
    })
    const [listening] = await readLines(child.stdout, 3)
    const url = listening!.match(/^Wardline relay listening on (https:\/\/localhost:\d+)$/)?.[1]
    assert(url, `unexpected first line: ${listening}`)
    const client = Deno.createHttpClient({ caCerts: [tls.cert] })
    const health = await fetch(`${url}/healthz`, { client })
    assertEquals(await health.json(), { status: 'ok' })
    client.close()
    child.kill('SIGTERM')
    assertEquals((await child.status).code, 0)
    const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer())
    const events = stderr.trim().split('\n').map((l) => JSON.parse(l).event)
    assertEquals([events[0], events.at(-1)], ['relay.started', 'relay.stopped'])

    for (const env of [{ WARDLINE_TLS_CERT: `${dataDir}/cert.pem` }, { WARDLINE_MESSAGES_PER_SECOND: 'lots' }]) {
      const bad = spawnRelay(dataDir, env)
      await bad.stdout.cancel()
      await bad.stderr.cancel()
      assertEquals((await bad.status).code, 2, JSON.stringify(env))
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true })
  }
})

Deno.test('main with WARDLINE_DATABASE_URL on a server that is down exits with one clear line', async () => {
  const dataDir = await Deno.makeTempDir({ prefix: 'wardline-main-' })
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 })
  const port = (listener.addr as Deno.NetAddr).port
  listener.close() // nothing listens there now
  try {
    const child = spawnRelay(dataDir, {
      WARDLINE_DATABASE_URL: `postgres://relay:s3cret@127.0.0.1:${port}/wardline`,
    })
    const [status, out, err] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ])
    assertEquals(status.code, 1)
    assertEquals(out, '')
    assert(
      err.includes(
        `Wardline relay could not start: cannot reach Postgres at 127.0.0.1:${port}/wardline`,
      ),
      err,
    )
    assert(!err.includes('s3cret') && !err.includes('    at '), 'no password, no stack trace')
  } finally {
    await Deno.remove(dataDir, { recursive: true })
  }
})
