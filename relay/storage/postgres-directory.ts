/**
 * The directory half of the Postgres storage (issue 4), mirroring sqlite-directory.ts:
 * organisation root, setup code hash, authorizations, devices, revocation list, policy and the
 * users' encrypted key backups.
 * Several relays write here at once, so "use once" rules are single conditional UPDATEs (row
 * locks decide the race) and UNIQUE columns back them up.
 */
import { type AuthorizationRow, type DeviceRow, type OrgState, REVOKED_AUTHORIZATION_PREFIX, type RevocationRow, type SetupInput } from './storage.ts'
import {
  bytes,
  isUniqueViolation,
  num,
  type Row,
  sameBytes,
  type Sql,
  transaction,
  type Tx,
} from './postgres-base.ts'

const orNull = (v: unknown): Uint8Array | null => (v == null ? null : bytes(v))

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

export class PostgresDirectory {
  constructor(readonly sql: Sql) {}

  async getOrg(): Promise<OrgState> {
    const [r] = await this.sql`SELECT root_public_key, setup_code_hash FROM org WHERE id = 1`
    return { rootPublicKey: orNull(r?.root_public_key), setupCodeHash: orNull(r?.setup_code_hash) }
  }

  async setSetupCodeHash(hash: Uint8Array): Promise<void> {
    await this.sql`INSERT INTO org (id, setup_code_hash) VALUES (1, ${hash})
      ON CONFLICT (id) DO UPDATE SET setup_code_hash = excluded.setup_code_hash
      WHERE org.root_public_key IS NULL`
  }

  completeSetup(input: SetupInput): Promise<'ok' | 'setup/already-done'> {
    return transaction(this.sql, async (tx) => {
      await tx`INSERT INTO org (id) VALUES (1) ON CONFLICT (id) DO NOTHING`
      const [org] = await tx`SELECT root_public_key FROM org WHERE id = 1 FOR UPDATE`
      if (org?.root_public_key) return 'setup/already-done' as const
      await tx`UPDATE org SET root_public_key = ${input.rootPublicKey}, setup_code_hash = NULL,
        compliance_certificate = ${input.complianceCertificate ?? null} WHERE id = 1`
      await this.insertAuthorization(tx, input.authorization)
      await this.insertDevice(tx, input.device)
      return 'ok' as const
    })
  }

  async getComplianceCertificate(): Promise<Uint8Array | null> {
    const [r] = await this.sql`SELECT compliance_certificate FROM org WHERE id = 1`
    return orNull(r?.compliance_certificate)
  }

  private async insertAuthorization(
    tx: Sql | Tx,
    a: Omit<AuthorizationRow, 'usedByDeviceId'>,
  ): Promise<number> {
    const r =
      await tx`INSERT INTO authorizations (id, blob, user_id, display_name, role, expires_at)
      VALUES (${a.id}, ${a.blob}, ${a.userId}, ${a.displayName}, ${a.role}, ${a.expiresAt})
      ON CONFLICT (id) DO NOTHING`
    return r.count
  }

  /** Marks the authorization used only if it is still unused: the row lock decides a race. */
  private async insertDevice(tx: Tx, d: DeviceRow): Promise<'ok' | 'enroll/code-used'> {
    const marked = await tx`UPDATE authorizations SET used_by_device_id = ${d.deviceId}
      WHERE id = ${d.authorizationId} AND used_by_device_id IS NULL`
    if (marked.count !== 1) return 'enroll/code-used'
    await tx`INSERT INTO devices (device_id, user_id, authorization_id, binding, registered_at)
      VALUES (${d.deviceId}, ${d.userId}, ${d.authorizationId}, ${d.binding}, ${Date.now()})`
    return 'ok'
  }

  async putAuthorization(
    a: Omit<AuthorizationRow, 'usedByDeviceId'>,
  ): Promise<'ok' | 'relay/authorization-exists'> {
    if ((await this.insertAuthorization(this.sql, a)) === 1) return 'ok'
    const [existing] = await this.sql`SELECT blob FROM authorizations WHERE id = ${a.id}`
    return existing && sameBytes(bytes(existing.blob), a.blob) ? 'ok' : 'relay/authorization-exists'
  }

  async getAuthorization(id: string): Promise<AuthorizationRow | null> {
    const [r] = await this.sql`SELECT * FROM authorizations WHERE id = ${id}`
    return r ? toAuthorization(r) : null
  }

  async registerDevice(
    d: DeviceRow,
  ): Promise<'ok' | 'enroll/code-used' | 'enroll/unknown-code' | 'enroll/device-exists'> {
    try {
      return await transaction(this.sql, async (tx) => {
        const [auth] = await tx`SELECT 1 FROM authorizations WHERE id = ${d.authorizationId}`
        if (!auth) return 'enroll/unknown-code' as const
        const [dev] = await tx`SELECT 1 FROM devices WHERE device_id = ${d.deviceId}`
        if (dev) return 'enroll/device-exists' as const
        return this.insertDevice(tx, d)
      })
    } catch (e) {
      if (isUniqueViolation(e)) return 'enroll/code-used'
      throw e
    }
  }

