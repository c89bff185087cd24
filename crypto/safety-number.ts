/**
 * Safety numbers: 60 digits two people compare in person to check that each sees the other's
 * real devices (no device slipped in by the relay). Pure function over public keys; imports only
 * noble (through hkdf.ts) and bytes.ts.
 *
 * Construction (after Signal's NumericFingerprintGenerator, version 2, with SHA-256):
 * - each person's half: `h₀ = SHA-256(input)`, `hᵢ = SHA-256(hᵢ₋₁ ‖ input)` for 5200 rounds,
 *   where `input = encodeTuple(['wardline/safety-number/v1', userId, count, ...sortedKeys])`;
 *   the device signing keys are sorted byte-wise so the order the directory lists them in does
 *   not matter. The iteration (not HKDF) is chosen because it makes every guess at a colliding
 *   key set 5200 hashes dearer, which matters when only 100 bits of each half are shown.
 * - the first 30 bytes of the half become 30 digits: six 5-byte big-endian chunks, each mod 10⁵.
 * - the two halves are joined in canonical order (userIds compared by UTF-16 code units), so
 *   both people see the same 60 digits, grouped 12 × 5.
 */
import { concatBytes, encodeTuple, toBase64url } from './bytes.ts'
import { sha256 } from './hkdf.ts'

export type SafetyParty = { userId: string; signingKeys: readonly Uint8Array[] }

const DOMAIN = 'wardline/safety-number/v1'
const ITERATIONS = 5200
const QR_PREFIX = 'wardline-safety:1'

function assertParty(p: SafetyParty, name: string): void {
  if (typeof p?.userId !== 'string' || p.userId === '') {
    throw new TypeError(`expected ${name}.userId to be a non-empty string, got ${typeof p?.userId}`)
  }
  if (!Array.isArray(p.signingKeys) || p.signingKeys.length === 0) {
    throw new RangeError(`expected ${name}.signingKeys to hold at least one key, got none`)
  }
  for (const k of p.signingKeys) {
    if (!(k instanceof Uint8Array) || k.length !== 32) {
      throw new TypeError(`expected 32-byte signing keys, got ${k instanceof Uint8Array ? k.length + ' bytes' : typeof k}`)
    }
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/** The 32-byte iterated hash of one person's id and device keys (the source of their 30 digits). */
export function safetyFingerprint(party: SafetyParty): Uint8Array {
  assertParty(party, 'party')
  const keys = [...party.signingKeys].sort(compareBytes)
  // Duplicate keys would let the same set hash two ways; a device key appears once.
  const unique = keys.filter((k, i) => i === 0 || compareBytes(k, keys[i - 1]!) !== 0)
  const input = encodeTuple([DOMAIN, party.userId, String(unique.length), ...unique])
  let h = sha256(input)
  for (let i = 1; i < ITERATIONS; i++) h = sha256(concatBytes(h, input))
  return h
}

function digitsOf(fingerprint: Uint8Array): string {
  let out = ''
  for (let i = 0; i < 30; i += 5) {
    let n = 0
    for (let j = 0; j < 5; j++) n = n * 256 + fingerprint[i + j]! // < 2⁴⁰: exact in a double
    out += String(n % 100_000).padStart(5, '0')
  }
  return out
}

function ordered(a: SafetyParty, b: SafetyParty): [SafetyParty, SafetyParty] {
  assertParty(a, 'a')
  assertParty(b, 'b')
  if (a.userId === b.userId) throw new RangeError(`expected two different people, got ${a.userId} twice`)
  return a.userId < b.userId ? [a, b] : [b, a]
}

/** 60 digits in 12 groups of 5 separated by spaces; the same whichever side computes it. */
export function safetyNumber(a: SafetyParty, b: SafetyParty): string {
  const digits = ordered(a, b).map((p) => digitsOf(safetyFingerprint(p))).join('')
  return digits.match(/.{5}/g)!.join(' ')
}

/**
 * The string a QR code carries: both userIds (percent-encoded) and both full fingerprints, in the
 * canonical order, e.g. `wardline-safety:1:<userA>:<b64url>:<userB>:<b64url>`. The same on both sides.
 */
export function safetyQrPayload(a: SafetyParty, b: SafetyParty): string {
  const parts = ordered(a, b).map((p) => `${encodeURIComponent(p.userId)}:${toBase64url(safetyFingerprint(p))}`)
  return `${QR_PREFIX}:${parts.join(':')}`
}
