/**
 * ScimStorage on Postgres (issue 7), mirroring sqlite-scim.ts for relays that share one store.
 * Read-modify-writes lock the row (FOR UPDATE) so two relays applying PATCHes to one user take
 * turns; the partial unique index on the case-folded userName decides a create race. Touches
 * only the scim_* tables and reads `devices` and `revocations`. Slightly past the ~250-line
 * norm, like sqlite-scim.ts, which it mirrors method for method.
 */
import type {
  ScimChange,
  ScimGroupFields,
  ScimGroupRow,
  ScimRefusal,
  ScimStorage,
  ScimUserFields,
  ScimUserRow,
  ScimUserWrite,
} from './scim-storage.ts'
import { isRefusal, newScimId, newWardlineUserId, uniqueSorted, userNameKey } from './scim-rows.ts'
import {
  isUniqueViolation,
  num,
  type Row,
  type Sql,
  transaction,
  type Tx,
} from './postgres-base.ts'

function toUser(r: Row): ScimUserRow {
  return {
    id: r.id as string,
    userId: r.user_id as string,
    externalId: (r.external_id as string | null) ?? null,
    userName: r.user_name as string,
    active: r.active === true,
    displayName: (r.display_name as string | null) ?? null,
    document: r.document as string,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    version: num(r.version),
    deletedAt: r.deleted_at == null ? null : num(r.deleted_at),
  }
}

/** Thrown inside a transaction to roll back a membership write naming an unknown user. */
class UnknownMember extends Error {}

export class PostgresScim implements ScimStorage {
  constructor(private readonly sql: Sql) {}

  private async nameTaken(tx: Tx, userName: string, exceptId: string): Promise<boolean> {
    const rows = await tx`SELECT 1 FROM scim_users WHERE user_name_key = ${userNameKey(userName)}
      AND deleted_at IS NULL AND id <> ${exceptId}`
    return rows.length > 0
  }

  private async refuseDevices(tx: Tx, userId: string, now: number): Promise<string[]> {
    const rows = await tx`INSERT INTO scim_refused_devices (device_id, user_id, refused_at)
      SELECT device_id, user_id, ${now} FROM devices WHERE user_id = ${userId}
      ON CONFLICT (device_id) DO NOTHING RETURNING device_id`
    return rows.map((r) => r.device_id as string).sort()
  }

  async createUser(f: ScimUserFields): Promise<ScimUserWrite | { refused: ScimRefusal }> {
    try {
      return await transaction(this.sql, async (tx) => {
        if (await this.nameTaken(tx, f.userName, '')) return { refused: 'scim/uniqueness' as const }
        const now = Date.now()
        const [r] = await tx`INSERT INTO scim_users (id, user_id, external_id, user_name,
            user_name_key, active, display_name, document, created_at, updated_at, version)
          VALUES (${newScimId()}, ${newWardlineUserId()}, ${f.externalId}, ${f.userName},
            ${userNameKey(f.userName)}, ${f.active}, ${f.displayName}, ${f.document}, ${now},
            ${now}, 1)
          RETURNING *`
        return { row: toUser(r!), refusedDeviceIds: [] }
      })
    } catch (e) {
      if (isUniqueViolation(e)) return { refused: 'scim/uniqueness' }
      throw e
    }
  }

  async getUser(id: string): Promise<ScimUserRow | null> {
    const [r] = await this.sql`SELECT * FROM scim_users WHERE id = ${id} AND deleted_at IS NULL`
    return r ? toUser(r) : null
  }

  async findUsers(by: { userName: string } | { externalId: string }): Promise<ScimUserRow[]> {
    const rows = 'userName' in by
      ? await this.sql`SELECT * FROM scim_users
          WHERE user_name_key = ${userNameKey(by.userName)} AND deleted_at IS NULL`
      : await this.sql`SELECT * FROM scim_users
          WHERE external_id = ${by.externalId} AND deleted_at IS NULL ORDER BY created_at, id`
    return rows.map(toUser)
  }

