/**
 * The organisation's chain of trust (DESIGN §3): root key → root-signed authorization (one per
 * enrollment code) → device binding signed by the key derived from the code's one-time secret.
 * The relay stores these blobs but cannot make one: it holds neither the root nor the secret.
 */
import {
  bytesToHex,
  concatBytes,
  decodeText,
  decodeTextTuple,
  decodeTuple,
  encodeTuple,
  equalBytes,
  fromBase32,
  parseCount,
  toBase32,
} from './bytes.ts'
import { generateSigningKeyPair, sign, type SigningKeyPair, verifySignature } from './ed25519.ts'
import { deriveKey, sha256 } from './hkdf.ts'
import { err, ok, type Result } from './result.ts'

export const FINGERPRINT_BYTES = 16
export const ENROLL_SECRET_BYTES = 16
const AUTH_TAG = 'wardline/authorization/v1'
const BINDING_TAG = 'wardline/device/v1'

/** 128-bit fingerprint of the root public key, pinned by every device at enrollment. */
export function rootFingerprint(rootPublicKey: Uint8Array): Uint8Array {
  return sha256(concatBytes(new TextEncoder().encode('wardline/root/v1'), rootPublicKey))
    .subarray(0, FINGERPRINT_BYTES)
}

export function deviceIdFromKey(signingPublicKey: Uint8Array): string {
  return bytesToHex(sha256(signingPublicKey).subarray(0, 16))
}

/** The enrollment key pair both the admin and the new device derive from the one-time secret. */
export function deriveEnrollmentKey(secret: Uint8Array, fingerprint: Uint8Array): SigningKeyPair {
  if (secret.length !== ENROLL_SECRET_BYTES) {
    throw new RangeError(`expected ${ENROLL_SECRET_BYTES}-byte secret, got ${secret.length}`)
  }
  const seed = deriveKey(secret, fingerprint, new TextEncoder().encode('wardline/enroll/v1'))
  return generateSigningKeyPair(seed)
}

export type EnrollmentCode = { fingerprint: Uint8Array; secret: Uint8Array }

/** Typed form: 52 base32 characters in groups of four (fingerprint then secret). */
export function encodeEnrollmentCode(code: EnrollmentCode): string {
  const text = toBase32(code.fingerprint) + toBase32(code.secret)
  return text.match(/.{1,4}/g)!.join('-')
}

export function parseEnrollmentCode(text: string): Result<EnrollmentCode> {
  const clean = text.toUpperCase().replace(/[^0-9A-Z]/g, '')
  const half = Math.ceil((FINGERPRINT_BYTES * 8) / 5)
  if (clean.length !== half * 2) return err('enroll/bad-code')
  const fingerprint = fromBase32(clean.slice(0, half), FINGERPRINT_BYTES)
  const secret = fromBase32(clean.slice(half), ENROLL_SECRET_BYTES)
  if (!fingerprint.ok || !secret.ok) return err('enroll/bad-code')
  return ok({ fingerprint: fingerprint.value, secret: secret.value })
}

export type Authorization = {
  userId: string
  displayName: string
  role: string
  expiresAt: number
  enrollPublicKey: Uint8Array
}

export function signAuthorization(auth: Authorization, rootSecretKey: Uint8Array): Uint8Array {
  const body = encodeTuple([
    AUTH_TAG,
    auth.userId,
    auth.displayName,
    auth.role,
    String(auth.expiresAt),
    auth.enrollPublicKey,
  ])
  return encodeTuple([body, sign(body, rootSecretKey)])
}

/** Parses without checking the signature (the relay uses it to index; clients must verify). */
export function parseAuthorization(blob: Uint8Array): Result<Authorization & { body: Uint8Array; signature: Uint8Array }> {
  const outer = decodeTuple(blob, 2)
  if (!outer.ok) return outer
  const [body, signature] = outer.value as [Uint8Array, Uint8Array]
  const f = decodeTextTuple(body, 6, 5)
  if (!f.ok) return err('trust/malformed')
  const [tag, userId, displayName, role, expires] = f.value.text as [string, string, string, string, string]
  const expiresAt = parseCount(expires)
  const enrollPublicKey = f.value.bytes[0]!
  if (tag !== AUTH_TAG || expiresAt === null || enrollPublicKey.length !== 32 || !userId) return err('trust/malformed')
  return ok({ userId, displayName, role, expiresAt, enrollPublicKey, body, signature })
}

