/**
 * The JSON API used before a device can log in: organisation state, first setup with the setup
 * code, and enrollment of a device under a root-signed authorization. Every chain is verified
 * against the stored root with crypto's strict verifier; the relay cannot mint any of them.
 */
import {
  equalBytes,
  fromBase64url,
  toBase64url,
  verifyAuthorization,
  verifyComplianceCertificate,
  verifyDeviceChain,
} from '../crypto-surface.ts'
import { REVOKED_AUTHORIZATION_PREFIX } from '../storage/storage.ts'
import { shortId } from '../log.ts'
import { auditDeviceId } from '../audit/hook.ts'
import { isAdmittedFrom } from '../network-boundaries.ts'
import { hashSetupCode, normalizeSetupCode } from '../setup-code.ts'
import { announceDirectoryChanged, type RelayDeps } from '../ws/context.ts'
import { json, jsonError, readJsonObject } from './respond.ts'

type Bytes = Record<string, Uint8Array>

/** Reads the named base64url fields; null when any is missing or not base64url. */
function bytesFields(body: Record<string, unknown>, names: string[]): Bytes | null {
  const out: Bytes = {}
  for (const n of names) {
    const v = body[n]
    if (typeof v !== 'string') return null
    try {
      out[n] = fromBase64url(v)
    } catch {
      return null
    }
  }
  return out
}

async function getOrg(deps: RelayDeps): Promise<Response> {
  const org = await deps.storage.getOrg()
  if (!org.rootPublicKey) return json({ initialized: false })
  const certificate = await deps.storage.getComplianceCertificate()
  return json({
    initialized: true,
    rootPublicKey: toBase64url(org.rootPublicKey),
    // Absent only on a relay set up before compliance keys; clients then refuse to enroll.
    ...(certificate ? { complianceCertificate: toBase64url(certificate) } : {}),
    // The relay's own offline-lease key (decision 0012), pinned by devices at enrollment.
    ...(deps.lease ? { leasePublicKey: toBase64url(deps.lease.publicKey) } : {}),
  })
}

async function postSetup(req: Request, deps: RelayDeps, at: Where): Promise<Response> {
  const body = await readJsonObject(req)
  if (!body.ok) return body.response
  const b = bytesFields(body.value, ['rootPublicKey', 'authorization', 'binding'])
  const code = body.value.setupCode
  if (!b || typeof code !== 'string') return jsonError('api/bad-request', 400)
  const org = await deps.storage.getOrg()
  if (org.rootPublicKey) return jsonError('setup/already-done', 409)
  if (
    !org.setupCodeHash || normalizeSetupCode(code) === '' ||
    !equalBytes(hashSetupCode(code), org.setupCodeHash)
  ) {
    deps.log('setup.refused', { code: 'setup/bad-code' })
    return jsonError('setup/bad-code', 403)
  }
  const chain = verifyDeviceChain(b.rootPublicKey!, b.authorization!, b.binding!)
  if (!chain.ok) return jsonError('setup/bad-chain', 400)
  const d = chain.value
  if (d.role !== 'admin') return jsonError('setup/not-admin', 400)
  const outside = refusedByNetwork(deps, at, d.role, d.deviceId)
  if (outside) return outside
  // The compliance key is pinned by the root being registered (DESIGN §1 rule 2, §3).
  const certificate = bytesFields(body.value, ['complianceCertificate'])?.complianceCertificate
  if (!certificate || !verifyComplianceCertificate(certificate, b.rootPublicKey!).ok) {
    return jsonError('setup/bad-compliance-key', 400)
  }
  const auth = authorizationFields(b.authorization!, b.rootPublicKey!)
  if (auth.expiresAt <= Date.now()) return jsonError('setup/authorization-expired', 400)
  const done = await deps.storage.completeSetup({
    rootPublicKey: b.rootPublicKey!,
    complianceCertificate: certificate,
    authorization: { id: d.authorizationId, blob: b.authorization!, ...auth },
    device: {
      deviceId: d.deviceId,
      userId: d.userId,
      authorizationId: d.authorizationId,
      binding: b.binding!,
    },
  })
  if (done !== 'ok') return jsonError(done, 409)
  deps.log('setup.done', { device: shortId(d.deviceId) })
  await deps.audit('org.setup', { role: d.role }, d.deviceId)
  return json({ deviceId: d.deviceId })
}

/** Directory columns of an authorization already verified by verifyDeviceChain. */
function authorizationFields(blob: Uint8Array, root: Uint8Array) {
  const a = verifyAuthorization(blob, root)
  if (!a.ok) throw new TypeError('expected an authorization verified by the chain')
  return {
    userId: a.value.userId,
    displayName: a.value.displayName,
    role: a.value.role,
    expiresAt: a.value.expiresAt,
  }
}

