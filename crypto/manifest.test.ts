import assert from 'node:assert/strict'
import { generateSigningKeyPair } from './ed25519.ts'
import { type Manifest, parseManifest, signManifest, verifyManifest } from './manifest.ts'

const creator = generateSigningKeyPair()
const manifest: Manifest = {
  conversationId: 'conv-1',
  creatorDeviceId: 'dev-a',
  kind: 'group',
  memberUserIds: ['u-1', 'u-2', 'u-3'],
  deviceIds: ['dev-a', 'dev-b', 'dev-c', 'dev-d'],
  createdAt: 1_750_000_000_000,
}

function flipBit(blob: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(blob)
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

Deno.test('signManifest and verifyManifest round-trip group and direct manifests', () => {
  assert.deepEqual(verifyManifest(signManifest(manifest, creator.secretKey), creator.publicKey), {
    ok: true,
    value: manifest,
  })
  const direct: Manifest = {
    ...manifest,
    kind: 'direct',
    memberUserIds: ['u-1', 'u-2'],
    deviceIds: ['dev-a'],
  }
  assert.deepEqual(verifyManifest(signManifest(direct, creator.secretKey), creator.publicKey), {
    ok: true,
    value: direct,
  })
  const empty: Manifest = { ...manifest, memberUserIds: [], deviceIds: [] }
  assert.deepEqual(verifyManifest(signManifest(empty, creator.secretKey), creator.publicKey), {
    ok: true,
    value: empty,
  })
})

Deno.test('verifyManifest rejects every flipped bit (and accepts the original)', () => {
  const blob = signManifest(manifest, creator.secretKey)
  assert.ok(verifyManifest(blob, creator.publicKey).ok)
  const accepted: number[] = []
  for (let bit = 0; bit < blob.length * 8; bit++) {
    if (verifyManifest(flipBit(blob, bit), creator.publicKey).ok) accepted.push(bit)
  }
  assert.deepEqual(accepted, [])
})

Deno.test('verifyManifest refuses another creator key and never throws on truncation', () => {
  const blob = signManifest(manifest, creator.secretKey)
  assert.deepEqual(verifyManifest(blob, generateSigningKeyPair().publicKey), {
    ok: false,
    code: 'trust/bad-manifest-signature',
  })
  for (let n = 0; n < blob.length; n++) {
    assert.equal(verifyManifest(blob.subarray(0, n), creator.publicKey).ok, false)
  }
  assert.ok(parseManifest(blob).ok)
})
