/**
 * The command line reads WARDLINE_SCIM_TOKEN and WARDLINE_SCIM_ROLE_MAP (README "Self-host and
 * configure"): a real `deno run relay/main.ts` serves SCIM with the token, and a role map that
 * is not a JSON object of known roles stops it at start with exit code 2 and one clear line.
 */
import { assert, assertEquals } from '../storage/_assert.ts'
import { spawnMain } from '../testing/spawn-main.ts'


async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader()
  let text = ''
  while (!text.includes('\n')) {
    const { done, value } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
  }
  await reader.cancel()
  return text.split('\n')[0]!
}

Deno.test('main serves /scim/v2 with WARDLINE_SCIM_TOKEN and refuses a bad WARDLINE_SCIM_ROLE_MAP', async () => {
  const dataDir = await Deno.makeTempDir({ prefix: 'wardline-scim-main-' })
  try {
    const child = spawnMain(dataDir, {
      WARDLINE_SCIM_TOKEN: 'main-scim-token',
      WARDLINE_SCIM_ROLE_MAP: '{"ICU Nurses":"clinician","IT Admins":"admin"}',
    })
    const port = Number((await firstLine(child.stdout)).match(/localhost:(\d+)$/)?.[1])
    assert(port > 0)
    const ok = await fetch(`http://localhost:${port}/scim/v2/ServiceProviderConfig`, {
      headers: { Authorization: 'Bearer main-scim-token' },
    })
    assertEquals(ok.status, 200)
    await ok.body?.cancel()
    const no = await fetch(`http://localhost:${port}/scim/v2/Users`)
    assertEquals(no.status, 401)
    await no.body?.cancel()
    child.kill('SIGTERM')
    assertEquals((await child.status).code, 0)
    await child.stderr.cancel()

    const bad = spawnMain(dataDir, {
      WARDLINE_SCIM_TOKEN: 'x',
      WARDLINE_SCIM_ROLE_MAP: '{"IT Admins":"root"}',
    })
    const status = await bad.status
    const stderr = new TextDecoder().decode(await new Response(bad.stderr).arrayBuffer())
    await bad.stdout.cancel()
    assertEquals(status.code, 2)
    assert(
      stderr.includes(
        'expected WARDLINE_SCIM_ROLE_MAP roles to be one of admin, compliance, clinician',
      ),
      stderr,
    )
  } finally {
    await Deno.remove(dataDir, { recursive: true })
  }
})
