import { assertEquals } from '../storage/_assert.ts'
import type { LogFields } from '../log.ts'
import { handleReleaseAlert, RELEASE_ALERTS_PER_MINUTE } from './release-alerts.ts'

const post = (body: unknown) =>
  new Request('http://localhost/api/release-alerts', { method: 'POST', body: JSON.stringify(body) })

Deno.test('a release alert is logged as release.verification-failed with codes and versions only', async () => {
  const lines: [string, LogFields | undefined][] = []
  const res = await handleReleaseAlert(
    post({ code: 'release/hash-mismatch', check: 'update', version: '0.1.0+b3', running: '0.1.0+b2' }),
    (event, fields) => lines.push([event, fields]),
  )
  assertEquals(res.status, 204)
  assertEquals(lines, [['release.verification-failed', {
    code: 'release/hash-mismatch',
    check: 'update',
    version: '0.1.0+b3',
    running: '0.1.0+b2',
  }]])
})

Deno.test('a release alert with anything but a code and versions is refused and not logged', async () => {
  const lines: string[] = []
  const log = (event: string) => void lines.push(event)
  for (
    const body of [
      { code: 'chest pain', check: 'update', version: null, running: null },
      { code: 'release/bad-signature', check: 'other', version: null, running: null },
      { code: 'release/bad-signature', check: 'update', version: 'Ann Admin', running: null },
    ]
  ) assertEquals((await handleReleaseAlert(post(body), log)).status, 400)
  assertEquals((await handleReleaseAlert(new Request('http://localhost/x'), log)).status, 405)
  assertEquals(lines, [])
})

Deno.test('release alerts beyond the per-minute budget are answered 429', async () => {
  const body = { code: 'release/bad-signature', check: 'running', version: null, running: '1' }
  const statuses: number[] = []
  for (let i = 0; i <= RELEASE_ALERTS_PER_MINUTE; i++) {
    statuses.push((await handleReleaseAlert(post(body), () => {})).status)
  }
  assertEquals(statuses.at(-1), 429)
})
