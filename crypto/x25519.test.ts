import assert from 'node:assert/strict'
import { hexToBytes, randomBytes } from './bytes.ts'
import { agreementPublicKey, generateAgreementKeyPair, sharedSecret } from './x25519.ts'

/** Low-order u-coordinates: 0, 1, the order-8 points, p − 1, and the non-canonical p, p + 1. */
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  // The same points with bit 255 set: RFC 7748 §5 masks that bit, so they are the same u.
  '0000000000000000000000000000000000000000000000000000000000000080',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
]

Deno.test('sharedSecret agrees in both directions for fresh key pairs', () => {
  for (let i = 0; i < 20; i++) {
    const a = generateAgreementKeyPair()
    const b = generateAgreementKeyPair()
    assert.deepEqual(agreementPublicKey(a.secretKey), a.publicKey)
    const ab = sharedSecret(a.secretKey, b.publicKey)
    const ba = sharedSecret(b.secretKey, a.publicKey)
    assert.ok(ab.ok && ba.ok)
    assert.deepEqual(ab.value, ba.value)
  }
})

Deno.test('sharedSecret refuses every low-order peer key with crypto/low-order-point', () => {
  for (const u of LOW_ORDER) {
    for (let i = 0; i < 4; i++) {
      assert.deepEqual(sharedSecret(randomBytes(32), hexToBytes(u)), {
        ok: false,
        code: 'crypto/low-order-point',
      }, u)
    }
  }
})

Deno.test('sharedSecret refuses a peer key of the wrong length and throws on a wrong-length secret', () => {
  const a = generateAgreementKeyPair()
  for (const n of [0, 31, 33]) {
    assert.deepEqual(sharedSecret(a.secretKey, new Uint8Array(n)), {
      ok: false,
      code: 'crypto/bad-public-key',
    })
  }
  assert.throws(() => sharedSecret(new Uint8Array(31), a.publicKey), RangeError)
})
