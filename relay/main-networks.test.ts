/**
 * The command line reads WARDLINE_NETWORKS (README "Self-host and configure", decision 0017): a
 * valid map starts the relay; anything else stops it at start with exit code 2 and one line that
 * names what is wrong, before it listens.
 */
import { assert, assertEquals } from './storage/_assert.ts'
import { spawnMain } from './testing/spawn-main.ts'


Deno.test('main refuses a malformed WARDLINE_NETWORKS with exit 2 and starts with a valid one', async () => {
  const dataDir = await Deno.makeTempDir({ prefix: 'wardline-networks-main-' })
  try {
    const bad = await spawnMain(dataDir, { WARDLINE_NETWORKS: '{"admin":["10.0.0.0/33"]}' }).output()
    assertEquals(bad.code, 2)
    assertEquals(new TextDecoder().decode(bad.stdout), '')
    const message = new TextDecoder().decode(bad.stderr).trim()
    assertEquals(
      message,
      'WARDLINE_NETWORKS.admin: expected a prefix length 0..32 in "10.0.0.0/33"',
    )

    const good = spawnMain(dataDir, {
      WARDLINE_NETWORKS: '{"admin":["10.0.0.0/8","fd00::/8"],"clinician":["0.0.0.0/0","::/0"]}',
    })
    const reader = good.stdout.getReader()
    const { value } = await reader.read()
    assert(new TextDecoder().decode(value).startsWith('Wardline relay listening on'))
    await reader.cancel()
    good.kill('SIGTERM')
    assertEquals((await good.status).code, 0)
    await good.stderr.cancel()
  } finally {
    await Deno.remove(dataDir, { recursive: true })
  }
})
