import assert from 'node:assert/strict'
import { generateSigningKeyPair } from '../../crypto/ed25519.ts'
import { signLease } from '../../crypto/lease.ts'
import { acceptLease, advanceHighWaterMark, checkLease, type KeyValue, LEASE_KEYS } from './lease-guard.ts'

const H = 3600_000
const limits = { leaseHours: 72, leaseWipeDays: 7 }
const relay = generateSigningKeyPair()

function mapStore(): KeyValue & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>()
  return {
    data,
    get: <T>(k: string) => Promise.resolve(structuredClone(data.get(k)) as T | undefined),
    put: (k: string, v: unknown) => Promise.resolve(void data.set(k, structuredClone(v))),
  }
}

Deno.test('the high-water mark never goes back when the clock is turned back', async () => {
  const meta = mapStore()
  const sealed = mapStore()
  assert.equal(await advanceHighWaterMark([meta, sealed], 1000), 1000)
  assert.equal(await advanceHighWaterMark([meta, sealed], 500), 1000)
  // Lowering the editable copy does not help while the sealed copy holds the mark.
  meta.data.set(LEASE_KEYS.hwm, 0)
  assert.equal(await advanceHighWaterMark([meta, sealed], 600), 1000)
  assert.equal(meta.data.get(LEASE_KEYS.hwm), 1000)
  assert.equal(await advanceHighWaterMark([meta, sealed], Number.NaN), 1000)
})

Deno.test('a device locks when its lease runs out and wipes after the extra days, even with the clock turned back', async () => {
  const t0 = 1_800_000_000_000
  const meta = mapStore()
  const sealed = mapStore()
  const blob = signLease({ deviceId: 'dev', issuedAt: t0, expiresAt: t0 + 72 * H }, relay.secretKey)
  assert.ok(await acceptLease([meta, sealed], blob, relay.publicKey, 'dev'))
  const at = (t: number) => checkLease([meta, sealed], limits, t, relay.publicKey, 'dev')
  assert.equal((await at(t0 + H)).state, 'ok')
  assert.equal((await at(t0 + 61 * H)).state, 'ending')
  assert.equal((await at(t0 + 72 * H)).state, 'expired')
  // The clock turned back to just after issue: still expired.
  assert.equal((await at(t0 + 2 * H)).state, 'expired')
  assert.equal((await at(t0 + (72 + 7 * 24) * H)).state, 'wipe')
  assert.equal((await at(t0)).state, 'wipe')
})

Deno.test('a renewed lease moves the deadlines; an older, forged or foreign lease is not taken', async () => {
  const t0 = 1_800_000_000_000
  const store = mapStore()
  const lease = (issuedAt: number, device = 'dev', key = relay.secretKey) =>
    signLease({ deviceId: device, issuedAt, expiresAt: issuedAt + 72 * H }, key)
  await acceptLease([store], lease(t0), relay.publicKey, 'dev')
  assert.equal((await checkLease([store], limits, t0 + 80 * H, relay.publicKey, 'dev')).state, 'expired')
  assert.ok(await acceptLease([store], lease(t0 + 80 * H), relay.publicKey, 'dev'))
  assert.equal((await checkLease([store], limits, t0 + 80 * H, relay.publicKey, 'dev')).state, 'ok')
  assert.equal(await acceptLease([store], lease(t0 + 90 * H, 'other'), relay.publicKey, 'dev'), null)
  assert.equal(await acceptLease([store], lease(t0 + 90 * H, 'dev', generateSigningKeyPair().secretKey), relay.publicKey, 'dev'), null)
  await acceptLease([store], lease(t0 + H), relay.publicKey, 'dev') // older: kept out
  assert.equal((await checkLease([store], limits, t0 + 80 * H, relay.publicKey, 'dev')).locksAt, t0 + 152 * H)
  // A stored lease whose fields were edited no longer counts.
  const edited = { ...(store.data.get(LEASE_KEYS.lease) as object), expiresAt: t0 + 9999 * H }
  store.data.set(LEASE_KEYS.lease, edited)
  assert.equal((await checkLease([store], limits, t0 + 80 * H, relay.publicKey, 'dev')).state, 'none')
})

Deno.test('the session limit counts from the unlock, whatever the activity', async () => {
  const { isSessionOver } = await import('./lease-guard.ts')
  const t0 = 1_800_000_000_000
  assert.equal(isSessionOver(t0, t0 + 12 * H - 1, 12), false)
  assert.equal(isSessionOver(t0, t0 + 12 * H, 12), true)
  assert.equal(isSessionOver(0, t0, 12), false) // never unlocked
})
