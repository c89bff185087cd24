import assert from 'node:assert/strict'
import { encodeTuple, fromBase64url } from './bytes.ts'
import { generateSigningKeyPair } from './ed25519.ts'
import { safetyFingerprint, safetyNumber, safetyQrPayload } from './safety-number.ts'

const key = () => generateSigningKeyPair().publicKey
const ann = { userId: 'u-ann', signingKeys: [key(), key()] }
const ben = { userId: 'u-ben', signingKeys: [key()] }

Deno.test('safetyNumber is 60 digits in 12 groups of 5', () => {
  const n = safetyNumber(ann, ben)
  assert.match(n, /^\d{5}( \d{5}){11}$/)
})

Deno.test('safetyNumber and safetyQrPayload are the same for both sides', () => {
  assert.equal(safetyNumber(ann, ben), safetyNumber(ben, ann))
  assert.equal(safetyQrPayload(ann, ben), safetyQrPayload(ben, ann))
})

Deno.test('safetyNumber does not depend on the order of a person’s device keys', () => {
  const reordered = { ...ann, signingKeys: [...ann.signingKeys].reverse() }
  assert.equal(safetyNumber(reordered, ben), safetyNumber(ann, ben))
})

Deno.test('safetyNumber changes when a device is added, removed or its key changes', () => {
  const before = safetyNumber(ann, ben)
  const added = safetyNumber({ ...ann, signingKeys: [...ann.signingKeys, key()] }, ben)
  const removed = safetyNumber({ ...ann, signingKeys: [ann.signingKeys[0]!] }, ben)
  const changed = Uint8Array.from(ben.signingKeys[0]!)
  changed[31]! ^= 1
  const flipped = safetyNumber(ann, { ...ben, signingKeys: [changed] })
  for (const other of [added, removed, flipped]) assert.notEqual(other, before)
  // Only the changed person's half moves: the other half still matches.
  const half = (n: string) => n.replace(/ /g, '')
  const annFirst = 'u-ann' < 'u-ben'
  assert.equal(half(added).slice(annFirst ? 30 : 0, annFirst ? 60 : 30), half(before).slice(annFirst ? 30 : 0, annFirst ? 60 : 30))
})

Deno.test('safetyNumber binds the userId: the same keys under another id give another number', () => {
  assert.notEqual(safetyNumber(ann, ben), safetyNumber({ ...ann, userId: 'u-ann2' }, ben))
})

Deno.test('safetyQrPayload names both people and their full fingerprints in canonical order', () => {
  const payload = safetyQrPayload(ben, ann)
  const [prefix, version, u1, f1, u2, f2, ...rest] = payload.split(':')
  assert.deepEqual([prefix, version, u1, u2, rest.length], ['wardline-safety', '1', 'u-ann', 'u-ben', 0])
  assert.deepEqual(fromBase64url(f1!), safetyFingerprint(ann))
  assert.deepEqual(fromBase64url(f2!), safetyFingerprint(ben))
})

// The construction re-implemented with WebCrypto's SHA-256 (a second implementation), so a change
// to the hashing, the iteration count or the digit extraction fails here.
async function referenceHalf(userId: string, keys: Uint8Array[]): Promise<string> {
  const sorted = [...keys].sort((a, b) => {
    for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
    return 0
  })
  const input = Uint8Array.from(encodeTuple(['wardline/safety-number/v1', userId, String(sorted.length), ...sorted]))
  let h = new Uint8Array(await crypto.subtle.digest('SHA-256', input))
  for (let i = 1; i < 5200; i++) {
    const next = new Uint8Array(h.length + input.length)
    next.set(h)
    next.set(input, h.length)
    h = new Uint8Array(await crypto.subtle.digest('SHA-256', next))
  }
  let out = ''
  for (let i = 0; i < 30; i += 5) {
    const n = h.slice(i, i + 5).reduce((acc, b) => acc * 256 + b, 0)
    out += String(n % 100000).padStart(5, '0')
  }
  return out
}

Deno.test('safetyNumber matches a WebCrypto implementation of the same construction', async () => {
  const expected = (await referenceHalf('u-ann', ann.signingKeys)) + (await referenceHalf('u-ben', ben.signingKeys))
  assert.equal(safetyNumber(ben, ann).replace(/ /g, ''), expected)
})

Deno.test('safetyNumber has a fixed answer for fixed keys (regression vector, computed here)', () => {
  const fixed = (b: number) => new Uint8Array(32).fill(b)
  const n = safetyNumber({ userId: 'u01', signingKeys: [fixed(1)] }, { userId: 'u02', signingKeys: [fixed(2), fixed(3)] })
  assert.equal(n, VECTOR)
})
const VECTOR = '48205 35108 18622 19445 74472 84069 67116 61521 12686 52914 18544 34914'

Deno.test('safetyNumber refuses misuse: no keys, a short key, the same person twice', () => {
  assert.throws(() => safetyNumber({ userId: 'u-x', signingKeys: [] }, ben), RangeError)
  assert.throws(() => safetyNumber({ userId: 'u-x', signingKeys: [new Uint8Array(31)] }, ben), TypeError)
  assert.throws(() => safetyNumber({ userId: '', signingKeys: [key()] }, ben), TypeError)
  assert.throws(() => safetyNumber(ben, ben), RangeError)
})
