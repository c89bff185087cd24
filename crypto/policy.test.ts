import assert from 'node:assert/strict'
import { encodeTuple } from './bytes.ts'
import { generateSigningKeyPair, sign } from './ed25519.ts'
import { checkPin, DEFAULT_POLICY, parsePolicy, type Policy, signPolicy, verifyPolicy } from './policy.ts'

const root = generateSigningKeyPair()
const policy: Policy = { ...DEFAULT_POLICY, version: 3, issuedAt: 1_800_000_000_000, pinKind: 'mixed', maxPinAttempts: 5 }

function flipBit(blob: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(blob)
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

/** A policy body signed by the root whatever its fields say (to test the parser's bounds). */
function signRaw(fields: string[]): Uint8Array {
  const body = encodeTuple(['wardline/policy/v1', ...fields])
  return encodeTuple([body, sign(body, root.secretKey)])
}

Deno.test('verifyPolicy accepts a root-signed policy and returns its fields', () => {
  const v = verifyPolicy(signPolicy(policy, root.secretKey), root.publicKey)
  assert.deepEqual(v, { ok: true, value: policy })
})

Deno.test('verifyPolicy rejects every single bit flip and another root', () => {
  const blob = signPolicy(policy, root.secretKey)
  for (let bit = 0; bit < blob.length * 8; bit++) {
    assert.equal(verifyPolicy(flipBit(blob, bit), root.publicKey).ok, false, `bit ${bit}`)
  }
  assert.deepEqual(verifyPolicy(blob, generateSigningKeyPair().publicKey), { ok: false, code: 'trust/bad-policy' })
})

Deno.test('parsePolicy enforces the bounds of every field', () => {
  //             version issuedAt minPin kind maxAttempts idle
  const good = ['1', '0', '6', 'any', '10', '15']
  assert.equal(parsePolicy(signRaw(good)).ok, true)
  const cases: [number, string, boolean][] = [
    [2, '4', true], [2, '3', false], [2, '64', true], [2, '65', false],
    [4, '3', true], [4, '2', false], [4, '100', true], [4, '101', false],
    [5, '1', true], [5, '0', false], [5, '480', true], [5, '481', false],
    [3, 'digits', true], [3, 'mixed', true], [3, 'letters', false], [3, '', false],
    [0, '-1', false], [0, '01', false], [1, '1e3', false], [2, ' 6', false],
  ]
  for (const [i, v, okay] of cases) {
    const fields = [...good]
    fields[i] = v
    assert.equal(parsePolicy(signRaw(fields)).ok, okay, `field ${i} = ${JSON.stringify(v)}`)
  }
  assert.equal(parsePolicy(signRaw(good.slice(0, 5))).ok, false)

})

Deno.test('signPolicy refuses a policy outside the bounds', () => {
  assert.throws(() => signPolicy({ ...policy, minPinLength: 3 }, root.secretKey), RangeError)
  assert.throws(() => signPolicy({ ...policy, idleLockMinutes: 0 }, root.secretKey), RangeError)
  assert.throws(() => signPolicy({ ...policy, maxPinAttempts: 101 }, root.secretKey), RangeError)
})

Deno.test('checkPin applies length and kind', () => {
  assert.equal(checkPin('12345', DEFAULT_POLICY), 'local/weak-pin')
  assert.equal(checkPin('123456', DEFAULT_POLICY), null)
  const digits = { ...DEFAULT_POLICY, pinKind: 'digits' as const }
  assert.equal(checkPin('12345a', digits), 'local/weak-pin')
  assert.equal(checkPin('246810', digits), null)
  const mixed = { ...DEFAULT_POLICY, pinKind: 'mixed' as const, minPinLength: 8 }
  assert.equal(checkPin('abcdefgh', mixed), 'local/weak-pin')
  assert.equal(checkPin('12345678', mixed), 'local/weak-pin')
  assert.equal(checkPin('ward-7-a', mixed), null)
  assert.equal(checkPin('ward-7', mixed), 'local/weak-pin')
  // length counts characters, not UTF-16 units
  assert.equal(checkPin('🩺🩺🩺🩺🩺', DEFAULT_POLICY), 'local/weak-pin')
})

Deno.test('a v2 policy carries the lease and session limits; a v1 policy gets their defaults', () => {
  const strict: Policy = { ...policy, leaseHours: 24, leaseWipeDays: 2, maxSessionHours: 8 }
  assert.deepEqual(verifyPolicy(signPolicy(strict, root.secretKey), root.publicKey), { ok: true, value: strict })
  const v1 = parsePolicy(signRaw(['1', '0', '6', 'any', '10', '15']))
  assert.equal(v1.ok && [v1.value.leaseHours, v1.value.leaseWipeDays, v1.value.maxSessionHours].join(), '72,7,12')
  assert.throws(() => signPolicy({ ...policy, leaseHours: 0 }, root.secretKey), RangeError)
  assert.throws(() => signPolicy({ ...policy, maxSessionHours: 24 * 7 + 1 }, root.secretKey), RangeError)
})

Deno.test('allowFileExport: off by default and then signed as v2 (older builds accept it); on is a v3 policy bound by the signature', () => {
  assert.equal(DEFAULT_POLICY.allowFileExport, false)
  const off = signPolicy(policy, root.secretKey)
  const parsedOff = verifyPolicy(off, root.publicKey)
  assert.equal(parsedOff.ok && parsedOff.value.allowFileExport, false)
  assert(new TextDecoder().decode(off).includes('wardline/policy/v2'))
  const on = signPolicy({ ...policy, allowFileExport: true }, root.secretKey)
  const parsedOn = verifyPolicy(on, root.publicKey)
  assert.equal(parsedOn.ok && parsedOn.value.allowFileExport, true)
  // The flag cannot be flipped off (or on) without the root's signature.
  const flipped = on.slice()
  flipped[new TextDecoder().decode(on).indexOf('policy/v3') + 8]! ^= 1
  assert.equal(verifyPolicy(flipped, root.publicKey).ok, false)
})
