import assert from 'node:assert/strict'
import { bytesToHex, encodeTuple, utf8 } from './bytes.ts'
import { generateSigningKeyPair } from './ed25519.ts'
import { sha256 } from './hkdf.ts'
import {
  AUDIT_GENESIS_PREV_HASH,
  auditRecordHash,
  chainAuditRecord,
  decodeAuditFields,
  encodeAuditFields,
  encodeAuditRecord,
  parseAuditClaim,
  signAuditClaim,
  verifyAuditClaim,
} from './audit.ts'
import {
  encodeCheckpointLine,
  makeAuditCheckpoint,
  parseCheckpointLine,
  verifyAuditCheckpoint,
} from './audit-checkpoint.ts'
import {
  deriveEnrollmentKey,
  deviceIdFromKey,
  rootFingerprint,
  signAuthorization,
  signDeviceBinding,
} from './trust.ts'

const root = generateSigningKeyPair()

/** A device with a real root → authorization → binding chain, as enrollment makes one. */
function device(role: string) {
  const enroll = deriveEnrollmentKey(
    new Uint8Array(16).fill(role.length),
    rootFingerprint(root.publicKey),
  )
  const authorization = signAuthorization(
    {
      userId: `u-${role}`,
      displayName: 'Name',
      role,
      expiresAt: 9e12,
      enrollPublicKey: enroll.publicKey,
    },
    root.secretKey,
  )
  const signing = generateSigningKeyPair()
  const binding = signDeviceBinding(
    {
      authorizationHash: sha256(authorization),
      userId: `u-${role}`,
      signingPublicKey: signing.publicKey,
      agreementPublicKey: new Uint8Array(32).fill(9),
    },
    enroll.secretKey,
    signing.secretKey,
  )
  return { deviceId: deviceIdFromKey(signing.publicKey), signing, authorization, binding }
}

Deno.test('encodeAuditFields is one encoding per field set (key order does not matter) and decodes back', () => {
  const a = encodeAuditFields({ role: 'admin', n: -3, ok: true })
  const b = encodeAuditFields({ ok: true, n: -3, role: 'admin' })
  assert.deepEqual(a, b)
  assert.deepEqual(decodeAuditFields(a), { ok: true, value: { n: -3, ok: true, role: 'admin' } })
  assert.notDeepEqual(encodeAuditFields({ n: 1 }), encodeAuditFields({ n: '1' }))
  assert.throws(() => encodeAuditFields({ n: 1.5 }), TypeError)
  // One spelling per value: no "-0", leading zeros, unsorted or repeated keys, unknown types.
  for (
    const bad of [['n', 'n-0'], ['n', 'n01'], ['b', 's', 'a', 's'], ['a', 's', 'a', 's'], [
      'a',
      'x1',
    ]]
  ) {
    assert.equal(decodeAuditFields(encodeTuple(bad)).ok, false, bad.join(','))
  }
  assert.throws(() => encodeAuditFields({ 'Bad-Key': 1 }), TypeError)
  assert.throws(() => encodeAuditFields({ long: 'x'.repeat(129) }), RangeError)
})

Deno.test('chainAuditRecord starts at seq 1 after 32 zero bytes and links each hash into the next', () => {
  const first = chainAuditRecord(null, { time: 1, event: 'org.setup', actor: 'd', fields: {} })
  assert.equal(first.seq, 1)
  assert.deepEqual(first.prevHash, AUDIT_GENESIS_PREV_HASH)
  const second = chainAuditRecord(first, { time: 2, event: 'login.ok', actor: 'd', fields: {} })
  assert.equal(second.seq, 2)
  assert.deepEqual(second.prevHash, first.hash)
  const { hash, ...rest } = second
  assert.deepEqual(hash, sha256(encodeAuditRecord(rest)))
  // Every field is covered: changing any one changes the hash.
  for (
    const change of [
      { seq: 3 },
      { time: 3 },
      { event: 'login.refused' },
      { actor: 'e' },
      { fields: { a: 1 } },
      { prevHash: new Uint8Array(32).fill(1) },
      { claim: utf8('c') },
      { signature: utf8('s') },
    ]
  ) {
    assert.notDeepEqual(
      auditRecordHash({ ...rest, ...change }),
      hash,
      JSON.stringify(Object.keys(change)),
    )
  }
})