  async listUsers(options: { includeDeleted?: boolean } = {}): Promise<ScimUserRow[]> {
    const rows = options.includeDeleted
      ? await this.sql`SELECT * FROM scim_users ORDER BY created_at, id`
      : await this.sql`SELECT * FROM scim_users WHERE deleted_at IS NULL ORDER BY created_at, id`
    return rows.map(toUser)
  }

  async updateUser(
    id: string,
    change: ScimChange<ScimUserRow, ScimUserFields>,
  ): Promise<ScimUserWrite | { refused: ScimRefusal | string }> {
    try {
      return await transaction(this.sql, async (tx) => {
        const [r] = await tx`SELECT * FROM scim_users WHERE id = ${id} AND deleted_at IS NULL
          FOR UPDATE`
        if (!r) return { refused: 'scim/not-found' }
        const current = toUser(r)
        const f = change(current)
        if (isRefusal(f)) return f
        if (await this.nameTaken(tx, f.userName, id)) return { refused: 'scim/uniqueness' }
        const now = Date.now()
        const [u] = await tx`UPDATE scim_users SET external_id = ${f.externalId},
            user_name = ${f.userName}, user_name_key = ${userNameKey(f.userName)},
            active = ${f.active}, display_name = ${f.displayName}, document = ${f.document},
            updated_at = ${now}, version = version + 1
          WHERE id = ${id} RETURNING *`
        const refusedDeviceIds = f.active ? [] : await this.refuseDevices(tx, current.userId, now)
        return { row: toUser(u!), refusedDeviceIds }
      })
    } catch (e) {
      if (isUniqueViolation(e)) return { refused: 'scim/uniqueness' }
      throw e
    }
  }

  deleteUser(id: string): Promise<ScimUserWrite | null> {
    return transaction(this.sql, async (tx) => {
      const now = Date.now()
      const [u] = await tx`UPDATE scim_users SET deleted_at = ${now}, active = false,
          updated_at = ${now}, version = version + 1
        WHERE id = ${id} AND deleted_at IS NULL RETURNING *`
      if (!u) return null
      await tx`DELETE FROM scim_members WHERE member_id = ${id}`
      const row = toUser(u)
      return { row, refusedDeviceIds: await this.refuseDevices(tx, row.userId, now) }
    })
  }

  private async groupRow(q: Sql | Tx, id: string, lock = false): Promise<ScimGroupRow | null> {
    const [r] = lock
      ? await q`SELECT * FROM scim_groups WHERE id = ${id} FOR UPDATE`
      : await q`SELECT * FROM scim_groups WHERE id = ${id}`
    if (!r) return null
    const members = await q`SELECT member_id FROM scim_members WHERE group_id = ${id}
      ORDER BY member_id`
    return {
      id,
      externalId: (r.external_id as string | null) ?? null,
      displayName: r.display_name as string,
      memberIds: members.map((m) => m.member_id as string),
      createdAt: num(r.created_at),
      updatedAt: num(r.updated_at),
      version: num(r.version),
    }
  }

  private async setMembers(tx: Tx, groupId: string, memberIds: readonly string[]): Promise<void> {
    await tx`DELETE FROM scim_members WHERE group_id = ${groupId}`
    const ids = uniqueSorted(memberIds)
    if (ids.length === 0) return
    // Lock the member rows so a concurrent delete cannot leave a membership of a deleted user.
    const live = await tx`SELECT id FROM scim_users WHERE id IN ${tx(ids)} AND deleted_at IS NULL
      FOR SHARE`
    if (live.length !== ids.length) throw new UnknownMember()
    for (const m of ids) {
      await tx`INSERT INTO scim_members (group_id, member_id) VALUES (${groupId}, ${m})`
    }
  }

