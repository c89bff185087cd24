import assert from 'node:assert/strict'
import { ed25519 } from '@noble/curves/ed25519.js'
import { encodeTuple, randomBytes } from './bytes.ts'
import { agreementPublicKey, generateAgreementKeyPair } from './x25519.ts'
import { xeddsaPublicKey, xeddsaSign, xeddsaVerify } from './xeddsa.ts'

const message = encodeTuple(['wardline/test/v1', 'hello'])

Deno.test('xeddsaPublicKey is the Edwards point whose Montgomery form is the X25519 key (checked by noble’s own map)', () => {
  for (let i = 0; i < 20; i++) {
    const pair = generateAgreementKeyPair()
    const ed = xeddsaPublicKey(pair.publicKey)!
    assert.equal(ed[31]! & 0x80, 0)
    assert.deepEqual(ed25519.utils.toMontgomery(ed), pair.publicKey)
  }
})

Deno.test('xeddsaSign makes signatures the strict Ed25519 verifier accepts under the converted key', () => {
  for (let i = 0; i < 20; i++) {
    const pair = generateAgreementKeyPair()
    const sig = xeddsaSign(message, pair.secretKey)
    assert.ok(xeddsaVerify(sig, message, pair.publicKey))
    assert.ok(ed25519.verify(sig, message, xeddsaPublicKey(pair.publicKey)!, { zip215: false }))
  }
})

Deno.test('xeddsaVerify rejects another key, another message, a flipped bit and u = −1', () => {
  const pair = generateAgreementKeyPair()
  const other = generateAgreementKeyPair()
  const sig = xeddsaSign(message, pair.secretKey)
  assert.ok(!xeddsaVerify(sig, message, other.publicKey))
  assert.ok(!xeddsaVerify(sig, encodeTuple(['wardline/test/v1', 'hellO']), pair.publicKey))
  for (const at of [0, 31, 32, 63]) {
    const bad = Uint8Array.from(sig)
    bad[at]! ^= 1
    assert.ok(!xeddsaVerify(bad, message, pair.publicKey))
  }
  const minusOne = new Uint8Array(32).fill(0xff)
  minusOne[0] = 0xec
  minusOne[31] = 0x7f
  assert.equal(xeddsaPublicKey(minusOne), null)
  assert.ok(!xeddsaVerify(sig, message, minusOne))
})

Deno.test('xeddsaSign draws a fresh nonce per signature and misuse throws', () => {
  const secret = randomBytes(32)
  const a = xeddsaSign(message, secret)
  const b = xeddsaSign(message, secret)
  assert.notDeepEqual(a, b)
  assert.ok(
    xeddsaVerify(a, message, agreementPublicKey(secret)) &&
      xeddsaVerify(b, message, agreementPublicKey(secret)),
  )
  assert.throws(() => xeddsaSign(message, new Uint8Array(31)), RangeError)
})
