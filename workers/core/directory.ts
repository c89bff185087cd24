/**
 * The organisation's people as this device sees them: only devices with a valid chain to the
 * pinned root (root → authorization → binding) are accepted, and two devices claiming one
 * authorization are both refused (DESIGN §3). Results are memoised by entry hash, since the same
 * entries are re-sent whenever the directory changes.
 */
import { bytesToHex, decodeTuple, equalBytes } from '../../crypto/bytes.ts'
import { sha256 } from '../../crypto/hkdf.ts'
import { type VerifiedDevice, verifyDeviceChain } from '../../crypto/trust.ts'

const memo = new Map<string, VerifiedDevice | null>()
const MEMO_LIMIT = 50_000

function verifyEntry(root: Uint8Array, entry: Uint8Array): VerifiedDevice | null {
  const key = bytesToHex(sha256(entry)) + bytesToHex(root)
  const hit = memo.get(key)
  if (hit !== undefined) return hit
  const parts = decodeTuple(entry, 2)
  const result = parts.ok ? verifyDeviceChain(root, parts.value[0]!, parts.value[1]!) : parts
  const value = result.ok ? result.value : null
  if (memo.size > MEMO_LIMIT) memo.clear()
  memo.set(key, value)
  return value
}

export type DirectoryResult = { devices: VerifiedDevice[]; refused: number }

export function verifyDirectory(
  pinnedRoot: Uint8Array,
  relayRoot: Uint8Array,
  entries: Uint8Array[],
): DirectoryResult {
  if (!equalBytes(pinnedRoot, relayRoot)) return { devices: [], refused: entries.length }
  const byAuthorization = new Map<string, VerifiedDevice[]>()
  let refused = 0
  for (const entry of entries) {
    const device = verifyEntry(pinnedRoot, entry)
    if (!device) {
      refused++
      continue
    }
    const list = byAuthorization.get(device.authorizationId) ?? []
    list.push(device)
    byAuthorization.set(device.authorizationId, list)
  }
  const devices: VerifiedDevice[] = []
  for (const list of byAuthorization.values()) {
    if (list.length === 1) devices.push(list[0]!)
    else refused += list.length
  }
  return { devices, refused }
}
