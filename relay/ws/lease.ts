/**
 * Offline leases (decision 0012): the relay signs, at every login, how long the device may stay
 * offline. The key is the relay's own (generated at first start, kept in storage, public half at
 * /api/org), never the root's. Touches no user data; logs nothing about the device.
 */
import { publicKeyFromSecret, randomBytes, signLease } from '../crypto-surface.ts'
import type { RelayStorage } from '../storage/storage.ts'
import type { LeaseIssuer, SessionContext } from './context.ts'

/** The relay's default lease length; a device also applies its organisation policy's window. */
export const LEASE_MS = 72 * 3600_000

export async function openLeaseIssuer(storage: RelayStorage, durationMs = LEASE_MS): Promise<LeaseIssuer> {
  if (!(durationMs >= 1000)) throw new RangeError(`expected a lease of at least 1000 ms, got ${durationMs}`)
  const secretKey = await storage.leaseKey(randomBytes(32))
  return { secretKey, publicKey: publicKeyFromSecret(secretKey), durationMs }
}

/** Sends the logged-in device a fresh lease (nothing when the relay runs without one, in tests). */
export function sendLease(s: SessionContext & { deviceId: string }, issuer: LeaseIssuer | undefined): void {
  if (!issuer) return
  const issuedAt = Date.now()
  const lease = signLease({ deviceId: s.deviceId, issuedAt, expiresAt: issuedAt + issuer.durationMs }, issuer.secretKey)
  s.sendFrame({ type: 'lease', lease })
}
