/**
 * Membership commits (crypto/commit.ts): round trip, every bit flip of a commit and of a commit
 * entry refused, malformed and non-canonical fields refused, and the two bounds
 * (MAX_CONVERSATION_DEVICES, MAX_COMMIT_BOXES) tested one over the limit.
 */
import assert from 'node:assert/strict'
import { decodeTuple, encodeTuple, randomBytes } from './bytes.ts'
import {
  type Commit,
  commitHash,
  decodeCommitEntry,
  encodeCommitEntry,
  GENESIS_PREV_HASH,
  isCommitEntry,
  MAX_COMMIT_BOXES,
  MAX_CONVERSATION_DEVICES,
  parseCommit,
  signCommit,
  verifyCommit,
} from './commit.ts'
import { generateSigningKeyPair, sign } from './ed25519.ts'
import { type BoxLabel, sealKeyBox, verifyAndOpenKeyBox } from './key-box.ts'
import { generateAgreementKeyPair } from './x25519.ts'

const author = generateSigningKeyPair()
const other = generateSigningKeyPair()
const recipients = [generateAgreementKeyPair(), generateAgreementKeyPair()]

const base: Commit = {
  conversationId: 'conv-1',
  epoch: 3,
  prevHash: randomBytes(32),
  authorDeviceId: 'dev-a',
  change: 'remove',
  kind: 'group',
  memberUserIds: ['u-1', 'u-2'],
  deviceIds: ['dev-a', 'dev-b'],
  historyShared: false,
  createdAt: 1_700_000_000_000,
  complianceKeyId: '00112233445566778899aabbccddeeff',
}

