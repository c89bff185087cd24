/**
 * X25519 key agreement that refuses low-order peer keys: an all-zero shared secret is an error,
 * never a key (RFC 7748 §6.1).
 */
import { x25519 } from '@noble/curves/ed25519.js'
import { err, ok, type Result } from './result.ts'

export type AgreementKeyPair = { secretKey: Uint8Array; publicKey: Uint8Array }

export function generateAgreementKeyPair(): AgreementKeyPair {
  const secretKey = x25519.utils.randomSecretKey()
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) }
}

export function agreementPublicKey(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey)
}

export function sharedSecret(secretKey: Uint8Array, peerPublicKey: Uint8Array): Result<Uint8Array> {
  if (secretKey.length !== 32) throw new RangeError(`expected 32-byte key, got ${secretKey.length}`)
  if (peerPublicKey.length !== 32) return err('crypto/bad-public-key')
  let shared: Uint8Array
  try {
    shared = x25519.getSharedSecret(secretKey, peerPublicKey)
  } catch {
    return err('crypto/low-order-point')
  }
  let acc = 0
  for (const b of shared) acc |= b
  if (acc === 0) return err('crypto/low-order-point')
  return ok(shared)
}