  revokeAuthorization(id: string): Promise<'ok' | 'enroll/unknown-code' | 'enroll/code-used'> {
    const mark = REVOKED_AUTHORIZATION_PREFIX + id
    return transaction(this.sql, async (tx) => {
      const [r] = await tx`SELECT used_by_device_id FROM authorizations WHERE id = ${id} FOR UPDATE`
      if (!r) return 'enroll/unknown-code' as const
      const used = (r.used_by_device_id as string | null) ?? null
      if (used === mark) return 'ok' as const
      if (used !== null) return 'enroll/code-used' as const
      await tx`UPDATE authorizations SET used_by_device_id = ${mark} WHERE id = ${id}`
      return 'ok' as const
    })
  }

  async touchDevice(deviceId: string, at: number): Promise<void> {
    await this.sql`INSERT INTO device_seen (device_id, last_seen_at) VALUES (${deviceId}, ${at})
      ON CONFLICT (device_id) DO UPDATE SET last_seen_at = GREATEST(device_seen.last_seen_at, excluded.last_seen_at)`
  }

  async listDevicesSeen(): Promise<{ deviceId: string; lastSeenAt: number }[]> {
    const rows = await this.sql`SELECT device_id, last_seen_at FROM device_seen ORDER BY device_id`
    return rows.map((r) => ({ deviceId: r.device_id as string, lastSeenAt: Number(r.last_seen_at) }))
  }

  async getDevice(deviceId: string): Promise<(DeviceRow & { revoked: boolean }) | null> {
    const [r] = await this.sql`SELECT d.*, r.device_id IS NOT NULL AS revoked FROM devices d
      LEFT JOIN revocations r ON r.device_id = d.device_id WHERE d.device_id = ${deviceId}`
    if (!r) return null
    return {
      deviceId: r.device_id as string,
      userId: r.user_id as string,
      authorizationId: r.authorization_id as string,
      binding: bytes(r.binding),
      revoked: r.revoked === true,
    }
  }

  async listDirectory(): Promise<
    { authorization: Uint8Array; binding: Uint8Array; revocation: Uint8Array | null }[]
  > {
    const rows = await this.sql`
      SELECT a.blob AS authorization, d.binding AS binding, r.certificate AS revocation
      FROM devices d JOIN authorizations a ON a.id = d.authorization_id
      LEFT JOIN revocations r ON r.device_id = d.device_id
      ORDER BY d.registered_at, d.device_id`
    return rows.map((r) => ({
      authorization: bytes(r.authorization),
      binding: bytes(r.binding),
      revocation: orNull(r.revocation),
    }))
  }

  async listRevocations(): Promise<RevocationRow[]> {
    const rows = await this.sql`SELECT device_id, certificate, revoked_at FROM revocations
      ORDER BY revoked_at, device_id`
    return rows.map((r) => ({
      deviceId: r.device_id as string,
      certificate: bytes(r.certificate),
      revokedAt: num(r.revoked_at),
    }))
  }

  async getPolicy(): Promise<Uint8Array | null> {
    const [r] = await this.sql`SELECT blob FROM policy WHERE id = 1`
    return r ? bytes(r.blob) : null
  }

  /** Replaced only by a higher version; of racing uploads the row lock lets exactly one in. */
  async putKeyBackup(
    userId: string,
    blob: Uint8Array,
    version: number,
  ): Promise<'ok' | 'relay/stale-backup'> {
    const r = await this.sql`INSERT INTO key_backups (user_id, version, blob, stored_at)
      VALUES (${userId}, ${version}, ${blob}, ${Date.now()})
      ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, blob = excluded.blob,
        stored_at = excluded.stored_at
      WHERE excluded.version > key_backups.version`
    return r.count === 1 ? 'ok' : 'relay/stale-backup'
  }

  async getKeyBackup(userId: string): Promise<Uint8Array | null> {
    const [r] = await this.sql`SELECT blob FROM key_backups WHERE user_id = ${userId}`
    return r ? bytes(r.blob) : null
  }

  async leaseKey(candidate: Uint8Array): Promise<Uint8Array> {
    await this.sql`INSERT INTO relay_keys (name, secret, created_at) VALUES ('lease', ${candidate}, ${Date.now()})
      ON CONFLICT (name) DO NOTHING`
    const [r] = await this.sql`SELECT secret FROM relay_keys WHERE name = 'lease'`
    return bytes(r!.secret)
  }

  async putPolicy(blob: Uint8Array, version: number): Promise<'ok' | 'relay/stale-policy'> {
    const r = await this.sql`INSERT INTO policy (id, version, blob) VALUES (1, ${version}, ${blob})
      ON CONFLICT (id) DO UPDATE SET version = excluded.version, blob = excluded.blob
      WHERE excluded.version > policy.version`
    return r.count === 1 ? 'ok' : 'relay/stale-policy'
  }
}
