import assert from 'node:assert/strict'
import {
  bytesToHex,
  concatBytes,
  decodeText,
  decodeTuple,
  encodeTuple,
  equalBytes,
  fromBase32,
  fromBase64url,
  fromUtf8,
  hexToBytes,
  parseCount,
  toBase32,
  toBase64url,
  utf8,
  wipe,
} from './bytes.ts'

const ITERATIONS = 300

function random(length: number): Uint8Array {
  const b = new Uint8Array(length)
  crypto.getRandomValues(b)
  return b
}

Deno.test('base64url round-trips random bytes and never emits +, / or =', () => {
  for (let i = 0; i < ITERATIONS; i++) {
    const b = random(i % 97)
    const text = toBase64url(b)
    assert.match(text, /^[A-Za-z0-9_-]*$/)
    assert.equal(text.length, Math.ceil((b.length * 8) / 6))
    assert.deepEqual(fromBase64url(text), b)
  }
})

Deno.test('fromBase64url refuses text outside the base64url alphabet', () => {
  for (const bad of ['ab+c', 'ab/c', 'abc=', 'ab c', 'é']) {
    assert.throws(() => fromBase64url(bad), TypeError, bad)
  }
})

Deno.test('base32 round-trips random bytes of every length up to 64 in Crockford alphabet', () => {
  for (let i = 0; i < ITERATIONS; i++) {
    const b = random(i % 65)
    const text = toBase32(b)
    assert.match(text, /^[0-9A-HJKMNP-TV-Z]*$/)
    assert.equal(text.length, Math.ceil((b.length * 8) / 5))
    const back = fromBase32(text, b.length)
    assert.ok(back.ok)
    assert.deepEqual(back.value, b)
    // Lower case, spaces, dashes and the look-alikes I/L (for 1) and O (for 0) are accepted.
    const sloppy = text.toLowerCase().replace(/(.{3})/g, '$1- ').replaceAll('1', 'l').replaceAll(
      '0',
      'O',
    )
    const again = fromBase32(sloppy, b.length)
    assert.ok(again.ok, sloppy)
    assert.deepEqual(again.value, b)
  }
})

Deno.test('fromBase32 refuses a wrong length or a character outside the alphabet', () => {
  const text = toBase32(random(16))
  assert.deepEqual(fromBase32(text.slice(1), 16), { ok: false, code: 'crypto/bad-encoding' })
  assert.deepEqual(fromBase32(text + '0', 16), { ok: false, code: 'crypto/bad-encoding' })
  assert.deepEqual(fromBase32('U' + text.slice(1), 16), { ok: false, code: 'crypto/bad-encoding' })
  assert.deepEqual(fromBase32('*' + text.slice(1), 16), { ok: false, code: 'crypto/bad-encoding' })
})

Deno.test('encodeTuple and decodeTuple round-trip random byte and text fields', () => {
  for (let i = 0; i < ITERATIONS; i++) {
    const count = i % 9
    const fields = Array.from({ length: count }, (_, j) => random((i * 7 + j * 13) % 70))
    const encoded = encodeTuple(fields)
    assert.equal(encoded.length, fields.reduce((n, f) => n + 4 + f.length, 0))
    const decoded = decodeTuple(encoded, count)
    assert.ok(decoded.ok)
    assert.deepEqual(decoded.value, fields)
  }
  const text = encodeTuple(['wardline', 'Zoë 🩺', ''])
  const d = decodeTuple(text, 3)
  assert.ok(d.ok)
  assert.deepEqual(d.value.map((f) => fromUtf8(f)), ['wardline', 'Zoë 🩺', ''])
  assert.equal(bytesToHex(encodeTuple(['ab', new Uint8Array([1])])), '00000002616200000001' + '01')
})

Deno.test('decodeTuple refuses trailing bytes, missing fields and every truncation', () => {
  const encoded = encodeTuple(['alpha', random(10), 'gamma'])
  assert.deepEqual(decodeTuple(concatBytes(encoded, new Uint8Array(1)), 3), {
    ok: false,
    code: 'crypto/malformed',
  })
  assert.deepEqual(decodeTuple(encoded, 4), { ok: false, code: 'crypto/malformed' })
  assert.deepEqual(decodeTuple(encoded, 2), { ok: false, code: 'crypto/malformed' })
  for (let n = 0; n < encoded.length; n++) {
    assert.equal(decodeTuple(encoded.subarray(0, n), 3).ok, false, `length ${n}`)
  }
  // A length prefix larger than the input (even 2^32 − 1) is refused, not read past the end.
  assert.equal(decodeTuple(hexToBytes('ffffffff00'), 1).ok, false)
})

Deno.test('decodeTuple reads a subarray at a non-zero offset of a larger buffer', () => {
  const inner = encodeTuple(['x', 'yz'])
  const outer = concatBytes(random(5), inner, random(3))
  const d = decodeTuple(outer.subarray(5, 5 + inner.length), 2)
  assert.ok(d.ok)
  assert.deepEqual(d.value.map((f) => fromUtf8(f)), ['x', 'yz'])
})

Deno.test('decodeText refuses invalid UTF-8 with crypto/malformed', () => {
  assert.deepEqual(decodeText(new Uint8Array([0xc3, 0x28])), {
    ok: false,
    code: 'crypto/malformed',
  })
  assert.deepEqual(decodeText(utf8('ok')), { ok: true, value: 'ok' })
})

Deno.test('equalBytes compares contents and lengths; wipe zeroes every buffer', () => {
  const a = random(32)
  assert.equal(equalBytes(a, Uint8Array.from(a)), true)
  assert.equal(equalBytes(a, a.subarray(0, 31)), false)
  const b = Uint8Array.from(a)
  b[31]! ^= 1
  assert.equal(equalBytes(a, b), false)
  wipe(a, b)
  assert.ok(a.every((x) => x === 0) && b.every((x) => x === 0))
})

Deno.test('parseCount accepts only canonical non-negative integers, so every signed number has one spelling', () => {
  assert.equal(parseCount('0'), 0)
  assert.equal(parseCount('1700000000000'), 1700000000000)
  for (const bad of ['', '-1', '07', '1e3', '1.0', ' 1', '9007199254740993', undefined]) {
    assert.equal(parseCount(bad), null, String(bad))
  }
})

Deno.test('fromBase32 refuses a last character with non-zero unused bits, so every value has one spelling', () => {
  const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])
  const text = toBase32(bytes)
  assert.ok(fromBase32(text, 16).ok)
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
  const last = alphabet.indexOf(text.at(-1)!)
  const sibling = alphabet[last ^ 1]!
  assert.equal(fromBase32(text.slice(0, -1) + sibling, 16).ok, false)
})
