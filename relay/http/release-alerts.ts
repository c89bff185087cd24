/**
 * `POST /api/release-alerts` (issue 5, decision 0010): a browser whose app refused a release
 * (bad signature, a file that differs from the signed hash, a rollback) tells the relay, which
 * logs one structured `release.verification-failed` line for the admins' log pipeline. The body
 * carries only a check name, an error code and two version strings — no user content — and
 * anything else is refused; a process-wide budget keeps an anonymous caller from flooding logs.
 */
import type { Log } from '../log.ts'
import { jsonError, readJsonObject } from './respond.ts'

export const RELEASE_ALERTS_PATH = '/api/release-alerts'
/** Alerts logged per minute, all callers together; more are answered 429 and not logged. */
export const RELEASE_ALERTS_PER_MINUTE = 30

const CODE = /^release\/[a-z-]{1,40}$/
const VERSION = /^[0-9A-Za-z.+_-]{1,64}$/
let windowStart = 0
let inWindow = 0

export async function handleReleaseAlert(req: Request, log: Log): Promise<Response> {
  if (req.method !== 'POST') return jsonError('api/method-not-allowed', 405)
  const body = await readJsonObject(req)
  if (!body.ok) return body.response
  const { code, check, version, running } = body.value
  const okVersion = (v: unknown) => v === null || (typeof v === 'string' && VERSION.test(v))
  if (
    typeof code !== 'string' || !CODE.test(code) || (check !== 'update' && check !== 'running') ||
    !okVersion(version) || !okVersion(running)
  ) return jsonError('api/bad-request', 400)
  const now = Date.now()
  if (now - windowStart > 60_000) [windowStart, inWindow] = [now, 0]
  if (++inWindow > RELEASE_ALERTS_PER_MINUTE) return jsonError('api/rate-limited', 429)
  log('release.verification-failed', {
    code,
    check,
    version: (version as string | null) ?? 'unknown',
    running: (running as string | null) ?? 'unknown',
  })
  return new Response(null, { status: 204 })
}
