/**
 * Verifies a release of the PWA (issue 5, decision 0010): fetches release.json + release.sig with
 * cache 'no-store', checks the signature with the pinned key, that the release is newer than the
 * running one (or, at launch, is the running one), and that every precached file in Cache Storage
 * — the bytes the service worker downloaded — and sw.js with its runtime hash as signed. Reads
 * nothing but public files and workbox's precache; holds no user key and opens no database.
 */
import { fromBase64url, hexToBytes } from '../crypto/bytes.ts'
import { hashReleaseFile, type Release, verifyAndParseRelease } from '../crypto/release.ts'
import type { ReleaseCheckCode, ReleaseCheckReply, ReleaseCheckRequest } from './protocol.ts'

const fail = (code: ReleaseCheckCode, version: string | null = null): ReleaseCheckReply => ({
  v: 1,
  ok: false,
  code,
  version,
})

async function fetchBytes(url: URL): Promise<Uint8Array | null> {
  try {
    const res = await fetch(url, { cache: 'no-store', credentials: 'same-origin' })
    return res.ok ? new Uint8Array(await res.arrayBuffer()) : null
  } catch {
    return null
  }
}

/** workbox-precaching's cache key: the URL with `__WB_REVISION__` when the entry has a revision. */
function precacheKey(scope: URL, url: string, revision: string | null): string {
  const u = new URL(url, scope)
  if (revision !== null) u.searchParams.set('__WB_REVISION__', revision)
  return u.href
}

async function checkFiles(release: Release, scope: URL): Promise<ReleaseCheckCode | null> {
  // workbox-core names the precache `workbox-precache-v2-<scope>` (prefix-precache-v2-suffix).
  const cache = await caches.open(`workbox-precache-v2-${scope.href}`)
  for (const file of release.files) {
    let bytes: Uint8Array | null
    if (file.precached) {
      const res = await cache.match(precacheKey(scope, file.url, file.revision))
      if (!res) return 'release/missing-file'
      bytes = new Uint8Array(await res.arrayBuffer())
    } else {
      // sw.js and its runtime are held by the browser, not in Cache Storage: the nearest we can
      // read is a fresh copy from the same origin (a limit stated in THREAT_MODEL §2).
      bytes = await fetchBytes(new URL(file.url, scope))
      if (!bytes) return 'release/unavailable'
    }
    if (hashReleaseFile(bytes) !== file.sha256) return 'release/hash-mismatch'
  }
  return null
}

export async function checkRelease(req: ReleaseCheckRequest): Promise<ReleaseCheckReply> {
  const scope = new URL(req.scope)
  const [json, sigText] = await Promise.all([
    fetchBytes(new URL('release.json', scope)),
    fetchBytes(new URL('release.sig', scope)),
  ])
  if (!json || !sigText) return fail('release/unavailable')
  let signature: Uint8Array
  try {
    signature = fromBase64url(new TextDecoder().decode(sigText).trim())
  } catch {
    return fail('release/bad-signature')
  }
  const parsed = verifyAndParseRelease(json, signature, hexToBytes(req.pinnedPublicKey))
  if (!parsed.ok) return fail(parsed.code as ReleaseCheckCode)
  const release = parsed.value
  if (req.kind === 'running' && release.version !== req.running.version) {
    return fail('release/other-version', release.version)
  }
  if (req.kind === 'waiting' && release.releasedAt <= req.running.releasedAt) {
    return fail('release/not-newer', release.version)
  }
  const problem = await checkFiles(release, scope)
  if (problem) return fail(problem, release.version)
  return { v: 1, ok: true, version: release.version, releasedAt: release.releasedAt }
}
