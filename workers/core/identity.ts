/**
 * Device identity: organisation setup (the first admin's device creates the root key) and
 * enrollment with a one-time code (DESIGN §3). Keys are generated here, inside the worker or the
 * simulator; only public keys and signed bindings go to the relay.
 */
import * as c from '../../crypto/mod.ts'
import { type ComplianceShare, createComplianceKey } from './compliance-setup.ts'
import { combineRootShares, type RootKeyHolders, type RootKeyShare, splitRootKey } from './root-shares.ts'

export type Identity = {
  deviceId: string
  userId: string
  displayName: string
  role: string
  signingSecretKey: Uint8Array
  signingPublicKey: Uint8Array
  agreementSecretKey: Uint8Array
  agreementPublicKey: Uint8Array
  rootPublicKey: Uint8Array
  authorization: Uint8Array
  binding: Uint8Array
  /** The root-signed compliance key certificate, verified against the pinned root at enrollment. */
  complianceCertificate: Uint8Array
  /** Only on admin devices: the organisation root signing key. */
  rootSecretKey?: Uint8Array
}

export class IdentityError extends Error {
  constructor(readonly code: string, message = code) {
    super(message)
  }
}

type Http = { baseUrl: string; fetch: typeof fetch }

async function api<T>(http: Http, path: string, body?: unknown): Promise<T> {
  let res: Response
  try {
    res = await http.fetch(new URL(path, http.baseUrl), body === undefined ? {} : {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  } catch {
    throw new IdentityError('net/unreachable', 'The relay cannot be reached')
  }
  const json = await res.json().catch(() => ({})) as Record<string, unknown>
  if (!res.ok) throw new IdentityError(String(json.error ?? `http/${res.status}`))
  return json as T
}

export const newUserId = (): string => 'u' + c.bytesToHex(c.randomBytes(8))

function newDeviceKeys() {
  return { signing: c.generateSigningKeyPair(), agreement: c.generateAgreementKeyPair() }
}

/** Creates an authorization for a new person and the code that goes with it (admin devices). */
export function createEnrollment(
  root: { secretKey: Uint8Array; publicKey: Uint8Array },
  person: { userId: string; displayName: string; role: string; expiresAt: number },
): { authorization: Uint8Array; code: string; secret: Uint8Array } {
  const fingerprint = c.rootFingerprint(root.publicKey)
  const secret = c.randomBytes(c.ENROLL_SECRET_BYTES)
  const enrollKey = c.deriveEnrollmentKey(secret, fingerprint)
  const authorization = c.signAuthorization({ ...person, enrollPublicKey: enrollKey.publicKey }, root.secretKey)
  c.wipe(enrollKey.secretKey)
  return { authorization, code: c.encodeEnrollmentCode({ fingerprint, secret }), secret }
}

function bindDevice(authorization: Uint8Array, userId: string, enrollSecretKey: Uint8Array) {
  const keys = newDeviceKeys()
  const binding = c.signDeviceBinding({
    authorizationHash: c.sha256(authorization),
    userId,
    signingPublicKey: keys.signing.publicKey,
    agreementPublicKey: keys.agreement.publicKey,
  }, enrollSecretKey, keys.signing.secretKey)
  return { keys, binding, deviceId: c.deviceIdFromKey(keys.signing.publicKey) }
}

/**
 * First admin: creates the organisation root on this device, and with it the compliance key split
 * between the named officers, and registers both with the setup code. With `rootKey`, the root
 * secret is also split k-of-n between named admins (decision 0016), so a new admin device can
 * rebuild it when this one is lost. All shares are returned once, for the admin to hand out; they
 * are never stored on the device or sent anywhere.
 */
export async function setupOrganisation(
  http: Http,
  setupCode: string,
  displayName: string,
  compliance: { threshold: number; officers: string[] },
  rootKey?: RootKeyHolders,
): Promise<{ identity: Identity; complianceShares: ComplianceShare[]; rootShares: RootKeyShare[] }> {
  const root = c.generateSigningKeyPair()
  const made = await createComplianceKey(root.secretKey, compliance)
  const rootShares = rootKey ? await splitRootKey(root, rootKey) : []
  const userId = newUserId()
  const person = { userId, displayName, role: 'admin', expiresAt: Date.now() + 3600_000 }
  const { authorization, secret } = createEnrollment(root, person)
  const enrollKey = c.deriveEnrollmentKey(secret, c.rootFingerprint(root.publicKey))
  const { keys, binding, deviceId } = bindDevice(authorization, userId, enrollKey.secretKey)
  await api(http, '/api/setup', {
    setupCode: setupCode.trim(),
    rootPublicKey: c.toBase64url(root.publicKey),
    authorization: c.toBase64url(authorization),
    binding: c.toBase64url(binding),
    complianceCertificate: c.toBase64url(made.certificate),
  })
  const chain = { rootPublicKey: root.publicKey, authorization, binding, complianceCertificate: made.certificate }
  const identity = identityFrom(deviceId, person, keys, chain, root.secretKey)
  return { identity, complianceShares: made.shares, rootShares }
}

/**
 * A new admin device (enrolled with an admin code) takes back the organisation root from k
 * holders' shares: accepted only if it is the root this device pinned at enrollment. Returns the
 * identity to store (the vault wraps it like any other); the caller wipes nothing it returns.
 */
export async function restoreRootKey(identity: Identity, shares: readonly string[]): Promise<c.Result<Identity>> {
  if (identity.role !== 'admin') return c.err('root/not-admin')
  if (identity.rootSecretKey) return c.err('root/already-here')
  const secret = await combineRootShares(shares, identity.rootPublicKey)
  if (!secret.ok) return secret
  return c.ok({ ...identity, rootSecretKey: secret.value })
}

/** New device: pins the root by the code's fingerprint and checks the root-signed authorization. */
export async function enrollDevice(http: Http, codeText: string): Promise<Identity> {
  const code = c.parseEnrollmentCode(codeText)
  if (!code.ok) throw new IdentityError('enroll/bad-code')
  const org = await api<{ initialized: boolean; rootPublicKey?: string; complianceCertificate?: string }>(
    http,
    '/api/org',
  )
  if (!org.rootPublicKey) throw new IdentityError('enroll/no-organisation')
  const rootPublicKey = c.fromBase64url(org.rootPublicKey)
  if (!c.equalBytes(c.rootFingerprint(rootPublicKey), code.value.fingerprint)) {
    throw new IdentityError('enroll/wrong-organisation')
  }
  const complianceCertificate = verifiedCertificate(org.complianceCertificate, rootPublicKey)
  const enrollKey = c.deriveEnrollmentKey(code.value.secret, code.value.fingerprint)
  const id = c.authorizationId(enrollKey.publicKey)
  const got = await api<{ authorization: string }>(http, `/api/authorizations/${id}`)
  const authorization = c.fromBase64url(got.authorization)
  const auth = c.verifyAuthorization(authorization, rootPublicKey)
  if (!auth.ok || !c.equalBytes(auth.value.enrollPublicKey, enrollKey.publicKey)) {
    throw new IdentityError('enroll/bad-authorization')
  }
  const { keys, binding, deviceId } = bindDevice(authorization, auth.value.userId, enrollKey.secretKey)
  c.wipe(enrollKey.secretKey)
  await api(http, '/api/devices', { authorizationId: id, binding: c.toBase64url(binding) })
  const chain = { rootPublicKey, authorization, binding, complianceCertificate }
  return identityFrom(deviceId, auth.value, keys, chain)
}

/** The relay's compliance certificate, accepted only with the pinned root's signature. */
function verifiedCertificate(text: string | undefined, rootPublicKey: Uint8Array): Uint8Array {
  let blob: Uint8Array
  try {
    blob = c.fromBase64url(text ?? '')
  } catch {
    throw new IdentityError('enroll/bad-compliance-key')
  }
  if (!c.verifyComplianceCertificate(blob, rootPublicKey).ok) {
    throw new IdentityError('enroll/bad-compliance-key')
  }
  return blob
}

/**
 * The organisation's compliance key, re-verified against the pinned root: what every epoch key
 * is also sealed to (`c.complianceBoxLabel(key, …)` then `c.sealKeyBox`). An identity stored
 * before compliance keys existed has none: `compliance/missing`.
 */
export function verifiedComplianceKey(identity: Identity): c.Result<c.ComplianceKey> {
  if (!(identity.complianceCertificate instanceof Uint8Array)) return c.err('compliance/missing')
  return c.verifyComplianceCertificate(identity.complianceCertificate, identity.rootPublicKey)
}

function identityFrom(
  deviceId: string,
  person: { userId: string; displayName: string; role: string },
  keys: ReturnType<typeof newDeviceKeys>,
  chain: Pick<Identity, 'rootPublicKey' | 'authorization' | 'binding' | 'complianceCertificate'>,
  rootSecretKey?: Uint8Array,
): Identity {
  return {
    deviceId,
    userId: person.userId,
    displayName: person.displayName,
    role: person.role,
    signingSecretKey: keys.signing.secretKey,
    signingPublicKey: keys.signing.publicKey,
    agreementSecretKey: keys.agreement.secretKey,
    agreementPublicKey: keys.agreement.publicKey,
    ...chain,
    ...(rootSecretKey ? { rootSecretKey } : {}),
  }
}

/** What the Organisation screen shows about the compliance key; null if there is none. */
export function describeComplianceKey(
  identity: Identity,
): { threshold: number; officers: string[]; fingerprint: string } | null {
  const key = verifiedComplianceKey(identity)
  if (!key.ok) return null
  const { threshold, officers, keyId } = key.value
  return { threshold, officers, fingerprint: keyId.toUpperCase().match(/.{1,4}/g)!.join(' ') }
}

export function formatFingerprint(rootPublicKey: Uint8Array): string {
  return c.toBase32(c.rootFingerprint(rootPublicKey)).match(/.{1,4}/g)!.join(' ')
}
