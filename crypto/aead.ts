/**
 * XChaCha20-Poly1305 with random 24-byte nonces (DESIGN §3). The sealed form is nonce ‖ ciphertext
 * ‖ tag. `openAead` returns a Result; a bad tag is an expected failure on untrusted input.
 */
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { concatBytes, randomBytes } from './bytes.ts'
import { err, ok, type Result } from './result.ts'

export const NONCE_LENGTH = 24
export const TAG_LENGTH = 16
export const KEY_LENGTH = 32

function assertKey(key: Uint8Array): void {
  if (key.length !== KEY_LENGTH) throw new RangeError(`expected 32-byte key, got ${key.length}`)
}

/** Encrypts with an explicit nonce; only for known-answer tests and `sealAead`. */
export function encryptXChaCha(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData?: Uint8Array,
): Uint8Array {
  assertKey(key)
  return xchacha20poly1305(key, nonce, associatedData).encrypt(plaintext)
}

export function decryptXChaCha(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  associatedData?: Uint8Array,
): Result<Uint8Array> {
  assertKey(key)
  if (nonce.length !== NONCE_LENGTH) return err('crypto/bad-nonce')
  if (ciphertext.length < TAG_LENGTH) return err('crypto/bad-tag')
  try {
    return ok(xchacha20poly1305(key, nonce, associatedData).decrypt(ciphertext))
  } catch {
    return err('crypto/bad-tag')
  }
}

/** ChaCha20-Poly1305 (12-byte nonce), exposed for its known-answer vectors only. */
export function decryptChaCha(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  associatedData?: Uint8Array,
): Result<Uint8Array> {
  assertKey(key)
  if (nonce.length !== 12) return err('crypto/bad-nonce')
  try {
    return ok(chacha20poly1305(key, nonce, associatedData).decrypt(ciphertext))
  } catch {
    return err('crypto/bad-tag')
  }
}

export function encryptChaCha(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData?: Uint8Array,
): Uint8Array {
  assertKey(key)
  return chacha20poly1305(key, nonce, associatedData).encrypt(plaintext)
}

export function sealAead(
  key: Uint8Array,
  plaintext: Uint8Array,
  associatedData?: Uint8Array,
): Uint8Array {
  const nonce = randomBytes(NONCE_LENGTH)
  return concatBytes(nonce, encryptXChaCha(key, nonce, plaintext, associatedData))
}

export function openAead(
  key: Uint8Array,
  sealed: Uint8Array,
  associatedData?: Uint8Array,
): Result<Uint8Array> {
  if (sealed.length < NONCE_LENGTH + TAG_LENGTH) return err('crypto/bad-tag')
  return decryptXChaCha(
    key,
    sealed.subarray(0, NONCE_LENGTH),
    sealed.subarray(NONCE_LENGTH),
    associatedData,
  )
}
