/**
 * Test-only: a real audit log in a storage, as a relay writes it (issue 8) — setup, enrollment of a
 * compliance officer, logins, a refused login, a device-signed compliance export, a policy change
 * and a revocation — plus checkpoints the officer's device signed at seq 5 and at the head. The
 * tamper trials (relay/audit/tamper.test.ts) edit it behind the relay's back.
 */
import { signAuditClaim } from '../../crypto/audit.ts'
import {
  type AuditCheckpoint,
  encodeCheckpointLine,
  makeAuditCheckpoint,
} from '../../crypto/audit-checkpoint.ts'
import { createAuditHook } from '../audit/hook.ts'
import { silentLog } from '../log.ts'
import type { RelayStorage } from '../storage/storage.ts'
import {
  createAuthorization,
  createDevice,
  createTestOrg,
  type TestDevice,
  type TestOrg,
} from './fixtures.ts'

export type SeededAuditLog = {
  org: TestOrg
  admin: TestDevice
  officer: TestDevice
  /** Records in the log (10). */
  count: number
  checkpoints: AuditCheckpoint[]
  /** The checkpoints as a checkpoint file (JSON lines). */
  checkpointFile: string
}

async function register(storage: RelayStorage, d: TestDevice, role: string): Promise<void> {
  const row = {
    id: d.authorization.id,
    blob: d.authorization.blob,
    userId: d.userId,
    displayName: `Name of ${d.userId}`,
    role,
    expiresAt: 9e12,
  }
  await storage.putAuthorization(row)
  await storage.registerDevice({
    deviceId: d.deviceId,
    userId: d.userId,
    authorizationId: row.id,
    binding: d.binding,
  })
}

export function checkpointSigner(d: TestDevice) {
  return {
    deviceId: d.deviceId,
    signingSecretKey: d.signing.secretKey,
    authorization: d.authorization.blob,
    binding: d.binding,
  }
}

export async function seedAuditLog(storage: RelayStorage): Promise<SeededAuditLog> {
  const org = createTestOrg()
  const admin = createDevice(createAuthorization(org, { userId: 'admin', role: 'admin' }))
  const officer = createDevice(createAuthorization(org, { userId: 'officer', role: 'compliance' }))
  const nurse = createDevice(createAuthorization(org, { userId: 'nurse', role: 'clinician' }))
  const setup = await storage.completeSetup({
    rootPublicKey: org.root.publicKey,
    complianceCertificate: org.complianceCertificate,
    authorization: {
      id: admin.authorization.id,
      blob: admin.authorization.blob,
      userId: 'admin',
      displayName: 'Name of admin',
      role: 'admin',
      expiresAt: 9e12,
    },
    device: {
      deviceId: admin.deviceId,
      userId: 'admin',
      authorizationId: admin.authorization.id,
      binding: admin.binding,
    },
  })
  if (setup !== 'ok') throw new Error('setup failed')
  await register(storage, officer, 'compliance')
  await register(storage, nurse, 'clinician')
  const audit = createAuditHook(storage, silentLog)
  const checkpoints: AuditCheckpoint[] = []
  const checkpoint = async () => {
    const head = await storage.auditHead()
    if (!head) throw new Error('expected a head')
    checkpoints.push(makeAuditCheckpoint(head, checkpointSigner(officer), Date.now()))
  }
  await audit('org.setup', { role: 'admin' }, admin.deviceId) // 1
  await audit('device.enrolled', { role: 'compliance' }, officer.deviceId) // 2
  await audit('login.ok', {}, admin.deviceId) // 3
  await audit('login.ok', {}, officer.deviceId) // 4
  await audit('login.refused', { device: '-', reason: 'unknown-device' }) // 5
  await checkpoint()
  const time = Date.now()
  const fields = { conversations: 2, reason: 'court-order' }
  const signed = signAuditClaim({
    deviceId: officer.deviceId,
    event: 'compliance.export',
    time,
    fields,
  }, officer.signing.secretKey)
  await storage.appendAudit({
    time,
    event: 'compliance.export',
    actor: officer.deviceId,
    fields,
    ...signed,
  }) // 6
  await audit('policy.changed', { version: 2 }, admin.deviceId) // 7
  await audit('device.enrolled', { role: 'clinician' }, nurse.deviceId) // 8
  await audit('login.ok', {}, nurse.deviceId) // 9
  await audit('device.revoked', {
    device: nurse.deviceId,
    by: 'admin',
    signer: 'root',
    conversations: 0,
  }, admin.deviceId) // 10
  await checkpoint()
  return {
    org,
    admin,
    officer,
    count: 10,
    checkpoints,
    checkpointFile: checkpoints.map(encodeCheckpointLine).join('\n') + '\n',
  }
}
