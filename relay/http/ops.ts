/**
 * Operations endpoints (issue 4): `GET /healthz` (the process answers: liveness),
 * `GET /readyz` (storage answers and the relay is not shutting down: readiness, so a load
 * balancer drains it first) and `GET /metrics` (Prometheus text; optionally behind a bearer
 * token, WARDLINE_METRICS_TOKEN, compared in constant time). No ids, names or content.
 */
import { equalBytes } from '../crypto-surface.ts'
import type { Metrics } from '../metrics.ts'
import type { RelayStorage } from '../storage/storage.ts'
import { json, jsonError } from './respond.ts'

export const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics'])

/** Storage that does not answer within this is "not ready". */
export const READY_CHECK_TIMEOUT_MS = 2_000

export type OpsContext = {
  storage: RelayStorage
  metrics: Metrics
  isClosing: () => boolean
  metricsToken: string | null
}

async function isStorageReachable(storage: RelayStorage): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), READY_CHECK_TIMEOUT_MS)))
  try {
    return await Promise.race([storage.getOrg().then(() => true, () => false), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function hasMetricsToken(req: Request, token: string): boolean {
  const given = new TextEncoder().encode(req.headers.get('authorization') ?? '')
  return equalBytes(given, new TextEncoder().encode(`Bearer ${token}`))
}

export async function handleOps(req: Request, path: string, ops: OpsContext): Promise<Response> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return jsonError('api/method-not-allowed', 405)
  if (path === '/healthz') return json({ status: 'ok' })
  if (path === '/readyz') {
    if (ops.isClosing()) return jsonError('relay/shutting-down', 503)
    if (!(await isStorageReachable(ops.storage))) return jsonError('relay/storage-unavailable', 503)
    return json({ status: 'ready' })
  }
  if (ops.metricsToken !== null && !hasMetricsToken(req, ops.metricsToken)) {
    return jsonError('api/unauthorized', 401)
  }
  return new Response(ops.metrics.render(), {
    headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' },
  })
}
