/**
 * Compaction snapshots (crypto/snapshot.ts): round trip, every flipped bit refused, a segment
 * opened only with its own epoch's key and only where it was sealed, splitting into parts, and the
 * bounds.
 */
import assert from 'node:assert/strict'
import { randomBytes, utf8 } from './bytes.ts'
import { generateSigningKeyPair } from './ed25519.ts'
import {
  joinSnapshot,
  MAX_SNAPSHOT_PARTS,
  openSnapshotSegment,
  parseSnapshot,
  sealSnapshot,
  SNAPSHOT_PART_BYTES,
  type SnapshotHead,
  splitSnapshot,
  verifySnapshot,
} from './snapshot.ts'

const signer = generateSigningKeyPair()
const keys = [randomBytes(32), randomBytes(32)]
const head: SnapshotHead = {
  conversationId: 'conv-1',
  seq: 500,
  chainHash: randomBytes(32),
  epoch: 1,
  headHash: randomBytes(32),
  signerDeviceId: 'dev-a',
  createdAt: 1_700_000_000_000,
}
const segments = [
  { epoch: 0, records: 3, plaintext: utf8('epoch zero state'), epochKey: keys[0]! },
  { epoch: 1, records: 2, plaintext: utf8('epoch one state'), epochKey: keys[1]! },
]

Deno.test('a sealed snapshot verifies, states what it covers, and each segment opens with its epoch key', () => {
  const blob = sealSnapshot(head, segments, signer.secretKey)
  const v = verifySnapshot(blob, signer.publicKey)
  assert.ok(v.ok)
  assert.deepEqual(v.value.head, head)
  assert.deepEqual(v.value.segments.map((s) => [s.epoch, s.records]), [[0, 3], [1, 2]])
  const zero = openSnapshotSegment(v.value.head, v.value.segments[0]!, keys[0]!)
  assert.ok(zero.ok)
  assert.equal(new TextDecoder().decode(zero.value), 'epoch zero state')
  // the other epoch's key opens nothing, nor does the epoch key itself used as the segment key
  assert.equal(openSnapshotSegment(v.value.head, v.value.segments[0]!, keys[1]!).ok, false)
  // a segment moved under another snapshot's head (another seq) does not open
  assert.equal(openSnapshotSegment({ ...v.value.head, seq: 499 }, v.value.segments[0]!, keys[0]!).ok, false)
})

Deno.test('every flipped bit of a snapshot is refused by verify or by opening its segments', () => {
  const blob = sealSnapshot(head, segments.slice(0, 1), signer.secretKey)
  for (let i = 0; i < blob.length * 8; i++) {
    const bad = blob.slice()
    bad[i >> 3]! ^= 1 << (i & 7)
    const v = verifySnapshot(bad, signer.publicKey)
    if (!v.ok) continue
    const opened = v.value.segments.every((s) => openSnapshotSegment(v.value.head, s, keys[s.epoch]!).ok)
    assert.ok(!opened, `bit ${i} was accepted`)
  }
  assert.equal(verifySnapshot(blob, generateSigningKeyPair().publicKey).ok, false)
})

Deno.test('malformed snapshots are a Result error, never a throw', () => {
  for (const bad of [new Uint8Array(0), randomBytes(3), randomBytes(100), utf8('wardline/snapshot/v1')]) {
    assert.equal(parseSnapshot(bad).ok, false)
  }
})

Deno.test('a snapshot splits into parts of SNAPSHOT_PART_BYTES and joins back; more than MAX_SNAPSHOT_PARTS is refused', () => {
  const big = sealSnapshot(head, [{ epoch: 1, records: 1, plaintext: new Uint8Array(SNAPSHOT_PART_BYTES * 2).fill(7), epochKey: keys[1]! }], signer.secretKey)
  const parts = splitSnapshot(big)
  assert.equal(parts.length, 3)
  assert.ok(parts.every((p) => p.length <= SNAPSHOT_PART_BYTES))
  assert.ok(verifySnapshot(joinSnapshot(parts), signer.publicKey).ok)
  assert.throws(() => splitSnapshot(new Uint8Array(MAX_SNAPSHOT_PARTS * 16 + 1), 16), RangeError)
  assert.equal(splitSnapshot(new Uint8Array(MAX_SNAPSHOT_PARTS * 16), 16).length, MAX_SNAPSHOT_PARTS)
})
