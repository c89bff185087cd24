import assert from 'node:assert/strict'
import { bytesToHex, utf8 } from './bytes.ts'
import { generateSigningKeyPair } from './ed25519.ts'
import {
  encodeRelease,
  hashReleaseFile,
  type Release,
  signRelease,
  verifyAndParseRelease,
} from './release.ts'

const key = generateSigningKeyPair()
const release: Release = {
  format: 'wardline-release/1',
  version: '0.1.0+b1',
  releasedAt: 1_800_000_000_000,
  publicKey: bytesToHex(key.publicKey),
  files: [
    { url: 'index.html', revision: 'abc123', precached: true, sha256: hashReleaseFile(utf8('<html>')) },
    { url: 'sw.js', revision: null, precached: false, sha256: hashReleaseFile(utf8('sw')) },
  ],
}

function flipBit(blob: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(blob)
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

Deno.test('verifyAndParseRelease accepts a release signed by the pinned key', () => {
  const json = encodeRelease(release)
  assert.deepEqual(verifyAndParseRelease(json, signRelease(json, key.secretKey), key.publicKey), {
    ok: true,
    value: release,
  })
})

Deno.test('verifyAndParseRelease refuses another key even when the release names that key', () => {
  const other = generateSigningKeyPair()
  const json = encodeRelease({ ...release, publicKey: bytesToHex(other.publicKey) })
  const sig = signRelease(json, other.secretKey)
  assert.deepEqual(verifyAndParseRelease(json, sig, key.publicKey), { ok: false, code: 'release/bad-signature' })
})

Deno.test('verifyAndParseRelease rejects every bit flip of the signature and of the JSON', () => {
  const json = encodeRelease(release)
  const sig = signRelease(json, key.secretKey)
  for (let bit = 0; bit < sig.length * 8; bit++) {
    assert.equal(verifyAndParseRelease(json, flipBit(sig, bit), key.publicKey).ok, false, `sig bit ${bit}`)
  }
  for (let bit = 0; bit < json.length * 8; bit += 7) {
    assert.equal(verifyAndParseRelease(flipBit(json, bit), sig, key.publicKey).ok, false, `json bit ${bit}`)
  }
})

Deno.test('verifyAndParseRelease refuses a signed but malformed release', () => {
  const bad: unknown[] = [
    { ...release, format: 'other' },
    { ...release, version: 'has space' },
    { ...release, releasedAt: -1 },
    { ...release, files: [{ ...release.files[0], url: '../etc/passwd' }] },
    { ...release, files: [{ ...release.files[0], url: '/index.html' }] },
    { ...release, files: [{ ...release.files[0], sha256: 'AB' }] },
    { ...release, files: [release.files[0], release.files[0]] },
  ]
  for (const value of bad) {
    const json = utf8(JSON.stringify(value))
    assert.deepEqual(verifyAndParseRelease(json, signRelease(json, key.secretKey), key.publicKey), {
      ok: false,
      code: 'release/malformed',
    })
  }
  const notJson = utf8('{"format":')
  assert.deepEqual(verifyAndParseRelease(notJson, signRelease(notJson, key.secretKey), key.publicKey), {
    ok: false,
    code: 'release/malformed',
  })
})

Deno.test('encodeRelease refuses to serialise a malformed release (misuse throws)', () => {
  assert.throws(() => encodeRelease({ ...release, version: '' }), TypeError)
})