function flipBit(blob: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(blob)
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

/** Signs a hand-built commit body (fields as text), to test what signCommit would never write. */
function signRawCommit(fields: string[], prevHash: Uint8Array = randomBytes(32)): Uint8Array {
  const body = encodeTuple([...fields, prevHash])
  return encodeTuple([body, sign(body, author.secretKey)])
}
const rawFields = (over: Partial<Record<number, string>> = {}): string[] => {
  const f = [
    'wardline/commit/v1', 'conv-1', '3', 'dev-a', 'remove', 'group', 'u-1\nu-2', 'dev-a\ndev-b', '0',
    '1700000000000', '',
  ]
  for (const [i, v] of Object.entries(over)) f[Number(i)] = v!
  return f
}

const labelFor = (i: number, epoch = base.epoch): BoxLabel => ({
  conversationId: base.conversationId,
  epoch,
  senderDeviceId: base.authorDeviceId,
  senderSigningKey: author.publicKey,
  recipientDeviceId: base.deviceIds[i]!,
  recipientAgreementKey: recipients[i]!.publicKey,
})

Deno.test('signCommit and verifyCommit round-trip every field; parseCommit exposes them unverified', () => {
  const blob = signCommit(base, author.secretKey)
  assert.deepEqual(verifyCommit(blob, author.publicKey), { ok: true, value: base })
  const parsed = parseCommit(blob)
  assert.ok(parsed.ok)
  assert.equal(parsed.value.epoch, 3)
  assert.deepEqual(parsed.value.deviceIds, base.deviceIds)
  const genesis: Commit = { ...base, epoch: 0, change: 'create', prevHash: GENESIS_PREV_HASH, historyShared: true }
  assert.deepEqual(verifyCommit(signCommit(genesis, author.secretKey), author.publicKey), { ok: true, value: genesis })
  // The chain link is the hash of the whole signed blob.
  assert.equal(commitHash(blob).length, 32)
  assert.notDeepEqual(commitHash(blob), commitHash(signCommit({ ...base, createdAt: 1 }, author.secretKey)))
})

Deno.test('verifyCommit refuses a commit signed by another device key', () => {
  const blob = signCommit(base, other.secretKey)
  assert.deepEqual(verifyCommit(blob, author.publicKey), { ok: false, code: 'trust/bad-commit-signature' })
})

Deno.test('verifyCommit rejects every flipped bit of a commit (and accepts the original)', () => {
  const blob = signCommit(base, author.secretKey)
  assert.ok(verifyCommit(blob, author.publicKey).ok)
  const accepted: number[] = []
  for (let bit = 0; bit < blob.length * 8; bit++) {
    if (verifyCommit(flipBit(blob, bit), author.publicKey).ok) accepted.push(bit)
  }
  assert.deepEqual(accepted, [])
})

Deno.test('a commit entry is refused by decodeCommitEntry + verifyCommit + verifyAndOpenKeyBox for every flipped bit', () => {
  const key = randomBytes(32)
  const commit = signCommit(base, author.secretKey)
  const boxes = [0, 1].map((i) => sealKeyBox(key, labelFor(i), author.secretKey))
  const entry = encodeCommitEntry(commit, boxes)
  assert.ok(isCommitEntry(entry))
  /** What a member does with an entry: the commit verifies and every box opens for its recipient. */
  const accepts = (e: Uint8Array): boolean => {
    const d = decodeCommitEntry(e)
    if (!d.ok || !verifyCommit(d.value.commit, author.publicKey).ok || d.value.boxes.length !== 2) return false
    return d.value.boxes.every((b, i) => verifyAndOpenKeyBox(b, labelFor(i), recipients[i]!.secretKey).ok)
  }
  assert.ok(accepts(entry))
  const accepted: number[] = []
  for (let bit = 0; bit < entry.length * 8; bit++) {
    if (accepts(flipBit(entry, bit))) accepted.push(bit)
  }
  assert.deepEqual(accepted, [])
})

Deno.test('decodeCommitEntry refuses an unknown tag, a missing field and trailing bytes, and never throws on truncation', () => {
  const entry = encodeCommitEntry(signCommit(base, author.secretKey), [])
  assert.deepEqual(decodeCommitEntry(encodeTuple(['wardline/commit-entry/v2', new Uint8Array(1), new Uint8Array()])), {
    ok: false,
    code: 'crypto/unknown-version',
  })
  assert.equal(decodeCommitEntry(encodeTuple(['wardline/commit-entry/v1', new Uint8Array(1)])).ok, false)
  assert.equal(decodeCommitEntry(Uint8Array.from([...entry, 0])).ok, false)
  for (let n = 0; n < entry.length; n++) assert.equal(decodeCommitEntry(entry.subarray(0, n)).ok, false)
  assert.equal(isCommitEntry(entry.subarray(0, entry.length - 1)), false)
})

Deno.test('verifyCommit refuses epoch 0 with a change other than create, and create at a later epoch', () => {
  for (const c of [{ ...base, epoch: 0 }, { ...base, change: 'create' as const }]) {
    assert.deepEqual(verifyCommit(signCommit(c, author.secretKey), author.publicKey), { ok: false, code: 'trust/malformed' })
  }
})

Deno.test('signCommit throws on duplicate, empty or multi-line ids, an empty list and a short prevHash', () => {
  assert.throws(() => signCommit({ ...base, deviceIds: ['dev-a', 'dev-a'] }, author.secretKey), TypeError)
  assert.throws(() => signCommit({ ...base, memberUserIds: ['u-1', 'u-1'] }, author.secretKey), TypeError)
  assert.throws(() => signCommit({ ...base, deviceIds: ['dev-a', ''] }, author.secretKey), TypeError)
  assert.throws(() => signCommit({ ...base, deviceIds: ['dev-a\ndev-b'] }, author.secretKey), TypeError)
  assert.throws(() => signCommit({ ...base, deviceIds: [] }, author.secretKey), RangeError)
  assert.throws(() => signCommit({ ...base, prevHash: new Uint8Array(31) }, author.secretKey), RangeError)
})

Deno.test('MAX_CONVERSATION_DEVICES: signCommit throws RangeError one over the limit; a signed list that long is refused', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `dev-${i}`)
  const atLimit = { ...base, deviceIds: ids(MAX_CONVERSATION_DEVICES) }
  assert.ok(verifyCommit(signCommit(atLimit, author.secretKey), author.publicKey).ok)
  assert.throws(() => signCommit({ ...base, deviceIds: ids(MAX_CONVERSATION_DEVICES + 1) }, author.secretKey), RangeError)
  assert.throws(() => signCommit({ ...base, memberUserIds: ids(MAX_CONVERSATION_DEVICES + 1) }, author.secretKey), RangeError)
  // A hostile author bypassing signCommit: the verifier refuses the over-long device list too.
  const over = signRawCommit(rawFields({ 7: ids(MAX_CONVERSATION_DEVICES + 1).join('\n') }))
  assert.deepEqual(verifyCommit(over, author.publicKey), { ok: false, code: 'trust/malformed' })
})

