/**
 * XChaCha20-Poly1305 with random 24-byte nonces (DESIGN §3). The sealed form is nonce ‖ ciphertext
 * ‖ tag. Decryption returns a Result; a bad tag is an expected failure on untrusted input.
 * ChaCha20-Poly1305 (12-byte nonce) is exposed only for its known-answer vectors.
 */
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { concatBytes, randomBytes } from './bytes.ts'
import { err, ok, type Result } from './result.ts'

export const NONCE_LENGTH = 24
export const TAG_LENGTH = 16
export const KEY_LENGTH = 32

type Cipher = typeof xchacha20poly1305
type Encrypt = (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, associatedData?: Uint8Array) => Uint8Array
type Decrypt = (key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, associatedData?: Uint8Array) => Result<Uint8Array>

function assertKey(key: Uint8Array): void {
  if (key.length !== KEY_LENGTH) throw new RangeError(`expected 32-byte key, got ${key.length}`)
}

/** One implementation of the checks for both ciphers: key length throws, anything else is a Result. */
function aead(cipher: Cipher, nonceLength: number): { encrypt: Encrypt; decrypt: Decrypt } {
  return {
    encrypt(key, nonce, plaintext, associatedData) {
      assertKey(key)
      return cipher(key, nonce, associatedData).encrypt(plaintext)
    },
    decrypt(key, nonce, ciphertext, associatedData) {
      assertKey(key)
      if (nonce.length !== nonceLength) return err('crypto/bad-nonce')
      if (ciphertext.length < TAG_LENGTH) return err('crypto/bad-tag')
      try {
        return ok(cipher(key, nonce, associatedData).decrypt(ciphertext))
      } catch {
        return err('crypto/bad-tag')
      }
    },
  }
}

const xchacha = aead(xchacha20poly1305, NONCE_LENGTH)
const chacha = aead(chacha20poly1305, 12)

/** Encrypts with an explicit nonce; for known-answer tests and the protocol's own sealing. */
export const encryptXChaCha: Encrypt = xchacha.encrypt
export const decryptXChaCha: Decrypt = xchacha.decrypt
export const encryptChaCha: Encrypt = chacha.encrypt
export const decryptChaCha: Decrypt = chacha.decrypt

export function sealAead(key: Uint8Array, plaintext: Uint8Array, associatedData?: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_LENGTH)
  return concatBytes(nonce, encryptXChaCha(key, nonce, plaintext, associatedData))
}

export function openAead(key: Uint8Array, sealed: Uint8Array, associatedData?: Uint8Array): Result<Uint8Array> {
  if (sealed.length < NONCE_LENGTH + TAG_LENGTH) return err('crypto/bad-tag')
  return decryptXChaCha(key, sealed.subarray(0, NONCE_LENGTH), sealed.subarray(NONCE_LENGTH), associatedData)
}
