/**
 * Device revocation certificates: "device D is revoked", signed by the organisation root (an
 * admin) or by another, unrevoked device of the same user (DESIGN §1 rule 8). The relay stores
 * and serves them but cannot make one; clients stop encrypting to a revoked device and move every
 * conversation it was in to a new epoch.
 */
import { decodeTextTuple, decodeTuple, encodeTuple, parseCount } from './bytes.ts'
import { sign, verifySignature } from './ed25519.ts'
import { err, ok, type Result } from './result.ts'

const REVOCATION_TAG = 'wardline/revocation/v1'

export type Revocation = {
  deviceId: string
  revokedAt: number
  /** 'root' for an admin's revocation, else the id of the user's device that signed it. */
  signer: string
  reason: string
}

export function signRevocation(r: Revocation, signerSecretKey: Uint8Array): Uint8Array {
  const body = encodeTuple([REVOCATION_TAG, r.deviceId, String(r.revokedAt), r.signer, r.reason])
  return encodeTuple([body, sign(body, signerSecretKey)])
}

export function parseRevocation(blob: Uint8Array): Result<Revocation & { body: Uint8Array; signature: Uint8Array }> {
  const outer = decodeTuple(blob, 2)
  if (!outer.ok) return outer
  const [body, signature] = outer.value as [Uint8Array, Uint8Array]
  const f = decodeTextTuple(body, 5)
  if (!f.ok) return err('trust/malformed')
  const [tag, deviceId, revoked, signer, reason] = f.value.text as [string, string, string, string, string]
  const revokedAt = parseCount(revoked)
  if (tag !== REVOCATION_TAG || revokedAt === null || !deviceId || !signer) return err('trust/malformed')
  return ok({ deviceId, revokedAt, signer, reason, body, signature })
}

/** Verifies with the key of the named signer: the root, or a device of the revoked device's user. */
export function verifyRevocation(blob: Uint8Array, signerPublicKey: Uint8Array): Result<Revocation> {
  const p = parseRevocation(blob)
  if (!p.ok) return p
  if (!verifySignature(p.value.signature, p.value.body, signerPublicKey)) return err('trust/bad-revocation-signature')
  const { body: _b, signature: _s, ...r } = p.value
  return ok(r)
}
