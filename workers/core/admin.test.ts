/**
 * The admin console's engine functions against a real relay: people with last seen, codes kept
 * in the store and revoked at the relay, a person disabled with root-signed revocations, and an
 * audit checkpoint that verifies against the root and matches the exported records.
 */
import assert from 'node:assert/strict'
import * as c from '../../crypto/mod.ts'
import { parseCheckpointLine, verifyAuditCheckpoint } from '../../crypto/audit-checkpoint.ts'
import {
  checkpointLines,
  exportAuditLines,
  fetchDevicesSeen,
  fetchDirectoryUsers,
  listCodes,
  mergePeople,
  parseAuditLine,
  rememberCode,
  revokeCode,
  revokeDevices,
  maybeSignCheckpoint,
  signCheckpoint,
} from './admin.ts'
import { createEnrollment, newUserId } from './identity.ts'
import { MemoryStore } from './store.ts'
import { adminAndNurse, sleep, until } from './test-world.ts'

Deno.test('admin console engine: last seen, codes revoked at the relay, a person disabled, a checkpoint that verifies', async () => {
  const w = await adminAndNurse()
  try {
    const store = new MemoryStore()
    // Last seen: both devices logged in (the relay writes it without awaiting).
    let seen = new Map<string, number>()
    for (let i = 0; i < 50 && seen.size < 2; i++) {
      seen = await fetchDevicesSeen(w.admin)
      if (seen.size < 2) await sleep(20)
    }
    const people = mergePeople(w.admin, await fetchDirectoryUsers(w.admin), seen)
    const ben = people.find((p) => p.displayName === 'Ben Nurse')!
    assert.equal(ben.state, 'enrolled')
    assert.ok(ben.devices[0]!.lastSeenAt! > 0)

    // A code kept on this device, revoked at the relay: enrolling with it is refused.
    const made = createEnrollment({ secretKey: w.adminId.rootSecretKey!, publicKey: w.adminId.rootPublicKey }, {
      userId: newUserId(), displayName: 'Cara Temp', role: 'clinician', expiresAt: Date.now() + 60_000,
    })
    await w.admin.putAuthorization(made.authorization)
    const code = await rememberCode(store, made.authorization, w.adminId.rootPublicKey, Date.now())
    assert.equal((await listCodes(store, w.admin, Date.now()))[0]!.state, 'outstanding')
    await revokeCode(store, w.admin, code.authorizationId)
    assert.equal((await listCodes(store, w.admin, Date.now()))[0]!.state, 'revoked')
    const res = await fetch(`${w.relay.url}/api/authorizations/${code.authorizationId}`)
    assert.deepEqual([res.status, await res.json()], [410, { error: 'enroll/code-revoked' }])

    // Disable Ben: every device gets a root-signed revocation.
    assert.equal(await revokeDevices(w.admin, ben.devices.map((d) => d.deviceId), 'disabled'), 1)
    await until(() => w.admin.revoked.has(w.benId.deviceId), 'revocation in the directory')
    assert.equal(mergePeople(w.admin, [], seen).find((p) => p.userId === w.benId.userId)!.state, 'disabled')

    // Checkpoint of the head: verifies against the root and names a record of the export.
    const view = await signCheckpoint(store, w.admin, Date.now())
    const [line] = await checkpointLines(store)
    const parsed = parseCheckpointLine(line!)
    assert.ok(parsed.ok)
    const verified = verifyAuditCheckpoint(parsed.value, w.adminId.rootPublicKey)
    assert.ok(verified.ok, !verified.ok ? verified.code : '')
    const records = (await exportAuditLines(w.admin)).map((l) => parseAuditLine(l)!)
    assert.ok(records.length >= view.seq)
    assert.deepEqual(records.map((r) => r.seq), records.map((_, i) => i + 1))
    assert.ok(records.some((r) => r.event === 'authorization.revoked'))
    assert.ok(records.some((r) => r.event === 'device.revoked'))
    assert.equal(c.bytesToHex(verified.ok ? verified.value.hash : new Uint8Array()), view.hash)
  } finally {
    await w.close()
  }
})

Deno.test('admin and compliance devices countersign the audit head on their own, only when due and only when it moved', async () => {
  const w = await adminAndNurse()
  try {
    const store = new MemoryStore()
    const t0 = Date.now()
    const first = await maybeSignCheckpoint(store, w.admin, t0, 1000)
    assert.ok(first && first.seq >= 1, 'the first one is due at once')
    assert.equal(await maybeSignCheckpoint(store, w.admin, t0 + 10, 1000), null, 'not due yet')
    assert.equal(await maybeSignCheckpoint(store, w.admin, t0 + 2000, 1000), null, 'due, but the log has not moved')
    // The log moves (a new authorization is audited); once due, the head is signed again.
    const made = createEnrollment({ secretKey: w.adminId.rootSecretKey!, publicKey: w.adminId.rootPublicKey }, {
      userId: newUserId(), displayName: 'Dee Later', role: 'clinician', expiresAt: Date.now() + 60_000,
    })
    await w.admin.putAuthorization(made.authorization)
    let next = null
    for (let i = 0; i < 50 && !next; i++) {
      next = await maybeSignCheckpoint(store, w.admin, t0 + 3000 + i, 1000)
      if (!next) await sleep(20)
    }
    assert.ok(next && next.seq > first.seq, 'a later head is signed')
    const lines = await checkpointLines(store)
    assert.equal(lines.length, 2)
    for (const line of lines) {
      const parsed = parseCheckpointLine(line)
      assert.ok(parsed.ok)
      assert.ok(verifyAuditCheckpoint(parsed.value, w.adminId.rootPublicKey).ok)
    }
  } finally {
    await w.close()
  }
})
