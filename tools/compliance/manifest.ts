/**
 * The signed manifest of a compliance export (docs/decisions/0019-compliance-export.md): what was
 * exported (conversation, epochs and members, counts), the SHA-256 of each export file, the audit
 * record the export appended, the tool's version and time — signed with the organisation's
 * compliance key (XEdDSA, crypto/xeddsa.ts). It carries the root-signed compliance certificate and
 * the root public key, so a court checks it with the organisation's root fingerprint alone:
 * `npm run compliance:verify -- DIR --root FINGERPRINT`. Signed bytes: the tuple
 * ("wardline/compliance-export/v1", canonical JSON of the manifest without `signature`), where
 * canonical JSON sorts object keys at every level and has no whitespace.
 */
import * as c from '../../crypto/mod.ts'

const MANIFEST_TAG = 'wardline/compliance-export/v1'
export const TOOL_NAME = 'wardline-compliance-export'
export const TOOL_VERSION = '1.0.0'

export type ExportManifest = {
  v: 1
  tool: string
  toolVersion: string
  createdAt: string
  conversationId: string
  complianceKeyId: string
  /** Officer numbers whose shares were combined. */
  sharesUsed: number[]
  rootPublicKey: string
  rootFingerprint: string
  complianceCertificate: string
  epochs: unknown[]
  /** Entries up to `seq` were pruned; their records came from this member's signed snapshot. */
  compaction: { seq: number; signerDeviceId: string; records: number } | null
  counts: Record<string, number>
  problems: { seq: number; reason: string }[]
  /** File name in the export folder → lowercase hex SHA-256 of its bytes. */
  files: Record<string, string>
  /** The `compliance.export` record this export appended to the audit log. */
  audit: { seq: number; hash: string } | null
  signature?: string
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

function signedBytes(m: ExportManifest): Uint8Array {
  const { signature: _s, ...rest } = m
  return c.encodeTuple([MANIFEST_TAG, canonicalJson(rest)])
}

export function signExportManifest(
  m: ExportManifest,
  complianceSecretKey: Uint8Array,
): ExportManifest {
  return { ...m, signature: c.toBase64url(c.xeddsaSign(signedBytes(m), complianceSecretKey)) }
}

export const sha256Hex = (bytes: Uint8Array): string => c.bytesToHex(c.sha256(bytes))

/**
 * Checks the manifest against the organisation root (by fingerprint, as the app shows it): the
 * root key it names has that fingerprint, the compliance certificate is root-signed, the
 * signature is the certified compliance key's, and every listed file has the listed hash.
 * Returns the problems found; none means the export is intact.
 */
export function verifyExportManifest(
  m: ExportManifest,
  files: ReadonlyMap<string, Uint8Array>,
  rootFingerprintText: string,
): string[] {
  const problems: string[] = []
  let root: Uint8Array
  try {
    root = c.hexToBytes(m.rootPublicKey)
  } catch {
    return ['manifest names no root key']
  }
  const norm = (s: string) =>
    s.toUpperCase().replace(/[^0-9A-Z]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0')
  if (norm(c.toBase32(c.rootFingerprint(root))) !== norm(rootFingerprintText)) {
    problems.push('root fingerprint does not match the manifest’s root key')
  }
  let cert: Uint8Array | null = null
  try {
    cert = c.fromBase64url(m.complianceCertificate)
  } catch { /* reported below */ }
  const key = cert ? c.verifyComplianceCertificate(cert, root) : null
  if (!key?.ok) problems.push('compliance certificate is not signed by the root')
  else if (key.value.keyId !== m.complianceKeyId) {
    problems.push('manifest names another compliance key')
  } else {
    let sig: Uint8Array | null = null
    try {
      sig = c.fromBase64url(m.signature ?? '')
    } catch { /* reported below */ }
    if (!sig || !c.xeddsaVerify(sig, signedBytes(m), key.value.agreementPublicKey)) {
      problems.push('manifest signature does not verify with the compliance key')
    }
  }
  for (const [name, hash] of Object.entries(m.files)) {
    const bytes = files.get(name)
    if (!bytes) problems.push(`${name}: missing`)
    else if (sha256Hex(bytes) !== hash) problems.push(`${name}: SHA-256 differs from the manifest`)
  }
  return problems
}