const AUTHORIZATION_ID = /^[0-9a-f]{64}$/

/** An admin revoked the code before anyone used it (`revokeAuthorization`, issue 7). */
const isRevokedAuthorization = (row: { usedByDeviceId: string | null }): boolean =>
  row.usedByDeviceId?.startsWith(REVOKED_AUTHORIZATION_PREFIX) ?? false

async function getAuthorization(id: string, deps: RelayDeps, at: Where): Promise<Response> {
  const row = AUTHORIZATION_ID.test(id) ? await deps.storage.getAuthorization(id) : null
  if (!row) return jsonError('enroll/unknown-code', 404)
  if (isRevokedAuthorization(row)) return jsonError('enroll/code-revoked', 410)
  const outside = refusedByNetwork(deps, at, row.role)
  if (outside) return outside
  if (row.usedByDeviceId) return jsonError('enroll/code-used', 410)
  if (row.expiresAt <= Date.now()) return jsonError('enroll/code-expired', 410)
  return json({ authorization: toBase64url(row.blob) })
}

async function postDevice(req: Request, deps: RelayDeps, at: Where): Promise<Response> {
  const body = await readJsonObject(req)
  if (!body.ok) return body.response
  const b = bytesFields(body.value, ['binding'])
  const id = body.value.authorizationId
  if (!b || typeof id !== 'string') return jsonError('api/bad-request', 400)
  const row = AUTHORIZATION_ID.test(id) ? await deps.storage.getAuthorization(id) : null
  if (!row) return jsonError('enroll/unknown-code', 404)
  if (isRevokedAuthorization(row)) return jsonError('enroll/code-revoked', 410)
  if (row.usedByDeviceId) return jsonError('enroll/code-used', 409)
  if (row.expiresAt <= Date.now()) return jsonError('enroll/code-expired', 410)
  const root = (await deps.storage.getOrg()).rootPublicKey
  const chain = root ? verifyDeviceChain(root, row.blob, b.binding!) : null
  if (!chain?.ok || chain.value.authorizationId !== id) return jsonError('enroll/bad-chain', 400)
  const d = chain.value
  const outside = refusedByNetwork(deps, at, d.role, d.deviceId)
  if (outside) return outside
  // A user the directory deactivated or deleted enrolls no new device (SCIM, issue 7).
  if (await deps.storage.scim.isUserRefused(d.userId)) return jsonError('enroll/user-deactivated', 403)
  const stored = await deps.storage.registerDevice({
    deviceId: d.deviceId,
    userId: d.userId,
    authorizationId: id,
    binding: b.binding!,
  })
  if (stored === 'enroll/unknown-code') return jsonError(stored, 404)
  if (stored !== 'ok') return jsonError(stored, 409)
  deps.log('device.enrolled', { device: shortId(d.deviceId) })
  await deps.audit('device.enrolled', { role: d.role, authorization: shortId(id) }, d.deviceId)
  announceDirectoryChanged(deps)
  return json({ deviceId: d.deviceId })
}

/**
 * Network boundaries on enrollment and setup (decision 0017): the role is the one the
 * authorization names. Null when admitted, else the refusal (logged by role, never the address).
 */
function refusedByNetwork(deps: RelayDeps, at: Where, role: string, deviceId = ''): Response | null {
  if (!deps.networks || isAdmittedFrom(deps.networks, role, at.address ?? '')) return null
  deps.log('enroll.network-refused', { role })
  void deps.audit('enroll.refused', { reason: 'network', role, device: auditDeviceId(deviceId) })
  return jsonError('relay/network-refused', 403)
}

/** Where a request came from: the client address (the trusted proxy's when configured). */
export type Where = { address?: string }

/** Routes /api/*; unknown paths get 404 and known paths with the wrong method 405. */
export async function handleApi(req: Request, deps: RelayDeps, at: Where = {}): Promise<Response> {
  const path = new URL(req.url).pathname
  const m = req.method
  if (path === '/api/org' && m === 'GET') return await getOrg(deps)
  if (path === '/api/setup' && m === 'POST') return await postSetup(req, deps, at)
  if (path === '/api/devices' && m === 'POST') return await postDevice(req, deps, at)
  const auth = path.match(/^\/api\/authorizations\/([^/]+)$/)
  if (auth && m === 'GET') return await getAuthorization(auth[1]!, deps, at)
  const known = ['/api/org', '/api/setup', '/api/devices'].includes(path) || auth !== null
  return known ? jsonError('api/method-not-allowed', 405) : jsonError('api/not-found', 404)
}