  async createGroup(f: ScimGroupFields): Promise<ScimGroupRow | { refused: ScimRefusal }> {
    try {
      return await transaction(this.sql, async (tx) => {
        const now = Date.now()
        const id = newScimId()
        await tx`INSERT INTO scim_groups (id, external_id, display_name, created_at, updated_at,
          version) VALUES (${id}, ${f.externalId}, ${f.displayName}, ${now}, ${now}, 1)`
        await this.setMembers(tx, id, f.memberIds)
        return (await this.groupRow(tx, id))!
      })
    } catch (e) {
      if (e instanceof UnknownMember) return { refused: 'scim/unknown-member' }
      throw e
    }
  }

  getGroup(id: string): Promise<ScimGroupRow | null> {
    return this.groupRow(this.sql, id)
  }

  async listGroups(): Promise<ScimGroupRow[]> {
    const groups = await this.sql`SELECT * FROM scim_groups ORDER BY created_at, id`
    const members = await this.sql`SELECT group_id, member_id FROM scim_members
      ORDER BY group_id, member_id`
    const byGroup = new Map<string, string[]>()
    for (const m of members) {
      const list = byGroup.get(m.group_id as string) ?? []
      list.push(m.member_id as string)
      byGroup.set(m.group_id as string, list)
    }
    return groups.map((r) => ({
      id: r.id as string,
      externalId: (r.external_id as string | null) ?? null,
      displayName: r.display_name as string,
      memberIds: byGroup.get(r.id as string) ?? [],
      createdAt: num(r.created_at),
      updatedAt: num(r.updated_at),
      version: num(r.version),
    }))
  }

  async updateGroup(
    id: string,
    change: ScimChange<ScimGroupRow, ScimGroupFields>,
  ): Promise<ScimGroupRow | { refused: ScimRefusal | string }> {
    try {
      return await transaction(this.sql, async (tx) => {
        const current = await this.groupRow(tx, id, true)
        if (!current) return { refused: 'scim/not-found' }
        const f = change(current)
        if (isRefusal(f)) return f
        await tx`UPDATE scim_groups SET external_id = ${f.externalId},
          display_name = ${f.displayName}, updated_at = ${Date.now()}, version = version + 1
          WHERE id = ${id}`
        await this.setMembers(tx, id, f.memberIds)
        return (await this.groupRow(tx, id))!
      })
    } catch (e) {
      if (e instanceof UnknownMember) return { refused: 'scim/unknown-member' }
      throw e
    }
  }

  deleteGroup(id: string): Promise<boolean> {
    return transaction(this.sql, async (tx) => {
      await tx`DELETE FROM scim_members WHERE group_id = ${id}`
      const r = await tx`DELETE FROM scim_groups WHERE id = ${id}`
      return r.count === 1
    })
  }

  async isUserRefused(userId: string): Promise<boolean> {
    const r = await this.sql`SELECT 1 FROM scim_users WHERE user_id = ${userId}
      AND (active = false OR deleted_at IS NOT NULL)`
    return r.length > 0
  }

  async isDeviceRefused(deviceId: string, userId: string): Promise<boolean> {
    const r = await this.sql`SELECT 1 FROM scim_refused_devices WHERE device_id = ${deviceId}`
    return r.length > 0 || await this.isUserRefused(userId)
  }

  async devicesOfUser(
    userId: string,
  ): Promise<{ deviceId: string; revoked: boolean; refused: boolean }[]> {
    const rows = await this.sql`SELECT d.device_id,
        EXISTS (SELECT 1 FROM revocations r WHERE r.device_id = d.device_id) AS revoked,
        EXISTS (SELECT 1 FROM scim_refused_devices s WHERE s.device_id = d.device_id) AS refused
      FROM devices d WHERE d.user_id = ${userId} ORDER BY d.registered_at, d.device_id`
    return rows.map((r) => ({
      deviceId: r.device_id as string,
      revoked: r.revoked === true,
      refused: r.refused === true,
    }))
  }

  async adminDeviceIds(): Promise<string[]> {
    const rows = await this.sql`SELECT d.device_id FROM devices d
      JOIN authorizations a ON a.id = d.authorization_id
      WHERE a.role = 'admin' AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.device_id = d.device_id)
      ORDER BY d.device_id`
    return rows.map((r) => r.device_id as string)
  }
}
