/**
 * Response helpers shared by every HTTP route: the security headers every response carries, JSON
 * bodies with namespaced error codes, and a body reader that refuses more than 64 KiB before
 * buffering it, so an unauthenticated client cannot make the relay hold large bodies.
 */

export const MAX_JSON_BODY_BYTES = 64 * 1024

/** The app is served from this origin only; nothing is framed, inlined or posted elsewhere. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src blob:; " +
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; " +
    "form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // Only what the app uses: WebAuthn (PRF unlock), writing an enrollment link to the clipboard, and
  // the in-app camera (photos go straight into the encrypted pipeline, decision 0018).
  'Permissions-Policy':
    'accelerometer=(), camera=(self), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), ' +
    'payment=(), usb=(), publickey-credentials-create=(self), publickey-credentials-get=(self), ' +
    'clipboard-write=(self)',
}

/** Sent when browsers reach the relay over https (its own TLS or a TLS proxy's public origin). */
export const HSTS_HEADER = 'max-age=63072000; includeSubDomains'

export function withSecurityHeaders(res: Response, hsts = false): Response {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.headers.set(k, v)
  if (hsts) res.headers.set('Strict-Transport-Security', HSTS_HEADER)
  return res
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  })
}

export const jsonError = (code: string, status: number): Response => json({ error: code }, status)

export type BodyResult = { ok: true; value: Record<string, unknown> } | {
  ok: false
  response: Response
}

/**
 * Reads a request body of at most `max` bytes, stopping (and cancelling the stream) as soon as it
 * is over, so an oversized body is never buffered whole; null when it is over.
 */
export async function readBodyBytes(req: Request, max: number): Promise<Uint8Array | null> {
  if (Number(req.headers.get('content-length') ?? 0) > max) return null
  const chunks: Uint8Array[] = []
  let total = 0
  if (req.body) {
    const reader = req.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > max) {
        await reader.cancel().catch(() => {})
        return null
      }
      chunks.push(value)
    }
  }
  const all = new Uint8Array(total)
  let offset = 0
  for (const c of chunks) {
    all.set(c, offset)
    offset += c.byteLength
  }
  return all
}

/** Reads at most MAX_JSON_BODY_BYTES and parses a JSON object. */
export async function readJsonObject(req: Request): Promise<BodyResult> {
  const all = await readBodyBytes(req, MAX_JSON_BODY_BYTES)
  if (!all) return { ok: false, response: jsonError('api/body-too-large', 413) }
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(all))
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new TypeError('not an object')
    }
    return { ok: true, value }
  } catch {
    return { ok: false, response: jsonError('api/bad-json', 400) }
  }
}
