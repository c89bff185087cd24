/**
 * Offline leases (DESIGN §1 rule 8, decision 0012): at every login the relay signs
 * "device D may stay offline until T" with its own Ed25519 lease key, which devices pin at
 * enrollment. A device that cannot show a lease newer than the organisation's window locks, and
 * past a second limit wipes. The key is the relay's, not the root's: a relay can always extend a
 * lease (as it can keep serving a device); the lease is for devices that never come back.
 * Pure functions over bytes; also the lease arithmetic shared by the worker and its tests.
 */
import { decodeTextTuple, decodeTuple, encodeTuple, parseCount } from './bytes.ts'
import { sign, verifySignature } from './ed25519.ts'
import { err, ok, type Result } from './result.ts'

const LEASE_TAG = 'wardline/lease/v1'
const HOUR = 3600_000
const DAY = 24 * HOUR

export type Lease = { deviceId: string; issuedAt: number; expiresAt: number }

export function signLease(lease: Lease, relayLeaseSecretKey: Uint8Array): Uint8Array {
  if (!lease.deviceId || !(lease.expiresAt > lease.issuedAt) || lease.issuedAt < 0) {
    throw new RangeError('expected a lease with a device id and expiresAt > issuedAt ≥ 0')
  }
  const body = encodeTuple([LEASE_TAG, lease.deviceId, String(lease.issuedAt), String(lease.expiresAt)])
  return encodeTuple([body, sign(body, relayLeaseSecretKey)])
}

/** Checks the relay's signature and that the lease names `deviceId`. */
export function verifyLease(blob: Uint8Array, relayLeasePublicKey: Uint8Array, deviceId: string): Result<Lease> {
  const outer = decodeTuple(blob, 2)
  if (!outer.ok) return err('lease/malformed')
  const [body, signature] = outer.value as [Uint8Array, Uint8Array]
  const f = decodeTextTuple(body, 4)
  if (!f.ok) return err('lease/malformed')
  const [tag, device, issued, expires] = f.value.text as [string, string, string, string]
  const issuedAt = parseCount(issued)
  const expiresAt = parseCount(expires)
  if (tag !== LEASE_TAG || issuedAt === null || expiresAt === null || expiresAt <= issuedAt) return err('lease/malformed')
  if (!verifySignature(signature, body, relayLeasePublicKey)) return err('lease/bad-signature')
  if (device !== deviceId) return err('lease/other-device')
  return ok({ deviceId: device, issuedAt, expiresAt })
}

export type LeaseLimits = { leaseHours: number; leaseWipeDays: number }
export type LeaseState = 'ok' | 'ending' | 'expired' | 'wipe'
/** The last stretch of a lease in which the app warns that it runs out. */
export const LEASE_WARNING_MS = 12 * HOUR

/**
 * When the lease locks the device and when it wipes it: the relay's expiry, but never more than
 * the policy's window after issue (the organisation's limit holds even against a generous relay).
 */
export function leaseDeadlines(lease: Pick<Lease, 'issuedAt' | 'expiresAt'>, limits: LeaseLimits): { locksAt: number; wipesAt: number } {
  const locksAt = Math.min(lease.expiresAt, lease.issuedAt + limits.leaseHours * HOUR)
  return { locksAt, wipesAt: locksAt + limits.leaseWipeDays * DAY }
}

/** `now` is the device's time high-water mark, not the bare clock (workers/core/lease-guard.ts). */
export function leaseState(lease: Pick<Lease, 'issuedAt' | 'expiresAt'>, limits: LeaseLimits, now: number): LeaseState {
  const { locksAt, wipesAt } = leaseDeadlines(lease, limits)
  if (now >= wipesAt) return 'wipe'
  if (now >= locksAt) return 'expired'
  return now >= locksAt - LEASE_WARNING_MS ? 'ending' : 'ok'
}
