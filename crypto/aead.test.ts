import assert from 'node:assert/strict'
import { randomBytes, utf8 } from './bytes.ts'
import {
  decryptXChaCha,
  encryptXChaCha,
  NONCE_LENGTH,
  openAead,
  sealAead,
  TAG_LENGTH,
} from './aead.ts'

Deno.test('sealAead and openAead round-trip with and without associated data', () => {
  const key = randomBytes(32)
  for (const size of [0, 1, 15, 16, 17, 64, 1000]) {
    const pt = randomBytes(size)
    const ad = utf8(`ad-${size}`)
    const sealed = sealAead(key, pt, ad)
    assert.equal(sealed.length, NONCE_LENGTH + size + TAG_LENGTH)
    assert.deepEqual(openAead(key, sealed, ad), { ok: true, value: pt })
    assert.deepEqual(openAead(key, sealAead(key, pt), undefined), { ok: true, value: pt })
  }
})

Deno.test('openAead refuses another key, other associated data, every flipped bit and every truncation', () => {
  const key = randomBytes(32)
  const sealed = sealAead(key, utf8('secret'), utf8('ad'))
  assert.equal(openAead(randomBytes(32), sealed, utf8('ad')).ok, false)
  assert.equal(openAead(key, sealed, utf8('ae')).ok, false)
  assert.equal(openAead(key, sealed).ok, false)
  for (let bit = 0; bit < sealed.length * 8; bit++) {
    const t = Uint8Array.from(sealed)
    t[bit >> 3]! ^= 1 << (bit & 7)
    assert.equal(openAead(key, t, utf8('ad')).ok, false, `bit ${bit}`)
  }
  for (let n = 0; n < sealed.length; n++) {
    assert.equal(openAead(key, sealed.subarray(0, n), utf8('ad')).ok, false, `length ${n}`)
  }
})

Deno.test('the AEAD functions throw on a key that is not 32 bytes (caller misuse)', () => {
  assert.throws(() => encryptXChaCha(randomBytes(16), randomBytes(24), utf8('x')), RangeError)
  assert.throws(() => decryptXChaCha(randomBytes(31), randomBytes(24), randomBytes(32)), RangeError)
  assert.throws(() => sealAead(randomBytes(33), utf8('x')), RangeError)
})
