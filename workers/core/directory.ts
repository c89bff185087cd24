/**
 * The organisation's people as this device sees them: only devices with a valid chain to the
 * pinned root (root → authorization → binding) are accepted, and two devices claiming one
 * authorization are both refused (DESIGN §3). A device may carry a revocation certificate, signed
 * by the root or by another device of the same user; revoked devices stay known (their past
 * signatures still verify) but are never encrypted to again. Results are memoised by entry hash,
 * since the same entries are re-sent whenever the directory changes.
 */
import { bytesToHex, decodeTuple, equalBytes } from '../../crypto/bytes.ts'
import { sha256 } from '../../crypto/hkdf.ts'
import { type Revocation, verifyRevocation } from '../../crypto/revocation.ts'
import { type VerifiedDevice, verifyDeviceChain } from '../../crypto/trust.ts'

const memo = new Map<string, VerifiedDevice | null>()
const MEMO_LIMIT = 50_000

function verifyChain(root: Uint8Array, authorization: Uint8Array, binding: Uint8Array): VerifiedDevice | null {
  const key = bytesToHex(sha256(authorization)) + bytesToHex(sha256(binding)) + bytesToHex(root)
  const hit = memo.get(key)
  if (hit !== undefined) return hit
  const result = verifyDeviceChain(root, authorization, binding)
  const value = result.ok ? result.value : null
  if (memo.size > MEMO_LIMIT) memo.clear()
  memo.set(key, value)
  return value
}

export type DirectoryResult = {
  devices: VerifiedDevice[]
  revoked: Set<string>
  refused: number
  /** The verified certificate of each revoked device: who signed it, when, why (decision 0012). */
  certificates: Map<string, Revocation>
}

export function verifyDirectory(
  pinnedRoot: Uint8Array,
  relayRoot: Uint8Array,
  entries: Uint8Array[],
): DirectoryResult {
  if (!equalBytes(pinnedRoot, relayRoot)) return { devices: [], revoked: new Set(), refused: entries.length, certificates: new Map() }
  const byAuthorization = new Map<string, VerifiedDevice[]>()
  const revocations: Array<[string, Uint8Array]> = []
  let refused = 0
  for (const entry of entries) {
    const parts = decodeTuple(entry, 2).ok ? decodeTuple(entry, 2) : decodeTuple(entry, 3)
    const device = parts.ok ? verifyChain(pinnedRoot, parts.value[0]!, parts.value[1]!) : null
    if (!device) {
      refused++
      continue
    }
    if (parts.ok && parts.value[2]) revocations.push([device.deviceId, parts.value[2]])
    const list = byAuthorization.get(device.authorizationId) ?? []
    list.push(device)
    byAuthorization.set(device.authorizationId, list)
  }
  const devices: VerifiedDevice[] = []
  for (const list of byAuthorization.values()) {
    if (list.length === 1) devices.push(list[0]!)
    else refused += list.length
  }
  const byId = new Map(devices.map((d) => [d.deviceId, d]))
  // Root revocations first, then sibling ones whose signer is not itself revoked, until nothing
  // changes: a revoked device cannot revoke its user's other devices.
  const revoked = new Set<string>()
  const certificates = new Map<string, Revocation>()
  for (let changed = true; changed;) {
    changed = false
    for (const [deviceId, certificate] of revocations) {
      const valid = revoked.has(deviceId) ? null : isValidRevocation(pinnedRoot, byId, revoked, deviceId, certificate)
      if (valid) {
        revoked.add(deviceId)
        certificates.set(deviceId, valid)
        changed = true
      }
    }
  }
  return { devices, revoked, refused, certificates }
}

/**
 * A revocation counts when signed by the root or by an unrevoked device of the same user — the
 * revoked device itself included ("Remove Wardline from this device", decision 0012).
 */
export function isValidRevocation(
  root: Uint8Array,
  devices: ReadonlyMap<string, VerifiedDevice>,
  revoked: ReadonlySet<string>,
  deviceId: string,
  certificate: Uint8Array,
): Revocation | null {
  const target = devices.get(deviceId)
  if (!target) return null
  for (const [signer, key] of [['root', root] as const, ...[...devices.values()]
    .filter((d) => d.userId === target.userId && !revoked.has(d.deviceId))
    .map((d) => [d.deviceId, d.signingPublicKey] as const)]) {
    const r = verifyRevocation(certificate, key)
    if (r.ok && r.value.deviceId === deviceId && r.value.signer === signer) return r.value
  }
  return null
}

/**
 * The relay's `revoked` frame, checked before a device wipes itself: its own certificate, signed
 * by the root or by a sibling the stored directory knows (or whose chain, sent along, verifies
 * to the pinned root) and does not hold revoked. A bare claim, or anything else, is null.
 */
export function verifyOwnRevocation(
  root: Uint8Array,
  self: VerifiedDevice,
  known: ReadonlyMap<string, VerifiedDevice>,
  revoked: ReadonlySet<string>,
  certificate: Uint8Array,
  signerEntry: Uint8Array,
): Revocation | null {
  const devices = new Map(known)
  devices.set(self.deviceId, self)
  const parts = signerEntry.length > 0 ? decodeTuple(signerEntry, 2) : null
  const sent = parts?.ok ? verifyChain(root, parts.value[0]!, parts.value[1]!) : null
  if (sent && !devices.has(sent.deviceId)) devices.set(sent.deviceId, sent)
  return isValidRevocation(root, devices, revoked, self.deviceId, certificate)
}
