/**
 * Which web origins may talk to the relay: its own (or the configured public origin behind a
 * proxy) and those an admin lists in WARDLINE_ALLOWED_ORIGINS (an app served from a separate
 * origin, the browser test runner). WebSocket upgrades from any other origin are refused, so a
 * foreign page cannot ride a user's browser into the relay; listed origins get CORS on /api/.
 */
export type OriginPolicy = { publicOrigin: string | null; allowed: ReadonlySet<string> }

export function parseOriginList(text: string | undefined): Set<string> {
  const out = new Set<string>()
  for (const part of (text ?? '').split(',')) {
    const t = part.trim()
    if (!t) continue
    const u = new URL(t) // throws on a malformed entry: a configuration error should stop startup
    out.add(u.origin)
  }
  return out
}

/** The origin devices sign at login: the public one when configured, else the request's. */
export function relayOrigin(policy: OriginPolicy, requestUrl: URL): string {
  return policy.publicOrigin ?? requestUrl.origin
}

/** A request without Origin (native clients, the simulator) is allowed; browsers always send it. */
export function isOriginAllowed(policy: OriginPolicy, requestUrl: URL, origin: string | null): boolean {
  if (origin === null) return true
  return origin === relayOrigin(policy, requestUrl) || origin === requestUrl.origin || policy.allowed.has(origin)
}

export function withCors(res: Response, origin: string | null, policy: OriginPolicy): Response {
  if (origin === null || !policy.allowed.has(origin)) return res
  res.headers.set('Access-Control-Allow-Origin', origin)
  res.headers.set('Access-Control-Allow-Methods', 'GET, POST')
  res.headers.set('Access-Control-Allow-Headers', 'content-type')
  res.headers.append('Vary', 'Origin')
  return res
}
