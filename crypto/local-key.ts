/**
 * At-rest protection (DESIGN §3): the device's local storage key is wrapped under a key derived
 * from the PIN/passphrase with scrypt (N=2^16, r=8: 64 MiB of memory per guess), and optionally a
 * second time under HKDF of a WebAuthn PRF output (docs/decisions/0005-webauthn-prf-unlock.md).
 * A wrong PIN or PRF output fails the AEAD tag and reveals nothing.
 */
import { scrypt } from '@noble/hashes/scrypt.js'
import { encodeTuple, randomBytes, utf8, wipe } from './bytes.ts'
import { openAead, sealAead } from './aead.ts'
import { deriveKey } from './hkdf.ts'
import { err, type Result } from './result.ts'

export type KdfParams = { N: number; r: number; p: number; salt: Uint8Array }
export type WrappedKey = { kdf: KdfParams; sealed: Uint8Array }

/** Production parameters: 64 MiB, about half a second on a ward phone. */
export const DEFAULT_KDF = { N: 2 ** 16, r: 8, p: 1 } as const

function kdfLabel(p: KdfParams): Uint8Array {
  return encodeTuple(['wardline/local-key/v1', String(p.N), String(p.r), String(p.p), p.salt])
}

function derive(pin: string, p: KdfParams): Uint8Array {
  return scrypt(utf8(pin.normalize('NFKC')), p.salt, { N: p.N, r: p.r, p: p.p, dkLen: 32 })
}

export function wrapLocalKey(
  localKey: Uint8Array,
  pin: string,
  params: { N: number; r: number; p: number } = DEFAULT_KDF,
): WrappedKey {
  const kdf = { ...params, salt: randomBytes(16) }
  const kek = derive(pin, kdf)
  const sealed = sealAead(kek, localKey, kdfLabel(kdf))
  wipe(kek)
  return { kdf, sealed }
}

export function unwrapLocalKey(wrapped: WrappedKey, pin: string): Result<Uint8Array> {
  const { N, r, p } = wrapped.kdf
  const valid = [N, r, p].every(Number.isSafeInteger) && N >= 2 && N <= 2 ** 20 && (N & (N - 1)) === 0 &&
    r >= 1 && r <= 16 && p >= 1 && p <= 4 && wrapped.kdf.salt instanceof Uint8Array
  if (!valid) return err('crypto/bad-kdf-params')
  const kek = derive(pin, wrapped.kdf)
  const opened = openAead(kek, wrapped.sealed, kdfLabel(wrapped.kdf))
  wipe(kek)
  return opened.ok ? opened : err('local/wrong-pin')
}

/** The local key wrapped under a WebAuthn PRF output (32 bytes of authenticator-held secret). */
export type PrfWrappedKey = { salt: Uint8Array; sealed: Uint8Array }
const PRF_INFO = 'wardline/local-key/prf/v1'

function prfKek(prfOutput: Uint8Array, salt: Uint8Array): Uint8Array {
  if (prfOutput.length !== 32) throw new RangeError(`expected 32-byte PRF output, got ${prfOutput.length}`)
  return deriveKey(prfOutput, salt, utf8(PRF_INFO))
}

export function wrapLocalKeyWithPrf(localKey: Uint8Array, prfOutput: Uint8Array): PrfWrappedKey {
  const salt = randomBytes(16)
  const kek = prfKek(prfOutput, salt)
  const sealed = sealAead(kek, localKey, utf8(PRF_INFO))
  wipe(kek)
  return { salt, sealed }
}

export function unwrapLocalKeyWithPrf(wrapped: PrfWrappedKey, prfOutput: Uint8Array): Result<Uint8Array> {
  if (prfOutput.length !== 32 || !(wrapped.salt instanceof Uint8Array)) return err('local/prf-failed')
  const kek = prfKek(prfOutput, wrapped.salt)
  const opened = openAead(kek, wrapped.sealed, utf8(PRF_INFO))
  wipe(kek)
  return opened.ok ? opened : err('local/prf-failed')
}
