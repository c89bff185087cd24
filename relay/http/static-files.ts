/**
 * Serves the built PWA from the static directory. Unknown paths get index.html so deep links
 * open the app; the shell files are revalidated every time (an update must never strand a tab
 * on an old build) while hashed /assets/ are cached forever. Paths never leave the directory.
 */
import { extname, join, resolve, sep } from 'node:path'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
}

export const NOT_BUILT_TEXT =
  'Wardline relay is running; the web app is not built (run npm run build)\n'

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile
  } catch {
    return false
  }
}

/** Maps a URL path to a file inside root, or null when it is not a safe, existing file. */
async function resolveFile(root: string, pathname: string): Promise<string | null> {
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.split('/').some((p) => p === '..')) return null
  const full = resolve(join(root, decoded))
  if (full !== root && !full.startsWith(root + sep)) return null
  return (await isFile(full)) ? full : null
}

function cacheControl(urlPath: string): string {
  if (urlPath.startsWith('/assets/')) return 'public, max-age=31536000, immutable'
  // The shell files must revalidate; other unhashed files (icons) may change between builds too.
  return 'no-cache'
}

async function fileResponse(path: string, urlPath: string): Promise<Response> {
  const body = await Deno.readFile(path)
  const type = CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
  return new Response(body, {
    headers: { 'Content-Type': type, 'Cache-Control': cacheControl(urlPath) },
  })
}

export function createStaticHandler(staticDir: string): (req: Request) => Promise<Response> {
  const root = resolve(staticDir)
  return async (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return new Response('Method not allowed\n', { status: 405, headers: { Allow: 'GET, HEAD' } })
    }
    const urlPath = new URL(req.url).pathname
    const file = urlPath === '/' ? null : await resolveFile(root, urlPath)
    if (file) return await fileResponse(file, urlPath)
    const index = join(root, 'index.html')
    if (await isFile(index)) return await fileResponse(index, '/index.html')
    return new Response(NOT_BUILT_TEXT, {
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' },
    })
  }
}
