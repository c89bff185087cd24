/**
 * The directory half of the SQLite storage: organisation root, setup code hash, authorizations
 * devices and revocations. Display names and roles live only here (DESIGN §5). One device per
 * authorization is checked in the transaction and backed by UNIQUE columns.
 */
import {
  type AuthorizationRow,
  type DeviceRow,
  type OrgState,
  type RevocationRow,
  REVOKED_AUTHORIZATION_PREFIX,
  type SetupInput,
} from './storage.ts'
import { bytes, isConstraintError, num, type Row, sameBytes, SqliteBase } from './sqlite-base.ts'

function toAuthorization(r: Row): AuthorizationRow {
  return {
    id: r.id as string,
    blob: bytes(r.blob),
    userId: r.user_id as string,
    displayName: r.display_name as string,
    role: r.role as string,
    expiresAt: num(r.expires_at),
    usedByDeviceId: (r.used_by_device_id as string | null) ?? null,
  }
}

export class SqliteDirectory extends SqliteBase {
  getOrg(): Promise<OrgState> {
    const r = this.get('SELECT root_public_key, setup_code_hash FROM org WHERE id = 1')
    return Promise.resolve({
      rootPublicKey: (r?.root_public_key as Uint8Array | null) ?? null,
      setupCodeHash: (r?.setup_code_hash as Uint8Array | null) ?? null,
    })
  }

  setSetupCodeHash(hash: Uint8Array): Promise<void> {
    this.run(
      `INSERT INTO org (id, setup_code_hash) VALUES (1, ?)
       ON CONFLICT (id) DO UPDATE SET setup_code_hash = excluded.setup_code_hash
       WHERE org.root_public_key IS NULL`,
      hash,
    )
    return Promise.resolve()
  }

  completeSetup(input: SetupInput): Promise<'ok' | 'setup/already-done'> {
    return Promise.resolve(this.tx(() => {
      const org = this.get('SELECT root_public_key FROM org WHERE id = 1')
      if (org?.root_public_key) return 'setup/already-done' as const
      this.run(
        `INSERT INTO org (id, root_public_key, setup_code_hash, compliance_certificate) VALUES (1, ?, NULL, ?)
         ON CONFLICT (id) DO UPDATE SET root_public_key = excluded.root_public_key, setup_code_hash = NULL,
           compliance_certificate = excluded.compliance_certificate`,
        input.rootPublicKey,
        input.complianceCertificate ?? null,
      )
      this.insertAuthorization(input.authorization)
      this.insertDevice(input.device)
      return 'ok' as const
    }))
  }

  getComplianceCertificate(): Promise<Uint8Array | null> {
    const r = this.get('SELECT compliance_certificate FROM org WHERE id = 1')
    return Promise.resolve((r?.compliance_certificate as Uint8Array | null) ?? null)
  }

