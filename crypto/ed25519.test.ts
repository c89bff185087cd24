/**
 * The strict Ed25519 verifier (DESIGN §3): canonical encodings only, no small-order key or R,
 * cofactorless. Each forgery below is built so that a permissive verifier would accept it; the
 * test first shows that (with noble's ZIP-215 / cofactored mode) and then requires
 * verifySignature to refuse it.
 */
import assert from 'node:assert/strict'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { concatBytes, hexToBytes, randomBytes, utf8 } from './bytes.ts'
import { generateSigningKeyPair, publicKeyFromSecret, sign, verifySignature } from './ed25519.ts'

const Point = ed25519.Point
const L = Point.Fn.ORDER

const leToNumber = (b: Uint8Array): bigint => {
  let n = 0n
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!)
  return n
}
const numberToLe = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 255n)
  return out
}
const challenge = (R: Uint8Array, A: Uint8Array, msg: Uint8Array): bigint =>
  leToNumber(sha512(concatBytes(R, A, msg))) % L

/** A point of order 8 (the generator of the torsion subgroup). */
const T8 = Point.fromBytes(
  hexToBytes('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
)
/** The 8 canonical encodings of the small-order points T8·0 … T8·7. */
const SMALL_ORDER = Array.from(
  { length: 8 },
  (_, i) => (i === 0 ? Point.ZERO : T8.multiply(BigInt(i))).toBytes(),
)

/** Signs like RFC 8032 but lets the caller choose the public-key bytes hashed and add torsion to R. */
function forge(
  secretKey: Uint8Array,
  msg: Uint8Array,
  opts: { hashedKey?: Uint8Array; torsionR?: boolean } = {},
) {
  const { scalar, prefix, pointBytes } = ed25519.utils.getExtendedPublicKey(secretKey)
  const r = leToNumber(sha512(concatBytes(prefix, msg))) % L
  let R = Point.BASE.multiply(r)
  if (opts.torsionR) R = R.add(T8)
  const Rb = R.toBytes()
  const A = opts.hashedKey ?? pointBytes
  const S = (r + challenge(Rb, A, msg) * scalar) % L
  return concatBytes(Rb, numberToLe(S))
}

const permissive = (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean =>
  ed25519.verify(sig, msg, pk, { zip215: true })

Deno.test('verifySignature accepts what sign produces and rejects another message or key', () => {
  const kp = generateSigningKeyPair()
  const msg = utf8('ward 7 handover')
  const sig = sign(msg, kp.secretKey)
  assert.equal(verifySignature(sig, msg, kp.publicKey), true)
  assert.equal(verifySignature(sig, utf8('ward 8 handover'), kp.publicKey), false)
  assert.equal(verifySignature(sig, msg, generateSigningKeyPair().publicKey), false)
  assert.deepEqual(publicKeyFromSecret(kp.secretKey), kp.publicKey)
})

Deno.test('generateSigningKeyPair is deterministic from a seed and sign refuses wrong-length keys', () => {
  const seed = randomBytes(32)
  assert.deepEqual(generateSigningKeyPair(seed).publicKey, generateSigningKeyPair(seed).publicKey)
  assert.throws(() => generateSigningKeyPair(new Uint8Array(31)), RangeError)
  assert.throws(() => sign(utf8('x'), new Uint8Array(64)), RangeError)
})

Deno.test('verifySignature rejects wrong-length signatures and keys without throwing', () => {
  const kp = generateSigningKeyPair()
  const msg = utf8('m')
  const sig = sign(msg, kp.secretKey)
  for (const s of [sig.subarray(0, 63), concatBytes(sig, new Uint8Array(1)), new Uint8Array(0)]) {
    assert.equal(verifySignature(s, msg, kp.publicKey), false)
  }
  for (const k of [kp.publicKey.subarray(0, 31), concatBytes(kp.publicKey, new Uint8Array(1))]) {
    assert.equal(verifySignature(sig, msg, k), false)
  }
})

Deno.test('verifySignature rejects a signature under the identity public key (0x01 followed by 31 zeros)', () => {
  const identity = new Uint8Array(32)
  identity[0] = 1
  assert.deepEqual(identity, SMALL_ORDER[0])
  // With A = identity, (R = s·B, S = s) satisfies R + k·A = S·B for every message.
  const s = leToNumber(randomBytes(32)) % L
  const sig = concatBytes(Point.BASE.multiply(s).toBytes(), numberToLe(s))
  const msg = utf8('any message at all')
  assert.equal(
    permissive(sig, msg, identity),
    true,
    'the forgery is real for a permissive verifier',
  )
  assert.equal(verifySignature(sig, msg, identity), false)
})

Deno.test('verifySignature rejects every small-order public key encoding', () => {
  const msg = utf8('m')
  for (const [i, pk] of SMALL_ORDER.entries()) {
    const A = Point.fromBytes(pk)
    assert.equal(A.isSmallOrder(), true)
    // Try R = r·B until k = H(R‖A‖M) is a multiple of A's order (k·A = 0, about 1 in 8): then
    // (R, S = r) satisfies the cofactorless equation S·B = R + k·A, a forgery without any secret.
    let sig: Uint8Array | undefined
    for (let attempt = 0; attempt < 1000 && !sig; attempt++) {
      const r = leToNumber(randomBytes(32)) % L
      const R = Point.BASE.multiply(r).toBytes()
      if (A.multiplyUnsafe(challenge(R, pk, msg)).is0()) sig = concatBytes(R, numberToLe(r))
    }
    assert.ok(sig, `no forgery found for small-order key #${i}`)
    assert.equal(permissive(sig, msg, pk), true, `forgery #${i} is real for a permissive verifier`)
    assert.equal(verifySignature(sig, msg, pk), false, `small-order key #${i}`)
  }
})

Deno.test('verifySignature rejects a signature whose R is a small-order point', () => {
  const kp = generateSigningKeyPair()
  const { scalar } = ed25519.utils.getExtendedPublicKey(kp.secretKey)
  const msg = utf8('small-order R')
  for (const [i, R] of SMALL_ORDER.entries()) {
    // S = k·a gives R + k·A − S·B = R, a torsion point: the cofactored equation holds.
    const S = (challenge(R, kp.publicKey, msg) * scalar) % L
    const sig = concatBytes(R, numberToLe(S))
    assert.equal(
      permissive(sig, msg, kp.publicKey),
      true,
      `forgery #${i} is real for a permissive verifier`,
    )
    assert.equal(verifySignature(sig, msg, kp.publicKey), false, `small-order R #${i}`)
  }
})

Deno.test('verifySignature rejects a non-canonical S (S + L)', () => {
  const kp = generateSigningKeyPair()
  const msg = utf8('malleable?')
  const sig = sign(msg, kp.secretKey)
  assert.equal(verifySignature(sig, msg, kp.publicKey), true)
  const S = leToNumber(sig.subarray(32))
  const malleated = concatBytes(sig.subarray(0, 32), numberToLe(S + L))
  assert.equal(verifySignature(malleated, msg, kp.publicKey), false)
  const high = concatBytes(sig.subarray(0, 32), numberToLe(S + 2n * L))
  assert.equal(verifySignature(high, msg, kp.publicKey), false)
})

Deno.test('verifySignature rejects a non-canonical encoding of the public key or R (y ≥ p)', () => {
  // y = p + 1 encodes the identity non-canonically; y = 2^255 − 1 is ≥ p.
  const nonCanonical = hexToBytes(
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  )
  const kp = generateSigningKeyPair()
  const msg = utf8('m')
  const sig = sign(msg, kp.secretKey)
  assert.equal(verifySignature(sig, msg, nonCanonical), false)
  assert.equal(
    verifySignature(concatBytes(nonCanonical, sig.subarray(32)), msg, kp.publicKey),
    false,
  )
})

// BUG (crypto/ed25519.ts, verifySignature): noble's verify uses the cofactored equation even with
// zip215: false, and verifySignature only refuses keys/R that are *entirely* small order. A
// mixed-order key A' = A + T8 (valid key plus torsion) passes both checks, and a signature made
// with the secret of A but hashing A' verifies, because R + k·A' − S·B = k·T8 vanishes after
// multiplying by the cofactor.
Deno.test('verifySignature rejects a signature under a mixed-order public key (valid key plus a torsion component)', () => {
  const kp = generateSigningKeyPair()
  const mixed = Point.fromBytes(kp.publicKey).add(T8).toBytes()
  assert.equal(Point.fromBytes(mixed).isSmallOrder(), false)
  assert.equal(Point.fromBytes(mixed).isTorsionFree(), false)
  const msg = utf8('signed under a mixed-order key')
  const sig = forge(kp.secretKey, msg, { hashedKey: mixed })
  assert.equal(verifySignature(sig, msg, mixed), false)
})

// BUG (same root cause): the module promises a cofactorless verifier, but a signature with
// R' = r·B + T8 satisfies only the cofactored equation (R' + k·A − S·B = T8 ≠ 0) and is accepted.
// Cofactorless verifiers (e.g. libsodium, RFC 8032 §5.1.7 without the optional ×8) reject it, so
// the product's verifier disagrees with them on which signatures are valid.
Deno.test('verifySignature rejects a signature whose R has a torsion component (cofactorless check)', () => {
  const kp = generateSigningKeyPair()
  const msg = utf8('R with torsion')
  const sig = forge(kp.secretKey, msg, { torsionR: true })
  assert.equal(Point.fromBytes(sig.subarray(0, 32)).isSmallOrder(), false)
  assert.equal(verifySignature(sig, msg, kp.publicKey), false)
})
