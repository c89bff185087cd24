/**
 * The organisation root key survives the admin's phone (DESIGN §3, issue 7): at setup the first
 * admin's device splits the root Ed25519 secret k-of-n with shamir-secret-sharing (the library the
 * compliance key uses, decision 0004) into one printed share per named key holder; a new admin
 * device rebuilds it from k shares (`combineRootShares`) and keeps it only if its public key is
 * the pinned root. Shares never go to storage or to the relay. Decision 0016.
 */
import { combine, split } from 'shamir-secret-sharing'
import * as c from '../../crypto/mod.ts'

/** Printed on every share: version 1 of the Wardline root key share format. */
export const ROOT_SHARE_TAG = 'WLRS1'
/** Most key holders one root key can be split between (one printed share each). */
export const MAX_ROOT_HOLDERS = 16
const SECRET_BYTES = 32 // an Ed25519 seed
const SHARE_BYTES = SECRET_BYTES + 1 // + the library's 1-byte x coordinate
const CHECK_BYTES = 4
const CHECK_TAG = 'wardline/root-share/v1'
/** Characters of the base32 root fingerprint printed on a share: its first two groups. */
const PREFIX_CHARS = 8

export type RootKeyShare = { holder: string; share: string }
export type RootKeyHolders = { threshold: number; holders: string[] }

/** What a holder's printed share says, once parsed (its bytes are still unchecked). */
type ParsedRootShare = {
  prefix: string
  threshold: number
  index: number
  bytes: Uint8Array
  check: Uint8Array
}

const fingerprintPrefix = (rootPublicKey: Uint8Array): string =>
  c.toBase32(c.rootFingerprint(rootPublicKey)).slice(0, PREFIX_CHARS)

/** Binds a share to the whole 128-bit root fingerprint, k and its number, not just the prefix. */
function shareCheck(
  rootPublicKey: Uint8Array,
  threshold: number,
  index: number,
  bytes: Uint8Array,
): Uint8Array {
  const fingerprint = c.rootFingerprint(rootPublicKey)
  return c.sha256(c.encodeTuple([CHECK_TAG, fingerprint, String(threshold), String(index), bytes]))
    .slice(0, CHECK_BYTES)
}

/**
 * `WLRS1-<first 8 base32 of the root fingerprint>-<k>-<holder number>-<base32 of share ‖ check,
 * groups of 4>`. The prefix is the first two groups of the Organisation fingerprint on screen.
 */
export function encodeRootShare(
  rootPublicKey: Uint8Array,
  share: { threshold: number; index: number; bytes: Uint8Array },
): string {
  const { threshold, index, bytes } = share
  if (bytes.length !== SHARE_BYTES) {
    throw new RangeError(`expected ${SHARE_BYTES}-byte share, got ${bytes.length}`)
  }
  const payload = c.toBase32(
    c.concatBytes(bytes, shareCheck(rootPublicKey, threshold, index, bytes)),
  )
  const groups = payload.match(/.{1,4}/g)!.join('-')
  return `${ROOT_SHARE_TAG}-${fingerprintPrefix(rootPublicKey)}-${threshold}-${index}-${groups}`
}

/** Crockford's look-alikes, as fromBase32 reads them. */
const canonicalBase32 = (s: string) => s.replace(/-/g, '').replace(/[IL]/g, '1').replace(/O/g, '0')

export function parseRootShare(text: string): c.Result<ParsedRootShare> {
  if (typeof text !== 'string') return c.err('root/bad-share')
  const clean = text.trim().toUpperCase().replace(/[\s-]+/g, '-')
  const m = clean.match(/^WLRS1-([0-9A-Z]{8})-([1-9][0-9]?)-([1-9][0-9]?)-([0-9A-Z-]+)$/)
  if (!m) return c.err('root/bad-share')
  const payload = c.fromBase32(m[4]!, SHARE_BYTES + CHECK_BYTES)
  // One spelling per share: unused low bits of the last character must be zero.
  if (!payload.ok || c.toBase32(payload.value) !== canonicalBase32(m[4]!)) {
    return c.err('root/bad-share')
  }
  const threshold = Number(m[2])
  const index = Number(m[3])
  if (threshold > MAX_ROOT_HOLDERS || index > MAX_ROOT_HOLDERS) return c.err('root/bad-share')
  return c.ok({
    prefix: canonicalBase32(m[1]!),
    threshold,
    index,
    bytes: payload.value.slice(0, SHARE_BYTES),
    check: payload.value.slice(SHARE_BYTES),
  })
}

/** Null when the holders and threshold are acceptable, else what is wrong. */
export function checkRootHolders(threshold: number, holders: readonly string[]): string | null {
  const n = holders.length
  if (n < 1 || n > MAX_ROOT_HOLDERS) return `expected 1..${MAX_ROOT_HOLDERS} key holders, got ${n}`
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > n) {
    return `expected threshold 1..${n}, got ${threshold}`
  }
  if (holders.some((h) => h === '' || h.includes('\n'))) {
    return 'expected non-empty one-line holder names'
  }
  if (new Set(holders).size !== n) return 'expected distinct holder names'
  return null
}