  private insertAuthorization(a: Omit<AuthorizationRow, 'usedByDeviceId'>): void {
    this.run(
      `INSERT INTO authorizations (id, blob, user_id, display_name, role, expires_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      a.id,
      a.blob,
      a.userId,
      a.displayName,
      a.role,
      a.expiresAt,
    )
  }

  /** Marks the authorization used only if it is still unused; the UNIQUE columns back this up. */
  private insertDevice(d: DeviceRow): 'ok' | 'enroll/code-used' {
    const marked = this.run(
      'UPDATE authorizations SET used_by_device_id = ? WHERE id = ? AND used_by_device_id IS NULL',
      d.deviceId,
      d.authorizationId,
    )
    if (marked.changes !== 1) return 'enroll/code-used'
    this.run(
      `INSERT INTO devices (device_id, user_id, authorization_id, binding, registered_at)
       VALUES (?, ?, ?, ?, ?)`,
      d.deviceId,
      d.userId,
      d.authorizationId,
      d.binding,
      Date.now(),
    )
    return 'ok'
  }

  putAuthorization(
    a: Omit<AuthorizationRow, 'usedByDeviceId'>,
  ): Promise<'ok' | 'relay/authorization-exists'> {
    const existing = this.get('SELECT blob FROM authorizations WHERE id = ?', a.id)
    if (existing) {
      const same = sameBytes(bytes(existing.blob), a.blob)
      return Promise.resolve(same ? 'ok' : 'relay/authorization-exists')
    }
    this.insertAuthorization(a)
    return Promise.resolve('ok')
  }

  getAuthorization(id: string): Promise<AuthorizationRow | null> {
    const r = this.get('SELECT * FROM authorizations WHERE id = ?', id)
    return Promise.resolve(r ? toAuthorization(r) : null)
  }

  registerDevice(
    d: DeviceRow,
  ): Promise<'ok' | 'enroll/code-used' | 'enroll/unknown-code' | 'enroll/device-exists'> {
    try {
      return Promise.resolve(this.tx(() => {
        if (!this.get('SELECT 1 FROM authorizations WHERE id = ?', d.authorizationId)) {
          return 'enroll/unknown-code' as const
        }
        if (this.get('SELECT 1 FROM devices WHERE device_id = ?', d.deviceId)) {
          return 'enroll/device-exists' as const
        }
        return this.insertDevice(d)
      }))
    } catch (e) {
      if (isConstraintError(e)) return Promise.resolve('enroll/code-used')
      throw e
    }
  }

  revokeAuthorization(id: string): Promise<'ok' | 'enroll/unknown-code' | 'enroll/code-used'> {
    const mark = REVOKED_AUTHORIZATION_PREFIX + id
    return Promise.resolve(this.tx(() => {
      const r = this.get('SELECT used_by_device_id FROM authorizations WHERE id = ?', id)
      if (!r) return 'enroll/unknown-code' as const
      const used = (r.used_by_device_id as string | null) ?? null
      if (used === mark) return 'ok' as const
      if (used !== null) return 'enroll/code-used' as const
      this.run('UPDATE authorizations SET used_by_device_id = ? WHERE id = ?', mark, id)
      return 'ok' as const
    }))
  }

  touchDevice(deviceId: string, at: number): Promise<void> {
    this.run(
      `INSERT INTO device_seen (device_id, last_seen_at) VALUES (?, ?)
       ON CONFLICT (device_id) DO UPDATE SET last_seen_at = max(last_seen_at, excluded.last_seen_at)`,
      deviceId,
      at,
    )
    return Promise.resolve()
  }

  listDevicesSeen(): Promise<{ deviceId: string; lastSeenAt: number }[]> {
    const rows = this.all('SELECT device_id, last_seen_at FROM device_seen ORDER BY device_id')
    return Promise.resolve(
      rows.map((r) => ({ deviceId: r.device_id as string, lastSeenAt: num(r.last_seen_at) })),
    )
  }

  getDevice(deviceId: string): Promise<(DeviceRow & { revoked: boolean }) | null> {
    const r = this.get(
      `SELECT d.*, r.device_id IS NOT NULL AS revoked FROM devices d
       LEFT JOIN revocations r ON r.device_id = d.device_id WHERE d.device_id = ?`,
      deviceId,
    )
    if (!r) return Promise.resolve(null)
    return Promise.resolve({
      deviceId: r.device_id as string,
      userId: r.user_id as string,
      authorizationId: r.authorization_id as string,
      binding: bytes(r.binding),
      revoked: num(r.revoked) === 1,
    })
  }

  listDirectory(): Promise<
    { authorization: Uint8Array; binding: Uint8Array; revocation: Uint8Array | null }[]
  > {
    const rows = this.all(
      `SELECT a.blob AS authorization, d.binding AS binding, r.certificate AS revocation
       FROM devices d JOIN authorizations a ON a.id = d.authorization_id
       LEFT JOIN revocations r ON r.device_id = d.device_id
       ORDER BY d.registered_at, d.device_id`,
    )
    return Promise.resolve(rows.map((r) => ({
      authorization: bytes(r.authorization),
      binding: bytes(r.binding),
      revocation: r.revocation == null ? null : bytes(r.revocation),
    })))
  }

  listRevocations(): Promise<RevocationRow[]> {
    const rows = this.all(
      'SELECT device_id, certificate, revoked_at FROM revocations ORDER BY revoked_at, device_id',
    )
    return Promise.resolve(rows.map((r) => ({
      deviceId: r.device_id as string,
      certificate: bytes(r.certificate),
      revokedAt: num(r.revoked_at),
    })))
  }

  getPolicy(): Promise<Uint8Array | null> {
    const r = this.get('SELECT blob FROM policy WHERE id = 1')
    return Promise.resolve(r ? bytes(r.blob) : null)
  }

  putPolicy(blob: Uint8Array, version: number): Promise<'ok' | 'relay/stale-policy'> {
    const r = this.run(
      `INSERT INTO policy (id, version, blob) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET version = excluded.version, blob = excluded.blob
       WHERE excluded.version > policy.version`,
      version,
      blob,
    )
    return Promise.resolve(r.changes === 1 ? 'ok' : 'relay/stale-policy')
  }
}
