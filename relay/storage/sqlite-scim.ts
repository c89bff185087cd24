/**
 * ScimStorage on SQLite (issue 7): the SCIM users, groups and memberships, and the devices a
 * deactivation refused, in the relay's one SQLite file. Every read-modify-write runs in one
 * IMMEDIATE transaction, so a deactivation and the refusal of the user's devices land together.
 * Shares the connection with SqliteStorage; touches only the scim_* tables and reads `devices`.
 * Slightly past the ~250-line norm: users, groups and refusals share their transactions.
 */
import type { DatabaseSync } from 'node:sqlite'
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
import { isConstraintError, num, type Row, SqliteBase } from './sqlite-base.ts'

function toUser(r: Row): ScimUserRow {
  return {
    id: r.id as string,
    userId: r.user_id as string,
    externalId: (r.external_id as string | null) ?? null,
    userName: r.user_name as string,
    active: num(r.active) === 1,
    displayName: (r.display_name as string | null) ?? null,
    document: r.document as string,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    version: num(r.version),
    deletedAt: r.deleted_at == null ? null : num(r.deleted_at),
  }
}

const LIVE_USER = 'SELECT * FROM scim_users WHERE id = ? AND deleted_at IS NULL'

export class SqliteScim extends SqliteBase implements ScimStorage {
  constructor(db: DatabaseSync) {
    super(db)
  }

  private nameTaken(userName: string, exceptId: string): boolean {
    return this.get(
      'SELECT 1 FROM scim_users WHERE user_name_key = ? AND deleted_at IS NULL AND id <> ?',
      userNameKey(userName),
      exceptId,
    ) !== undefined
  }

  /** Refuses every device the user has now; returns the ones not refused before. */
  private refuseDevices(userId: string, now: number): string[] {
    const ids = this.all(
      `SELECT d.device_id FROM devices d WHERE d.user_id = ? AND NOT EXISTS
         (SELECT 1 FROM scim_refused_devices r WHERE r.device_id = d.device_id) ORDER BY d.device_id`,
      userId,
    ).map((r) => r.device_id as string)
    for (const id of ids) {
      this.run(
        'INSERT INTO scim_refused_devices (device_id, user_id, refused_at) VALUES (?, ?, ?)',
        id,
        userId,
        now,
      )
    }
    return ids
  }

  createUser(f: ScimUserFields): Promise<ScimUserWrite | { refused: ScimRefusal }> {
    try {
      return Promise.resolve(this.tx(() => {
        if (this.nameTaken(f.userName, '')) return { refused: 'scim/uniqueness' as const }
        const now = Date.now()
        const id = newScimId()
        this.run(
          `INSERT INTO scim_users (id, user_id, external_id, user_name, user_name_key, active,
             display_name, document, created_at, updated_at, version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
          id,
          newWardlineUserId(),
          f.externalId,
          f.userName,
          userNameKey(f.userName),
          f.active ? 1 : 0,
          f.displayName,
          f.document,
          now,
          now,
        )
        return { row: toUser(this.get(LIVE_USER, id)!), refusedDeviceIds: [] }
      }))
    } catch (e) {
      if (isConstraintError(e)) return Promise.resolve({ refused: 'scim/uniqueness' })
      throw e
    }
  }

  getUser(id: string): Promise<ScimUserRow | null> {
    const r = this.get(LIVE_USER, id)
    return Promise.resolve(r ? toUser(r) : null)
  }

  findUsers(by: { userName: string } | { externalId: string }): Promise<ScimUserRow[]> {
    const rows = 'userName' in by
      ? this.all(
        'SELECT * FROM scim_users WHERE user_name_key = ? AND deleted_at IS NULL',
        userNameKey(by.userName),
      )
      : this.all(
        'SELECT * FROM scim_users WHERE external_id = ? AND deleted_at IS NULL ORDER BY created_at, id',
        by.externalId,
      )
    return Promise.resolve(rows.map(toUser))
  }

  listUsers(options: { includeDeleted?: boolean } = {}): Promise<ScimUserRow[]> {
    const rows = options.includeDeleted
      ? this.all('SELECT * FROM scim_users ORDER BY created_at, id')
      : this.all('SELECT * FROM scim_users WHERE deleted_at IS NULL ORDER BY created_at, id')
    return Promise.resolve(rows.map(toUser))
  }

  updateUser(
    id: string,
    change: ScimChange<ScimUserRow, ScimUserFields>,
  ): Promise<ScimUserWrite | { refused: ScimRefusal | string }> {
    try {
      return Promise.resolve(this.tx(() => {
        const r = this.get(LIVE_USER, id)
        if (!r) return { refused: 'scim/not-found' }
        const current = toUser(r)
        const f = change(current)
        if (isRefusal(f)) return f
        if (this.nameTaken(f.userName, id)) return { refused: 'scim/uniqueness' }
        const now = Date.now()
        this.run(
          `UPDATE scim_users SET external_id = ?, user_name = ?, user_name_key = ?, active = ?,
             display_name = ?, document = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
          f.externalId,
          f.userName,
          userNameKey(f.userName),
          f.active ? 1 : 0,
          f.displayName,
          f.document,
          now,
          id,
        )
        const refusedDeviceIds = f.active ? [] : this.refuseDevices(current.userId, now)
        return { row: toUser(this.get(LIVE_USER, id)!), refusedDeviceIds }
      }))
    } catch (e) {
      if (isConstraintError(e)) return Promise.resolve({ refused: 'scim/uniqueness' })
      throw e
    }
  }

