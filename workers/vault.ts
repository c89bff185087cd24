/**
 * The worker's local vault around the encrypted store (DESIGN §1 rule 6, §3 "At rest"): the
 * organisation's signed device policy, the wrong-PIN counter and the WebAuthn PRF wrapping, all
 * kept in the unencrypted meta table because they are needed before unlock and hold no secret
 * (the policy is root-signed; the PRF wrapping is AEAD-sealed). Also the wipe after too many
 * wrong PINs. Only the worker imports this; it never touches the DOM.
 */
import { equalBytes, fromBase64url } from '../crypto/bytes.ts'
import { type PrfWrappedKey } from '../crypto/local-key.ts'
import { DEFAULT_POLICY, type Policy, verifyPolicy } from '../crypto/policy.ts'
import { parseEnrollmentCode, rootFingerprint } from '../crypto/trust.ts'
import { parsePinFailures, type PinFailures } from './core/pin-attempts.ts'
import type { WardlineDb } from './encrypted-store.ts'

const KEY = {
  policy: 'policy', // { blob } — the latest valid root-signed policy
  root: 'root-public-key', // the pinned root's public key, to verify the policy before unlock
  failures: 'pin-failures', // PinFailures
  prf: 'prf-wrapped-key', // { credentialId, wrapped: PrfWrappedKey }
} as const

type Http = { baseUrl: string; fetch: typeof fetch }
export type PrfRecord = { credentialId: string; wrapped: PrfWrappedKey }

async function readMeta<T>(db: WardlineDb, k: string): Promise<T | undefined> {
  return (await db.meta.get(k))?.v as T | undefined
}

export async function writeRootPublicKey(db: WardlineDb, root: Uint8Array): Promise<void> {
  await db.meta.put({ k: KEY.root, v: root })
}

/** The stored policy if it verifies under the stored root, else DEFAULT_POLICY. */
export async function readPolicy(db: WardlineDb): Promise<Policy> {
  const root = await readMeta<Uint8Array>(db, KEY.root)
  const blob = (await readMeta<{ blob: Uint8Array }>(db, KEY.policy))?.blob
  if (!root || !blob) return DEFAULT_POLICY
  const v = verifyPolicy(blob, root)
  return v.ok ? v.value : DEFAULT_POLICY
}

/** Keeps `blob` if it verifies under `root` and is not older than the stored one. */
export async function storePolicy(db: WardlineDb, blob: Uint8Array, root: Uint8Array): Promise<Policy | null> {
  const v = verifyPolicy(blob, root)
  if (!v.ok) return null
  const current = await readPolicy(db)
  if (v.value.version >= current.version) await db.meta.put({ k: KEY.policy, v: { blob } })
  return v.value
}

/**
 * Fetches GET /api/policy and keeps it if valid. 'invalid' when the relay served a policy that
 * does not verify (the caller alerts `trust/bad-policy`); 'none' when offline or unset.
 */
export async function refreshPolicy(db: WardlineDb, http: Http, root: Uint8Array): Promise<'ok' | 'none' | 'invalid'> {
  let text: string | null
  try {
    const res = await http.fetch(new URL('/api/policy', http.baseUrl))
    if (!res.ok) return 'none'
    text = ((await res.json()) as { policy?: string | null }).policy ?? null
  } catch {
    return 'none'
  }
  if (text === null) return 'none'
  let blob: Uint8Array
  try {
    blob = fromBase64url(text)
  } catch {
    return 'invalid'
  }
  return (await storePolicy(db, blob, root)) ? 'ok' : 'invalid'
}

/**
 * Before enrolling: the root named by the code's fingerprint, so the policy (PIN strength) can be
 * verified before the PIN is chosen. null when the code does not parse or the relay's root does
 * not match (enrollDevice reports those errors itself).
 */
export async function rootForEnrollment(http: Http, code: string): Promise<Uint8Array | null> {
  const parsed = parseEnrollmentCode(code)
  if (!parsed.ok) return null
  try {
    const org = (await (await http.fetch(new URL('/api/org', http.baseUrl))).json()) as { rootPublicKey?: string }
    const root = org.rootPublicKey ? fromBase64url(org.rootPublicKey) : null
    return root && equalBytes(rootFingerprint(root), parsed.value.fingerprint) ? root : null
  } catch {
    return null
  }
}

export async function readFailures(db: WardlineDb): Promise<PinFailures> {
  return parsePinFailures(await readMeta(db, KEY.failures))
}

export async function writeFailures(db: WardlineDb, f: PinFailures): Promise<void> {
  await db.meta.put({ k: KEY.failures, v: f })
}

export async function readPrf(db: WardlineDb): Promise<PrfRecord | undefined> {
  return await readMeta<PrfRecord>(db, KEY.prf)
}

export async function writePrf(db: WardlineDb, credentialId: string, wrapped: PrfWrappedKey): Promise<void> {
  await db.meta.put({ k: KEY.prf, v: { credentialId, wrapped } satisfies PrfRecord })
}

/** Erases the whole local database (keys, records, meta). The service worker stays. */
export async function wipeDatabase(db: WardlineDb): Promise<void> {
  db.close()
  await db.delete()
}