Deno.test('the record encoding is fixed: a known record hashes to a known value', () => {
  // Regression vector computed when the format was defined (issue 8); a change here breaks every
  // stored log, so it must come with a new RECORD_TAG instead.
  const r = chainAuditRecord(null, {
    time: 1_800_000_000_000,
    event: 'login.ok',
    actor: 'ab',
    fields: { n: 1, s: 'x' },
  })
  assert.equal(bytesToHex(r.hash), KNOWN_HASH)
})
// Computed independently with Python's hashlib over the tuple encoding written out in
// docs/decisions/0013-audit-log.md.
const KNOWN_HASH = '51ca2d9f4a8e823b6320b3d2a0e7a0283fb3efbaa153817391a7bc0b56a63d2d'

Deno.test('verifyAuditClaim accepts the device signature only, and refuses a flipped bit anywhere', () => {
  const d = device('clinician')
  const c = {
    deviceId: d.deviceId,
    event: 'breakglass.open',
    time: 1_800_000_000_000,
    fields: { conversation: 'c1' },
  }
  const { claim, signature } = signAuditClaim(c, d.signing.secretKey)
  assert.deepEqual(verifyAuditClaim(claim, signature, d.signing.publicKey), { ok: true, value: c })
  assert.deepEqual(verifyAuditClaim(claim, signature, root.publicKey), {
    ok: false,
    code: 'audit/bad-signature',
  })
  for (let bit = 0; bit < claim.length * 8; bit += 7) {
    const flipped = Uint8Array.from(claim)
    flipped[bit >> 3]! ^= 1 << (bit & 7)
    assert.equal(verifyAuditClaim(flipped, signature, d.signing.publicKey).ok, false, `bit ${bit}`)
  }
  assert.equal(parseAuditClaim(new Uint8Array(2000)).ok, false)
  assert.throws(() => signAuditClaim({ ...c, event: 'NotDotted' }, d.signing.secretKey), TypeError)
})

Deno.test('a checkpoint verifies against the root for admin and compliance devices only', () => {
  const officer = device('compliance')
  const head = { seq: 7, hash: new Uint8Array(32).fill(7), time: 5 }
  const signer = {
    deviceId: officer.deviceId,
    signingSecretKey: officer.signing.secretKey,
    authorization: officer.authorization,
    binding: officer.binding,
  }
  const cp = makeAuditCheckpoint(head, signer, 1_800_000_000_000)
  const line = encodeCheckpointLine(cp)
  const parsed = parseCheckpointLine(line)
  assert.ok(parsed.ok)
  const v = verifyAuditCheckpoint(parsed.value, root.publicKey)
  assert.ok(v.ok)
  assert.deepEqual([v.value.seq, v.value.hash, v.value.role], [7, head.hash, 'compliance'])
  // Another root, a changed seq or hash, a clinician's signature: refused.
  assert.equal(verifyAuditCheckpoint(parsed.value, generateSigningKeyPair().publicKey).ok, false)
  assert.equal(verifyAuditCheckpoint({ ...cp, seq: 8, count: 8 }, root.publicKey).ok, false)
  assert.equal(verifyAuditCheckpoint({ ...cp, hash: 'ab'.repeat(32) }, root.publicKey).ok, false)
  const nurse = device('clinician')
  const byNurse = makeAuditCheckpoint(head, {
    ...signer,
    deviceId: nurse.deviceId,
    signingSecretKey: nurse.signing.secretKey,
    authorization: nurse.authorization,
    binding: nurse.binding,
  }, 1)
  assert.deepEqual(verifyAuditCheckpoint(byNurse, root.publicKey), {
    ok: false,
    code: 'audit/checkpoint-bad-role',
  })
  assert.equal(parseCheckpointLine('{"v":1}').ok, false)
  assert.equal(parseCheckpointLine('not json').ok, false)
})
