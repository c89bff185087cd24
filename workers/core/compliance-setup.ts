/**
 * Creates the organisation's compliance key at setup (DESIGN §1 rule 2, issue 3): an X25519 key
 * pair made on the admin's device, its public half root-signed (crypto/compliance.ts), its
 * private half split k-of-n with shamir-secret-sharing into one printed share per officer, and
 * then wiped: no device and no relay ever keeps the whole key. `combineComplianceShares` is what
 * the compliance tool (a later issue) calls with k typed shares. Shares never go to storage.
 */
import { combine, split } from 'shamir-secret-sharing'
import * as c from '../../crypto/mod.ts'

/** Printed on every share: version 1 of the Wardline compliance share format. */
export const COMPLIANCE_SHARE_TAG = 'WLCS1'
const SHARE_BYTES = 33 // 32-byte secret + the library's 1-byte x coordinate
const CHECK_BYTES = 4
const CHECK_TAG = 'wardline/compliance-share/v1'

export type ComplianceShare = { officer: string; share: string }

/** What an officer's printed share says, once parsed (its bytes are still unchecked). */
type ParsedShare = { keyPrefix: string; index: number; bytes: Uint8Array; check: Uint8Array }

function shareCheck(keyId: string, index: number, bytes: Uint8Array): Uint8Array {
  return c.sha256(c.encodeTuple([CHECK_TAG, keyId, String(index), bytes])).slice(0, CHECK_BYTES)
}

/** `WLCS1-<first 8 hex of keyId>-<officer number>-<base32 of share ‖ check, groups of 4>`. */
export function encodeComplianceShare(keyId: string, index: number, bytes: Uint8Array): string {
  const payload = c.toBase32(c.concatBytes(bytes, shareCheck(keyId, index, bytes)))
  const groups = payload.match(/.{1,4}/g)!.join('-')
  return `${COMPLIANCE_SHARE_TAG}-${keyId.slice(0, 8).toUpperCase()}-${index}-${groups}`
}

export function parseComplianceShare(text: string): c.Result<ParsedShare> {
  const clean = text.trim().toUpperCase().replace(/[\s-]+/g, '-')
  const m = clean.match(/^WLCS1-([0-9A-F]{8})-([1-9][0-9]?)-([0-9A-Z-]+)$/)
  if (!m) return c.err('compliance/bad-share')
  const payload = c.fromBase32(m[3]!, SHARE_BYTES + CHECK_BYTES)
  // One spelling per share: unused low bits of the last character must be zero.
  if (!payload.ok || c.toBase32(payload.value) !== m[3]!.replace(/-/g, '').replace(/[IL]/g, '1').replace(/O/g, '0')) {
    return c.err('compliance/bad-share')
  }
  return c.ok({
    keyPrefix: m[1]!.toLowerCase(),
    index: Number(m[2]),
    bytes: payload.value.slice(0, SHARE_BYTES),
    check: payload.value.slice(SHARE_BYTES),
  })
}

/**
 * Checks what the admin typed (untrusted: it crosses the worker protocol): 1 ≤ k ≤ n ≤ 16,
 * non-empty distinct one-line names, trimmed.
 */
export function parseComplianceOfficers(
  officers: unknown,
  threshold: unknown,
): c.Result<{ threshold: number; officers: string[] }> {
  if (!Array.isArray(officers) || !officers.every((o) => typeof o === 'string')) {
    return c.err('setup/bad-compliance-officers')
  }
  const names = officers.map((o: string) => o.trim())
  const k = typeof threshold === 'number' ? threshold : NaN
  if (c.checkComplianceOfficers(k, names) !== null) return c.err('setup/bad-compliance-officers')
  return c.ok({ threshold: k, officers: names })
}

/** k = 1 needs no polynomial: every officer holds the key itself (same share layout). */
async function splitSecret(secret: Uint8Array, n: number, k: number): Promise<Uint8Array[]> {
  if (k >= 2) return await split(secret, n, k)
  return Array.from({ length: n }, (_, i) => c.concatBytes(secret, Uint8Array.of(i + 1)))
}

/**
 * Makes the compliance key pair, root-signs its public half and splits its private half between
 * the officers (share i for officers[i]). The private key is wiped before this returns.
 */
export async function createComplianceKey(
  rootSecretKey: Uint8Array,
  options: { threshold: number; officers: string[]; createdAt?: number },
): Promise<{ certificate: Uint8Array; key: c.ComplianceKey; shares: ComplianceShare[] }> {
  const { threshold, officers } = options
  const problem = c.checkComplianceOfficers(threshold, officers)
  if (problem) throw new RangeError(problem)
  const pair = c.generateAgreementKeyPair()
  const key = {
    keyId: c.complianceKeyId(pair.publicKey),
    agreementPublicKey: pair.publicKey,
    threshold,
    officers: [...officers],
    createdAt: options.createdAt ?? Date.now(),
  }
  let parts: Uint8Array[]
  try {
    parts = await splitSecret(pair.secretKey, officers.length, threshold)
  } finally {
    c.wipe(pair.secretKey)
  }
  const { keyId: _k, ...signed } = key
  const certificate = c.signComplianceCertificate(signed, rootSecretKey)
  const shares = parts.map((bytes, i) => ({
    officer: officers[i]!,
    share: encodeComplianceShare(key.keyId, i + 1, bytes),
  }))
  c.wipe(...parts)
  return { certificate, key, shares }
}

/** Parses and checks each share against the key; one share per officer number. */
function checkedShares(texts: readonly string[], key: c.ComplianceKey): c.Result<Uint8Array[]> {
  const byIndex = new Map<number, Uint8Array>()
  for (const text of texts) {
    const s = parseComplianceShare(text)
    if (!s.ok) return s
    if (s.value.keyPrefix !== key.keyId.slice(0, 8)) return c.err('compliance/wrong-key')
    const { index, bytes, check } = s.value
    if (index > key.officers.length || !c.equalBytes(check, shareCheck(key.keyId, index, bytes))) {
      return c.err('compliance/bad-share')
    }
    const seen = byIndex.get(index)
    if (seen && !c.equalBytes(seen, bytes)) return c.err('compliance/bad-share')
    byIndex.set(index, bytes)
  }
  if (byIndex.size < key.threshold) return c.err('compliance/not-enough-shares')
  return c.ok([...byIndex.values()])
}

/**
 * Rebuilds the compliance private key from k (or more) officers' shares. Refuses shares of
 * another key, mistyped or altered shares, too few shares, and any result whose public key is
 * not the root-certified one. The caller wipes the returned key when done.
 */
export async function combineComplianceShares(
  texts: readonly string[],
  key: c.ComplianceKey,
): Promise<c.Result<Uint8Array>> {
  const shares = checkedShares(texts, key)
  if (!shares.ok) return shares
  const secret = key.threshold === 1
    ? shares.value[0]!.slice(0, 32)
    : await combine(shares.value)
  c.wipe(...shares.value)
  if (secret.length !== 32 || !c.equalBytes(c.agreementPublicKey(secret), key.agreementPublicKey)) {
    c.wipe(secret)
    return c.err('compliance/shares-do-not-match')
  }
  return c.ok(secret)
}