Deno.test('verifyCommit refuses signed commits with non-canonical numbers or unknown values', () => {
  assert.ok(verifyCommit(signRawCommit(rawFields()), author.publicKey).ok)
  const bad: Array<[string, Partial<Record<number, string>>]> = [
    ['epoch with a leading zero', { 2: '03' }],
    ['negative epoch', { 2: '-3' }],
    ['epoch in exponent form', { 2: '3e0' }],
    ['empty epoch', { 2: '' }],
    ['epoch beyond 2^53', { 2: '9007199254740993' }],
    ['createdAt with a plus sign', { 9: '+1700000000000' }],
    ['createdAt with a fraction', { 9: '1700000000000.5' }],
    ['unknown change', { 4: 'merge' }],
    ['unknown kind', { 5: 'channel' }],
    ['history flag not 0/1', { 8: 'true' }],
    ['other tag', { 0: 'wardline/commit/v2' }],
    ['duplicate device ids', { 7: 'dev-a\ndev-a' }],
    ['duplicate member ids', { 6: 'u-1\nu-1' }],
    ['no devices', { 7: '' }],
    ['no members', { 6: '' }],
  ]
  for (const [what, over] of bad) {
    assert.deepEqual(verifyCommit(signRawCommit(rawFields(over)), author.publicKey), { ok: false, code: 'trust/malformed' }, what)
  }
  // prevHash must be exactly 32 bytes; the body must have exactly 12 fields.
  assert.equal(verifyCommit(signRawCommit(rawFields(), randomBytes(31)), author.publicKey).ok, false)
  const extra = encodeTuple([...rawFields(), randomBytes(32), 'x'])
  assert.equal(verifyCommit(encodeTuple([extra, sign(extra, author.secretKey)]), author.publicKey).ok, false)
  // Invalid UTF-8 in a text field.
  const broken = encodeTuple([
    'wardline/commit/v1', Uint8Array.of(0xff), '3', 'dev-a', 'remove', 'group', 'u-1', 'dev-a', '0', '1', '', randomBytes(32),
  ])
  assert.equal(verifyCommit(encodeTuple([broken, sign(broken, author.secretKey)]), author.publicKey).ok, false)
})

Deno.test('MAX_COMMIT_BOXES: encodeCommitEntry throws one over the limit and decodeCommitEntry refuses such an entry', () => {
  const commit = signCommit(base, author.secretKey)
  const tiny = new Uint8Array(1)
  const atLimit = encodeCommitEntry(commit, Array(MAX_COMMIT_BOXES).fill(tiny))
  const decoded = decodeCommitEntry(atLimit)
  assert.ok(decoded.ok)
  assert.equal(decoded.value.boxes.length, MAX_COMMIT_BOXES)
  assert.throws(() => encodeCommitEntry(commit, Array(MAX_COMMIT_BOXES + 1).fill(tiny)), RangeError)
  const over = encodeTuple(['wardline/commit-entry/v1', commit, encodeTuple(Array(MAX_COMMIT_BOXES + 1).fill(tiny))])
  assert.deepEqual(decodeCommitEntry(over), { ok: false, code: 'crypto/malformed' })
})

Deno.test('a key box from a commit relabelled for another epoch or recipient is refused by verifyAndOpenKeyBox', () => {
  const key = randomBytes(32)
  const box = sealKeyBox(key, labelFor(0), author.secretKey)
  assert.deepEqual(verifyAndOpenKeyBox(box, labelFor(0), recipients[0]!.secretKey), { ok: true, value: key })
  // Opened as if it were the previous epoch's box (history share) or the next epoch's.
  for (const epoch of [base.epoch - 1, base.epoch + 1]) {
    assert.equal(verifyAndOpenKeyBox(box, labelFor(0, epoch), recipients[0]!.secretKey).ok, false)
  }
  // Offered to the other member device, with that device's own keys.
  assert.equal(verifyAndOpenKeyBox(box, labelFor(1), recipients[1]!.secretKey).ok, false)
  // Offered to the other device under the original recipient id but the other device's key.
  assert.equal(
    verifyAndOpenKeyBox(box, { ...labelFor(0), recipientAgreementKey: recipients[1]!.publicKey }, recipients[1]!.secretKey).ok,
    false,
  )
  // A relay rewriting the clear header (epoch, recipient) of the box breaks the sender's signature.
  const relabel = (field: number, value: string): Uint8Array => {
    const outer = decodeTuple(box, 2)
    assert.ok(outer.ok)
    const body = decodeTuple(outer.value[0]!, 7)
    assert.ok(body.ok)
    const fields: Array<Uint8Array | string> = [...body.value]
    fields[field] = value
    return encodeTuple([encodeTuple(fields), outer.value[1]!])
  }
  const toOther = relabel(3, 'dev-b')
  assert.equal(verifyAndOpenKeyBox(toOther, labelFor(1), recipients[1]!.secretKey).ok, false)
  assert.equal(verifyAndOpenKeyBox(toOther, labelFor(0), recipients[0]!.secretKey).ok, false)
  const toLater = relabel(1, String(base.epoch + 1))
  assert.equal(verifyAndOpenKeyBox(toLater, labelFor(0, base.epoch + 1), recipients[0]!.secretKey).ok, false)
})

// Regression: parseCommit once accepted empty ids and too many members, which signCommit refuses.
Deno.test({
  name: 'parseCommit refuses every id list signCommit refuses: empty ids and too many members',
  fn: () => {
    const many = Array.from({ length: MAX_CONVERSATION_DEVICES + 1 }, (_, i) => `u-${i}`).join('\n')
    for (const over of [{ 7: 'dev-a\n' }, { 6: 'u-1\n' }, { 6: many }, { 1: '' }, { 3: '' }]) {
      assert.equal(verifyCommit(signRawCommit(rawFields(over)), author.publicKey).ok, false, JSON.stringify(over).slice(0, 40))
    }
  },
})
