/**
 * The offline lease on the device (decision 0012): the pinned relay lease key, the latest lease,
 * and a time high-water mark — the largest clock reading this device has seen — so turning the
 * clock back does not extend a lease. Before unlock only the meta copies can be read (a person
 * with the profile could edit them, as they could delete the database); after unlock the copies in
 * the encrypted store, which only the local key can write, are authoritative. Pure logic over a
 * tiny key–value interface so Deno tests run it with an injected clock.
 */
import { leaseDeadlines, type LeaseLimits, leaseState, type LeaseState, verifyLease } from '../../crypto/lease.ts'

/** Enough of a store for the guard: the worker's meta table or its encrypted store. */
export type KeyValue = { get<T>(key: string): Promise<T | undefined>; put(key: string, value: unknown): Promise<void> }

export const LEASE_KEYS = { publicKey: 'lease-public-key', lease: 'lease', hwm: 'time-hwm' } as const

/** A lease as kept: the relay-signed blob, or a provisional one written at enrollment. */
export type StoredLease = { issuedAt: number; expiresAt: number; blob?: Uint8Array }

/** Records `clockNow` and returns the high-water mark over every store (never goes back). */
export async function advanceHighWaterMark(stores: KeyValue[], clockNow: number): Promise<number> {
  let mark = Number.isFinite(clockNow) ? clockNow : 0
  for (const s of stores) {
    const seen = await s.get<number>(LEASE_KEYS.hwm)
    if (typeof seen === 'number' && Number.isFinite(seen) && seen > mark) mark = seen
  }
  for (const s of stores) await s.put(LEASE_KEYS.hwm, mark)
  return mark
}

/** The newest readable lease over the stores (a lease is never replaced by an older one). */
export async function readLease(stores: KeyValue[], publicKey: Uint8Array | undefined, deviceId: string | undefined): Promise<StoredLease | null> {
  let best: StoredLease | null = null
  for (const s of stores) {
    const l = await s.get<StoredLease>(LEASE_KEYS.lease)
    if (!l || typeof l.issuedAt !== 'number' || typeof l.expiresAt !== 'number') continue
    if (l.blob) {
      // A signed lease must verify (when the key and device are known) and say what it stores.
      const v = publicKey && deviceId ? verifyLease(l.blob, publicKey, deviceId) : null
      if (v && (!v.ok || v.value.issuedAt !== l.issuedAt || v.value.expiresAt !== l.expiresAt)) continue
    }
    if (!best || l.issuedAt > best.issuedAt) best = l
  }
  return best
}

/** Verifies a lease from the relay and keeps it in every store if it is newer. */
export async function acceptLease(stores: KeyValue[], blob: Uint8Array, publicKey: Uint8Array, deviceId: string): Promise<StoredLease | null> {
  const v = verifyLease(blob, publicKey, deviceId)
  if (!v.ok) return null
  const lease: StoredLease = { issuedAt: v.value.issuedAt, expiresAt: v.value.expiresAt, blob }
  for (const s of stores) {
    const old = await s.get<StoredLease>(LEASE_KEYS.lease)
    if (!old || !(old.issuedAt > lease.issuedAt)) await s.put(LEASE_KEYS.lease, lease)
  }
  return lease
}

export type LeaseView = { state: LeaseState | 'none'; locksAt: number | null; wipesAt: number | null; now: number }

/** Where this device stands: judged at the high-water mark, not the bare clock. */
export async function checkLease(stores: KeyValue[], limits: LeaseLimits, clockNow: number, key?: Uint8Array, deviceId?: string): Promise<LeaseView> {
  const now = await advanceHighWaterMark(stores, clockNow)
  const lease = await readLease(stores, key, deviceId)
  if (!lease) return { state: 'none', locksAt: null, wipesAt: null, now }
  const { locksAt, wipesAt } = leaseDeadlines(lease, limits)
  return { state: leaseState(lease, limits, now), locksAt, wipesAt, now }
}

/** The absolute session limit (policy `maxSessionHours`): true once that long since the unlock. */
export function isSessionOver(unlockedAt: number, now: number, maxSessionHours: number): boolean {
  return unlockedAt > 0 && now - unlockedAt >= maxSessionHours * 3600_000
}