/** Checks what the admin typed (untrusted: it crosses the worker protocol); names are trimmed. */
export function parseRootHolders(holders: unknown, threshold: unknown): c.Result<RootKeyHolders> {
  if (!Array.isArray(holders) || !holders.every((h) => typeof h === 'string')) {
    return c.err('setup/bad-root-holders')
  }
  const names = holders.map((h: string) => h.trim())
  const k = typeof threshold === 'number' ? threshold : NaN
  if (checkRootHolders(k, names) !== null) return c.err('setup/bad-root-holders')
  return c.ok({ threshold: k, holders: names })
}

/** k = 1 needs no polynomial: every holder holds the key itself (same share layout). */
async function splitSecret(secret: Uint8Array, n: number, k: number): Promise<Uint8Array[]> {
  if (k >= 2) return await split(secret, n, k)
  return Array.from({ length: n }, (_, i) => c.concatBytes(secret, Uint8Array.of(i + 1)))
}

/**
 * Splits the root signing secret between the holders (share i for holders[i]). The caller keeps
 * its own (vault-wrapped) copy of the root, as before; the shares are for another device.
 */
export async function splitRootKey(
  root: { secretKey: Uint8Array; publicKey: Uint8Array },
  options: RootKeyHolders,
): Promise<RootKeyShare[]> {
  const { threshold, holders } = options
  const problem = checkRootHolders(threshold, holders)
  if (problem) throw new RangeError(problem)
  if (root.secretKey.length !== SECRET_BYTES) {
    throw new RangeError(`expected ${SECRET_BYTES}-byte root secret, got ${root.secretKey.length}`)
  }
  if (!c.equalBytes(c.publicKeyFromSecret(root.secretKey), root.publicKey)) {
    throw new RangeError('expected the root public key of this secret')
  }
  const parts = await splitSecret(root.secretKey, holders.length, threshold)
  const shares = parts.map((bytes, i) => ({
    holder: holders[i]!,
    share: encodeRootShare(root.publicKey, { threshold, index: i + 1, bytes }),
  }))
  c.wipe(...parts)
  return shares
}

/** Parses and checks each share against the pinned root; one share per holder number. */
function checkedShares(
  texts: readonly string[],
  rootPublicKey: Uint8Array,
): c.Result<Uint8Array[]> {
  const byIndex = new Map<number, Uint8Array>()
  let threshold = 0
  for (const text of texts) {
    const s = parseRootShare(text)
    if (!s.ok) return s
    if (s.value.prefix !== fingerprintPrefix(rootPublicKey)) return c.err('root/wrong-organisation')
    const { index, bytes, check } = s.value
    if (!c.equalBytes(check, shareCheck(rootPublicKey, s.value.threshold, index, bytes))) {
      return c.err('root/bad-share')
    }
    // Shares of one split all name the same k; a different k is another split of this root.
    if (threshold !== 0 && threshold !== s.value.threshold) return c.err('root/mixed-splits')
    threshold = s.value.threshold
    const seen = byIndex.get(index)
    if (seen && !c.equalBytes(seen, bytes)) return c.err('root/bad-share')
    byIndex.set(index, bytes)
  }
  if (byIndex.size === 0 || byIndex.size < threshold) return c.err('root/not-enough-shares')
  return c.ok([...byIndex.values()])
}

/**
 * Rebuilds the root signing secret from k (or more) holders' shares. Refuses shares of another
 * organisation, mistyped or altered shares, too few shares, and any result whose public key is
 * not the pinned root. The caller wipes the returned secret when done with it.
 */
export async function combineRootShares(
  texts: readonly string[],
  rootPublicKey: Uint8Array,
): Promise<c.Result<Uint8Array>> {
  if (!Array.isArray(texts)) return c.err('root/bad-share')
  const shares = checkedShares(texts, rootPublicKey)
  if (!shares.ok) return shares
  const parts = shares.value
  const secret = parts.length === 1 ? parts[0]!.slice(0, SECRET_BYTES) : await combineParts(parts)
  c.wipe(...parts)
  if (
    secret.length !== SECRET_BYTES || !c.equalBytes(c.publicKeyFromSecret(secret), rootPublicKey)
  ) {
    c.wipe(secret)
    return c.err('root/shares-do-not-match')
  }
  return c.ok(secret)
}

/** The library throws on shares it cannot combine (say, two with one x coordinate): no match. */
async function combineParts(parts: Uint8Array[]): Promise<Uint8Array> {
  try {
    return await combine(parts)
  } catch {
    return new Uint8Array(0)
  }
}
