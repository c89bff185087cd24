/**
 * Signed release manifests of the PWA (issue 5, docs/decisions/0010): the build lists every file
 * the service worker precaches (plus sw.js and its workbox runtime) with its SHA-256 and signs
 * the exact JSON bytes with the Ed25519 release key. The running app verifies a new release
 * against the key it pinned at install — never the key a new build carries — before it lets the
 * waiting service worker take over. Pure functions over bytes; no fetch, no Cache Storage.
 */
import { bytesToHex, encodeTuple, fromUtf8, utf8 } from './bytes.ts'
import { sign, verifySignature } from './ed25519.ts'
import { sha256 } from './hkdf.ts'
import { err, ok, type Result } from './result.ts'

const RELEASE_TAG = 'wardline/release/v1'
export const RELEASE_FORMAT = 'wardline-release/1'
/** More files than any build of ours has; a longer list is refused as malformed. */
export const MAX_RELEASE_FILES = 2000
const MAX_RELEASE_JSON_BYTES = 512 * 1024

export type ReleaseFile = {
  /** Path relative to the app's base URL, as workbox lists it (`index.html`, `assets/x.js`). */
  url: string
  /** Workbox's revision for an unhashed precached file, null for hashed or not precached files. */
  revision: string | null
  /** In the precache (read from Cache Storage) or fetched by the browser itself (sw.js). */
  precached: boolean
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string
}

export type Release = {
  format: typeof RELEASE_FORMAT
  /** package.json version + build id, e.g. `0.1.0+20261203.1`; shown, compared for equality. */
  version: string
  /** Build time in ms; a release is newer only when this is strictly greater (no rollback). */
  releasedAt: number
  /** The signer's public key (hex): informational; verification uses the pinned key. */
  publicKey: string
  files: ReleaseFile[]
}

const signingBytes = (json: Uint8Array): Uint8Array => encodeTuple([RELEASE_TAG, json])

/** Lowercase hex SHA-256, the form release files carry. */
export function hashReleaseFile(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes))
}

/** Serialises a release canonically enough for humans; the signature covers these exact bytes. */
export function encodeRelease(release: Release): Uint8Array {
  if (!isRelease(release)) throw new TypeError('expected a well-formed release')
  return utf8(JSON.stringify(release, null, 2) + '\n')
}

export function signRelease(json: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return sign(signingBytes(json), secretKey)
}

/** Checks the signature with the pinned key first, then parses; nothing unsigned is parsed. */
export function verifyAndParseRelease(
  json: Uint8Array,
  signature: Uint8Array,
  pinnedPublicKey: Uint8Array,
): Result<Release> {
  if (json.length > MAX_RELEASE_JSON_BYTES) return err('release/malformed')
  if (!verifySignature(signature, signingBytes(json), pinnedPublicKey)) {
    return err('release/bad-signature')
  }
  let value: unknown
  try {
    value = JSON.parse(fromUtf8(json))
  } catch {
    return err('release/malformed')
  }
  return isRelease(value) ? ok(value) : err('release/malformed')
}

const SAFE_PATH = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._~!$&'()*+,;=:@/-]{1,300}$/
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function isReleaseFile(v: unknown): v is ReleaseFile {
  return isRecord(v) && typeof v.url === 'string' && SAFE_PATH.test(v.url) &&
    !v.url.startsWith('/') && (v.revision === null ||
      (typeof v.revision === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(v.revision))) &&
    typeof v.precached === 'boolean' && typeof v.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(v.sha256)
}

function isRelease(v: unknown): v is Release {
  if (!isRecord(v) || v.format !== RELEASE_FORMAT) return false
  if (typeof v.version !== 'string' || !/^[0-9A-Za-z.+_-]{1,64}$/.test(v.version)) return false
  if (!Number.isSafeInteger(v.releasedAt) || (v.releasedAt as number) < 0) return false
  if (typeof v.publicKey !== 'string' || !/^[0-9a-f]{64}$/.test(v.publicKey)) return false
  if (!Array.isArray(v.files) || v.files.length > MAX_RELEASE_FILES) return false
  const urls = new Set<string>()
  for (const f of v.files) {
    if (!isReleaseFile(f) || urls.has(f.url)) return false
    urls.add(f.url)
  }
  return true
}
