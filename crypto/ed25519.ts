/**
 * The one strict Ed25519 verifier of the product (DESIGN §3): noble with `zip215: false`, plus
 * explicit refusal of small-order public keys and R points, so every client and the relay agree
 * on exactly which signatures are valid. Never verify Ed25519 with WebCrypto.
 */
import { ed25519 } from '@noble/curves/ed25519.js'

export type SigningKeyPair = { secretKey: Uint8Array; publicKey: Uint8Array }

export function generateSigningKeyPair(seed?: Uint8Array): SigningKeyPair {
  if (seed !== undefined && seed.length !== 32) {
    throw new RangeError(`expected 32-byte seed, got ${seed.length}`)
  }
  const secretKey = seed ? Uint8Array.from(seed) : ed25519.utils.randomSecretKey()
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) }
}

export function publicKeyFromSecret(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey)
}

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 32) throw new RangeError(`expected 32-byte key, got ${secretKey.length}`)
  return ed25519.sign(message, secretKey)
}

/**
 * True unless the bytes are a canonical encoding of a point in the prime-order subgroup that is not
 * of small order. noble's verify is cofactored even with `zip215: false`, so torsion components
 * in A or R (mixed-order points) must be refused here to get cofactorless, strict semantics.
 */
function isUnsafePointEncoding(bytes: Uint8Array): boolean {
  try {
    const p = ed25519.Point.fromBytes(bytes, false)
    return p.isSmallOrder() || !p.isTorsionFree()
  } catch {
    return true
  }
}

// Public keys repeat (a device signs many envelopes): remember which ones passed the subgroup
// check, which costs a full scalar multiplication. Bounded; cleared when full.
const safeKeys = new Set<string>()
const SAFE_KEYS_LIMIT = 10_000
function isSafePublicKey(publicKey: Uint8Array): boolean {
  const id = String.fromCharCode(...publicKey)
  if (safeKeys.has(id)) return true
  if (isUnsafePointEncoding(publicKey)) return false
  if (safeKeys.size >= SAFE_KEYS_LIMIT) safeKeys.clear()
  safeKeys.add(id)
  return true
}

/** Strict verification: canonical encodings only, no small- or mixed-order key or R. */
export function verifySignature(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false
  if (!isSafePublicKey(publicKey) || isUnsafePointEncoding(signature.subarray(0, 32))) {
    return false
  }
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false
  }
}
