/**
 * XEdDSA (Signal's specification, Perrin 2016, §2.3 and §5): Ed25519 signatures made with an
 * X25519 private key and checked against its X25519 public key. The compliance tool signs its
 * `compliance.export` audit claim and its export manifest with the organisation's compliance key
 * (docs/decisions/0019-compliance-export.md), whose only root-certified public half is an X25519
 * key, so anyone holding the root fingerprint can check that k officers made the signature.
 * Verification converts the Montgomery u to the Edwards point with sign bit 0 and runs the one
 * strict verifier (crypto/ed25519.ts). Messages must be domain-tagged tuples, never raw key-box or
 * envelope bytes (the same key also opens key boxes).
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { concatBytes, randomBytes } from './bytes.ts'
import { verifySignature } from './ed25519.ts'

const P = ed25519.Point.Fp
const Q = ed25519.Point.Fn

/** hash_1 of the specification: SHA-512 over 0xFE ‖ 31 × 0xFF ‖ input (domain separation). */
const HASH1_PREFIX = Uint8Array.from([0xfe, ...new Array<number>(31).fill(0xff)])

/** The Edwards public key (sign bit 0) of an X25519 public key; null for u = −1 (no point). */
export function xeddsaPublicKey(x25519PublicKey: Uint8Array): Uint8Array | null {
  if (x25519PublicKey.length !== 32) {
    throw new RangeError(`expected a 32-byte X25519 key, got ${x25519PublicKey.length}`)
  }
  const masked = Uint8Array.from(x25519PublicKey)
  masked[31]! &= 0x7f
  const u = P.create(bytesToNumberLE(masked))
  const denominator = P.add(u, 1n)
  if (P.is0(denominator)) return null
  const y = P.div(P.sub(u, 1n), denominator)
  return numberToBytesLE(y, 32) // the top bit (the sign of x) stays 0
}

/** The clamped X25519 scalar, negated when its Edwards point has sign bit 1 (calculate_key_pair). */
function edwardsPair(x25519SecretKey: Uint8Array): { a: bigint; publicKey: Uint8Array } {
  const k = Uint8Array.from(x25519SecretKey)
  k[0]! &= 248
  k[31]! &= 127
  k[31]! |= 64
  let a = Q.create(bytesToNumberLE(k))
  k.fill(0)
  let publicKey = ed25519.Point.BASE.multiply(a).toBytes()
  if ((publicKey[31]! & 0x80) !== 0) {
    a = Q.neg(a)
    publicKey = ed25519.Point.BASE.multiply(a).toBytes()
  }
  return { a, publicKey }
}

/** A 64-byte signature over `message` with an X25519 secret key (random 64-byte Z per call). */
export function xeddsaSign(message: Uint8Array, x25519SecretKey: Uint8Array): Uint8Array {
  if (x25519SecretKey.length !== 32) {
    throw new RangeError(`expected a 32-byte X25519 key, got ${x25519SecretKey.length}`)
  }
  const { a, publicKey } = edwardsPair(x25519SecretKey)
  const aBytes = numberToBytesLE(a, 32)
  const r = Q.create(
    bytesToNumberLE(sha512(concatBytes(HASH1_PREFIX, aBytes, message, randomBytes(64)))),
  )
  aBytes.fill(0)
  const R = ed25519.Point.BASE.multiply(r === 0n ? 1n : r).toBytes()
  const h = Q.create(bytesToNumberLE(sha512(concatBytes(R, publicKey, message))))
  const s = Q.add(r === 0n ? 1n : r, Q.mul(h, a))
  return concatBytes(R, numberToBytesLE(s, 32))
}

/** Strict check of an XEdDSA signature against the X25519 public key. */
export function xeddsaVerify(
  signature: Uint8Array,
  message: Uint8Array,
  x25519PublicKey: Uint8Array,
): boolean {
  if (x25519PublicKey.length !== 32) return false
  const publicKey = xeddsaPublicKey(x25519PublicKey)
  return publicKey !== null && verifySignature(signature, message, publicKey)
}
