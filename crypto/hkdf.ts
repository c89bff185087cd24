/** HKDF-SHA-256 (RFC 5869) and SHA-256, the only key derivation and hash of the protocol. */
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'

export function deriveKey(
  inputKey: Uint8Array,
  salt: Uint8Array | undefined,
  info: Uint8Array,
  length = 32,
): Uint8Array {
  if (length < 1 || length > 255 * 32) throw new RangeError(`expected length 1..8160, got ${length}`)
  return hkdf(nobleSha256, inputKey, salt, info, length)
}

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data)
}
