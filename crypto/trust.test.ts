import assert from 'node:assert/strict'
import { randomBytes, toBase32 } from './bytes.ts'
import { generateSigningKeyPair } from './ed25519.ts'
import { sha256 } from './hkdf.ts'
import {
  type Authorization,
  authorizationId,
  deriveEnrollmentKey,
  deviceIdFromKey,
  encodeEnrollmentCode,
  ENROLL_SECRET_BYTES,
  loginChallengeMessage,
  parseAuthorization,
  parseEnrollmentCode,
  rootFingerprint,
  signAuthorization,
  signDeviceBinding,
  verifyAuthorization,
  verifyDeviceChain,
} from './trust.ts'
import { generateAgreementKeyPair } from './x25519.ts'

function flipBit(blob: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(blob)
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

/** An organisation root, one enrollment code, and one device enrolled with it. */
function enrol(userId = 'u-nurse-1') {
  const root = generateSigningKeyPair()
  const fingerprint = rootFingerprint(root.publicKey)
  const secret = randomBytes(ENROLL_SECRET_BYTES)
  const enroll = deriveEnrollmentKey(secret, fingerprint)
  const auth: Authorization = {
    userId,
    displayName: 'Sam Okafor',
    role: 'nurse',
    expiresAt: 1_900_000_000_000,
    enrollPublicKey: enroll.publicKey,
  }
  const authorization = signAuthorization(auth, root.secretKey)
  const device = generateSigningKeyPair()
  const agreement = generateAgreementKeyPair()
  const binding = signDeviceBinding(
    {
      authorizationHash: sha256(authorization),
      userId,
      signingPublicKey: device.publicKey,
      agreementPublicKey: agreement.publicKey,
    },
    enroll.secretKey,
    device.secretKey,
  )
  return { root, fingerprint, secret, enroll, auth, authorization, device, agreement, binding }
}

Deno.test('verifyDeviceChain accepts a root → authorization → binding chain and reports the device', () => {
  const e = enrol()
  const r = verifyDeviceChain(e.root.publicKey, e.authorization, e.binding)
  assert.ok(r.ok, JSON.stringify(r))
  assert.equal(r.value.userId, 'u-nurse-1')
  assert.equal(r.value.displayName, 'Sam Okafor')
  assert.equal(r.value.role, 'nurse')
  assert.equal(r.value.deviceId, deviceIdFromKey(e.device.publicKey))
  assert.deepEqual(r.value.signingPublicKey, e.device.publicKey)
  assert.deepEqual(r.value.agreementPublicKey, e.agreement.publicKey)
  assert.equal(r.value.authorizationId, authorizationId(e.enroll.publicKey))
})

Deno.test('verifyDeviceChain rejects every flipped bit of the authorization and of the binding', () => {
  const e = enrol()
  const accepted: string[] = []
  for (let bit = 0; bit < e.authorization.length * 8; bit++) {
    if (verifyDeviceChain(e.root.publicKey, flipBit(e.authorization, bit), e.binding).ok) {
      accepted.push(`authorization bit ${bit}`)
    }
  }
  for (let bit = 0; bit < e.binding.length * 8; bit++) {
    if (verifyDeviceChain(e.root.publicKey, e.authorization, flipBit(e.binding, bit)).ok) {
      accepted.push(`binding bit ${bit}`)
    }
  }
  assert.deepEqual(accepted, [])
})

Deno.test('verifyDeviceChain refuses another root, another authorization, another user and a forged enrollment signature', () => {
  const a = enrol()
  const b = enrol()
  assert.deepEqual(verifyDeviceChain(b.root.publicKey, a.authorization, a.binding), {
    ok: false,
    code: 'trust/bad-root-signature',
  })
  assert.deepEqual(verifyDeviceChain(b.root.publicKey, b.authorization, a.binding), {
    ok: false,
    code: 'trust/wrong-authorization',
  })
  // Binding that points at the right authorization but claims another user.
  const wrongUser = signDeviceBinding(
    {
      authorizationHash: sha256(a.authorization),
      userId: 'u-other',
      signingPublicKey: a.device.publicKey,
      agreementPublicKey: a.agreement.publicKey,
    },
    a.enroll.secretKey,
    a.device.secretKey,
  )
  assert.deepEqual(verifyDeviceChain(a.root.publicKey, a.authorization, wrongUser), {
    ok: false,
    code: 'trust/wrong-user',
  })
  // The relay (without the code's secret) signs the binding with a key of its own.
  const forged = signDeviceBinding(
    {
      authorizationHash: sha256(a.authorization),
      userId: a.auth.userId,
      signingPublicKey: a.device.publicKey,
      agreementPublicKey: a.agreement.publicKey,
    },
    generateSigningKeyPair().secretKey,
    a.device.secretKey,
  )
  assert.deepEqual(verifyDeviceChain(a.root.publicKey, a.authorization, forged), {
    ok: false,
    code: 'trust/bad-enrollment-signature',
  })
  // A device signature by a key other than the bound one.
  const notDevice = signDeviceBinding(
    {
      authorizationHash: sha256(a.authorization),
      userId: a.auth.userId,
      signingPublicKey: a.device.publicKey,
      agreementPublicKey: a.agreement.publicKey,
    },
    a.enroll.secretKey,
    generateSigningKeyPair().secretKey,
  )
  assert.deepEqual(verifyDeviceChain(a.root.publicKey, a.authorization, notDevice), {
    ok: false,
    code: 'trust/bad-device-signature',
  })
})

Deno.test('verifyDeviceChain never throws on truncated authorizations or bindings', () => {
  const e = enrol()
  for (let n = 0; n < e.authorization.length; n++) {
    assert.equal(
      verifyDeviceChain(e.root.publicKey, e.authorization.subarray(0, n), e.binding).ok,
      false,
    )
  }
  for (let n = 0; n < e.binding.length; n++) {
    assert.equal(
      verifyDeviceChain(e.root.publicKey, e.authorization, e.binding.subarray(0, n)).ok,
      false,
    )
  }
})

Deno.test('verifyAuthorization round-trips the signed fields and parseAuthorization exposes them unverified', () => {
  const e = enrol()
  const v = verifyAuthorization(e.authorization, e.root.publicKey)
  assert.deepEqual(v, { ok: true, value: e.auth })
  const p = parseAuthorization(e.authorization)
  assert.ok(p.ok)
  assert.equal(p.value.userId, e.auth.userId)
})

Deno.test('enrollment codes are 52 Crockford base32 characters in dash-separated groups of four', () => {
  const e = enrol()
  const text = encodeEnrollmentCode({ fingerprint: e.fingerprint, secret: e.secret })
  assert.match(text, /^([0-9A-HJKMNP-TV-Z]{4}-){12}[0-9A-HJKMNP-TV-Z]{4}$/)
  assert.equal(text.replaceAll('-', ''), toBase32(e.fingerprint) + toBase32(e.secret))
})

Deno.test('parseEnrollmentCode is case-insensitive and tolerant of spaces and dashes', () => {
  for (let i = 0; i < 200; i++) {
    const code = { fingerprint: randomBytes(16), secret: randomBytes(16) }
    const text = encodeEnrollmentCode(code)
    const compact = text.replaceAll('-', '')
    const variants = [
      text,
      text.toLowerCase(),
      compact,
      compact.toLowerCase(),
      text.replaceAll('-', ' '),
      `  ${text.replaceAll('-', ' - ')}  `,
      compact.replace(/(.{2})/g, '$1 ').toLowerCase(),
      text.replaceAll('-', '\n'),
      text.replaceAll('1', 'l').replaceAll('0', 'o'),
    ]
    for (const v of variants) {
      assert.deepEqual(parseEnrollmentCode(v), { ok: true, value: code }, JSON.stringify(v))
    }
  }
})

Deno.test('parseEnrollmentCode refuses codes of the wrong length or with letters outside the alphabet', () => {
  const text = encodeEnrollmentCode({ fingerprint: randomBytes(16), secret: randomBytes(16) })
  assert.deepEqual(parseEnrollmentCode(text.slice(0, -1)), { ok: false, code: 'enroll/bad-code' })
  assert.deepEqual(parseEnrollmentCode(text + 'A'), { ok: false, code: 'enroll/bad-code' })
  assert.deepEqual(parseEnrollmentCode('U' + text.slice(1)), { ok: false, code: 'enroll/bad-code' })
  assert.deepEqual(parseEnrollmentCode(''), { ok: false, code: 'enroll/bad-code' })
})

Deno.test('deriveEnrollmentKey is deterministic per secret and fingerprint and refuses a short secret', () => {
  const fp = rootFingerprint(generateSigningKeyPair().publicKey)
  assert.equal(fp.length, 16)
  const secret = randomBytes(16)
  assert.deepEqual(
    deriveEnrollmentKey(secret, fp).publicKey,
    deriveEnrollmentKey(secret, fp).publicKey,
  )
  assert.notDeepEqual(
    deriveEnrollmentKey(secret, fp).publicKey,
    deriveEnrollmentKey(randomBytes(16), fp).publicKey,
  )
  const otherFp = rootFingerprint(generateSigningKeyPair().publicKey)
  assert.notDeepEqual(
    deriveEnrollmentKey(secret, fp).publicKey,
    deriveEnrollmentKey(secret, otherFp).publicKey,
  )
  assert.throws(() => deriveEnrollmentKey(randomBytes(15), fp), RangeError)
})

Deno.test('loginChallengeMessage binds origin, nonce and device id', () => {
  const nonce = randomBytes(32)
  const m = loginChallengeMessage('https://relay.example', nonce, 'dev')
  assert.notDeepEqual(m, loginChallengeMessage('https://evil.example', nonce, 'dev'))
  assert.notDeepEqual(m, loginChallengeMessage('https://relay.example', randomBytes(32), 'dev'))
  assert.notDeepEqual(m, loginChallengeMessage('https://relay.example', nonce, 'dev2'))
})