  deleteUser(id: string): Promise<ScimUserWrite | null> {
    return Promise.resolve(this.tx(() => {
      const r = this.get(LIVE_USER, id)
      if (!r) return null
      const now = Date.now()
      this.run(
        'UPDATE scim_users SET deleted_at = ?, active = 0, updated_at = ?, version = version + 1 WHERE id = ?',
        now,
        now,
        id,
      )
      this.run('DELETE FROM scim_members WHERE member_id = ?', id)
      const row = toUser(this.get('SELECT * FROM scim_users WHERE id = ?', id)!)
      return { row, refusedDeviceIds: this.refuseDevices(row.userId, now) }
    }))
  }

  private groupRow(id: string): ScimGroupRow | null {
    const r = this.get('SELECT * FROM scim_groups WHERE id = ?', id)
    if (!r) return null
    return {
      id,
      externalId: (r.external_id as string | null) ?? null,
      displayName: r.display_name as string,
      memberIds: this.all(
        'SELECT member_id FROM scim_members WHERE group_id = ? ORDER BY member_id',
        id,
      )
        .map((m) => m.member_id as string),
      createdAt: num(r.created_at),
      updatedAt: num(r.updated_at),
      version: num(r.version),
    }
  }

  /** false when a member is not a stored, undeleted user. */
  private setMembers(groupId: string, memberIds: readonly string[]): boolean {
    this.run('DELETE FROM scim_members WHERE group_id = ?', groupId)
    for (const m of uniqueSorted(memberIds)) {
      if (!this.get(LIVE_USER, m)) return false
      this.run('INSERT INTO scim_members (group_id, member_id) VALUES (?, ?)', groupId, m)
    }
    return true
  }

  createGroup(f: ScimGroupFields): Promise<ScimGroupRow | { refused: ScimRefusal }> {
    try {
      return Promise.resolve(this.tx(() => {
        const now = Date.now()
        const id = newScimId()
        this.run(
          `INSERT INTO scim_groups (id, external_id, display_name, created_at, updated_at, version)
           VALUES (?, ?, ?, ?, ?, 1)`,
          id,
          f.externalId,
          f.displayName,
          now,
          now,
        )
        if (!this.setMembers(id, f.memberIds)) throw new UnknownMember()
        return this.groupRow(id)!
      }))
    } catch (e) {
      if (e instanceof UnknownMember) return Promise.resolve({ refused: 'scim/unknown-member' })
      throw e
    }
  }

  getGroup(id: string): Promise<ScimGroupRow | null> {
    return Promise.resolve(this.groupRow(id))
  }

  listGroups(): Promise<ScimGroupRow[]> {
    const ids = this.all('SELECT id FROM scim_groups ORDER BY created_at, id').map((r) =>
      r.id as string
    )
    return Promise.resolve(ids.map((id) => this.groupRow(id)!))
  }

  updateGroup(
    id: string,
    change: ScimChange<ScimGroupRow, ScimGroupFields>,
  ): Promise<ScimGroupRow | { refused: ScimRefusal | string }> {
    try {
      return Promise.resolve(this.tx(() => {
        const current = this.groupRow(id)
        if (!current) return { refused: 'scim/not-found' }
        const f = change(current)
        if (isRefusal(f)) return f
        this.run(
          `UPDATE scim_groups SET external_id = ?, display_name = ?, updated_at = ?,
             version = version + 1 WHERE id = ?`,
          f.externalId,
          f.displayName,
          Date.now(),
          id,
        )
        if (!this.setMembers(id, f.memberIds)) throw new UnknownMember()
        return this.groupRow(id)!
      }))
    } catch (e) {
      if (e instanceof UnknownMember) return Promise.resolve({ refused: 'scim/unknown-member' })
      throw e
    }
  }

  deleteGroup(id: string): Promise<boolean> {
    return Promise.resolve(this.tx(() => {
      this.run('DELETE FROM scim_members WHERE group_id = ?', id)
      return this.run('DELETE FROM scim_groups WHERE id = ?', id).changes === 1
    }))
  }

  isUserRefused(userId: string): Promise<boolean> {
    const r = this.get(
      'SELECT 1 FROM scim_users WHERE user_id = ? AND (active = 0 OR deleted_at IS NOT NULL)',
      userId,
    )
    return Promise.resolve(r !== undefined)
  }

  async isDeviceRefused(deviceId: string, userId: string): Promise<boolean> {
    if (this.get('SELECT 1 FROM scim_refused_devices WHERE device_id = ?', deviceId)) return true
    return await this.isUserRefused(userId)
  }

  devicesOfUser(
    userId: string,
  ): Promise<{ deviceId: string; revoked: boolean; refused: boolean }[]> {
    const rows = this.all(
      `SELECT d.device_id,
         EXISTS (SELECT 1 FROM revocations r WHERE r.device_id = d.device_id) AS revoked,
         EXISTS (SELECT 1 FROM scim_refused_devices s WHERE s.device_id = d.device_id) AS refused
       FROM devices d WHERE d.user_id = ? ORDER BY d.registered_at, d.device_id`,
      userId,
    )
    return Promise.resolve(rows.map((r) => ({
      deviceId: r.device_id as string,
      revoked: num(r.revoked) === 1,
      refused: num(r.refused) === 1,
    })))
  }

  adminDeviceIds(): Promise<string[]> {
    return Promise.resolve(
      this.all(
        `SELECT d.device_id FROM devices d JOIN authorizations a ON a.id = d.authorization_id
       WHERE a.role = 'admin' AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.device_id = d.device_id)
       ORDER BY d.device_id`,
      ).map((r) => r.device_id as string),
    )
  }
}

/** Thrown inside a transaction to roll back a membership write naming an unknown user. */
class UnknownMember extends Error {}