export function verifyAuthorization(blob: Uint8Array, rootPublicKey: Uint8Array): Result<Authorization> {
  const parsed = parseAuthorization(blob)
  if (!parsed.ok) return parsed
  if (!verifySignature(parsed.value.signature, parsed.value.body, rootPublicKey)) {
    return err('trust/bad-root-signature')
  }
  const { body: _b, signature: _s, ...auth } = parsed.value
  return ok(auth)
}

export type DeviceBinding = {
  authorizationHash: Uint8Array
  userId: string
  deviceId: string
  signingPublicKey: Uint8Array
  agreementPublicKey: Uint8Array
}

export function signDeviceBinding(
  binding: Omit<DeviceBinding, 'deviceId'>,
  enrollSecretKey: Uint8Array,
  deviceSecretKey: Uint8Array,
): Uint8Array {
  const body = encodeTuple([
    BINDING_TAG,
    binding.authorizationHash,
    binding.userId,
    deviceIdFromKey(binding.signingPublicKey),
    binding.signingPublicKey,
    binding.agreementPublicKey,
  ])
  return encodeTuple([body, sign(body, enrollSecretKey), sign(body, deviceSecretKey)])
}

export function parseDeviceBinding(blob: Uint8Array): Result<DeviceBinding & { body: Uint8Array; enrollSignature: Uint8Array; deviceSignature: Uint8Array }> {
  const outer = decodeTuple(blob, 3)
  if (!outer.ok) return outer
  const [body, enrollSignature, deviceSignature] = outer.value as [Uint8Array, Uint8Array, Uint8Array]
  const f = decodeTuple(body, 6)
  if (!f.ok) return f
  const [tagBytes, authorizationHash, userBytes, deviceBytes, signingPublicKey, agreementPublicKey] = f.value as Uint8Array[]
  const [tag, userId, deviceId] = [tagBytes!, userBytes!, deviceBytes!].map(decodeText)
  if (!tag?.ok || !userId?.ok || !deviceId?.ok) return err('trust/malformed')
  if (tag.value !== BINDING_TAG || signingPublicKey!.length !== 32 || agreementPublicKey!.length !== 32) return err('trust/malformed')
  if (deviceIdFromKey(signingPublicKey!) !== deviceId.value) return err('trust/malformed')
  return ok({
    authorizationHash: authorizationHash!,
    userId: userId.value,
    deviceId: deviceId.value,
    signingPublicKey: signingPublicKey!,
    agreementPublicKey: agreementPublicKey!,
    body,
    enrollSignature,
    deviceSignature,
  })
}

export type VerifiedDevice = DeviceBinding & {
  displayName: string
  role: string
  authorizationId: string
}

/** Id under which the relay files an authorization: hex of its enrollment public key. */
export const authorizationId = (enrollPublicKey: Uint8Array): string => bytesToHex(enrollPublicKey)

/** Accepts a device only with a valid chain root → authorization → binding (DESIGN §3). */
export function verifyDeviceChain(
  rootPublicKey: Uint8Array,
  authorizationBlob: Uint8Array,
  bindingBlob: Uint8Array,
): Result<VerifiedDevice> {
  const auth = verifyAuthorization(authorizationBlob, rootPublicKey)
  if (!auth.ok) return auth
  const b = parseDeviceBinding(bindingBlob)
  if (!b.ok) return b
  if (!equalBytes(b.value.authorizationHash, sha256(authorizationBlob))) return err('trust/wrong-authorization')
  if (b.value.userId !== auth.value.userId) return err('trust/wrong-user')
  if (!verifySignature(b.value.enrollSignature, b.value.body, auth.value.enrollPublicKey)) {
    return err('trust/bad-enrollment-signature')
  }
  if (!verifySignature(b.value.deviceSignature, b.value.body, b.value.signingPublicKey)) {
    return err('trust/bad-device-signature')
  }
  return ok({
    authorizationHash: b.value.authorizationHash,
    userId: b.value.userId,
    deviceId: b.value.deviceId,
    signingPublicKey: b.value.signingPublicKey,
    agreementPublicKey: b.value.agreementPublicKey,
    displayName: auth.value.displayName,
    role: auth.value.role,
    authorizationId: authorizationId(auth.value.enrollPublicKey),
  })
}

const LOGIN_TAG = 'wardline/login/v1'
/** What a device signs to log in: bound to the relay's origin and a fresh relay nonce. */
export function loginChallengeMessage(origin: string, nonce: Uint8Array, deviceId: string): Uint8Array {
  return encodeTuple([LOGIN_TAG, origin, nonce, deviceId])
}
