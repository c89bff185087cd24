/**
 * `getDirectoryUsers` (admin devices only, issue 7): the SCIM users with their Wardline user id,
 * state (`awaiting-enrollment`, `enrolled`, `deactivated`), the role their groups wish for, and
 * their devices, so the admin console can issue a root-signed enrollment code for a new person
 * and sign revocations for a deactivated one. The directory alone never vouches for a device:
 * nothing here enrolls anyone. Each entry is UTF-8 JSON (docs/PROTOCOL.md).
 */
import type { ScimUserRow } from '../storage/scim-storage.ts'
import type { FrameOf } from '../wire/frames.ts'
import type { SessionContext } from '../ws/context.ts'
import { roleWish } from './roles.ts'

export type DirectoryUserState = 'awaiting-enrollment' | 'enrolled' | 'deactivated'

export type DirectoryUser = {
  userId: string
  scimId: string
  userName: string
  displayName: string | null
  givenName: string | null
  familyName: string | null
  emails: string[]
  active: boolean
  /** DELETEd from the directory (then also deactivated). */
  deleted: boolean
  state: DirectoryUserState
  /** The role the user's SCIM groups ask for; only a root-signed authorization grants one. */
  roleWish: string | null
  groups: string[]
  devices: { deviceId: string; revoked: boolean; refused: boolean }[]
  /** Devices an admin should sign revocation certificates for (deactivated, not yet revoked). */
  toRevoke: string[]
}

function nameParts(
  doc: Record<string, unknown>,
): { givenName: string | null; familyName: string | null } {
  const name = doc.name as Record<string, unknown> | undefined
  const s = (v: unknown) => (typeof v === 'string' ? v : null)
  return { givenName: s(name?.givenName), familyName: s(name?.familyName) }
}

/** Users per `directoryUsers` page, and the bytes a page stays under (frames ≤ 512 KiB). */
export const DIRECTORY_PAGE_USERS = 200
export const DIRECTORY_PAGE_BYTES = 256 * 1024

/**
 * The directory's users from `offset` on, a page at a time; `next` is the offset to ask for
 * next, 0 after the last page. Deleted users stay listed (state deactivated) until an admin
 * revoked all their devices.
 */
export async function listDirectoryUsers(
  s: SessionContext,
  offset = 0,
): Promise<{ users: DirectoryUser[]; next: number }> {
  const { storage } = s.deps
  const all = await storage.scim.listUsers({ includeDeleted: true })
  const groupsOf = new Map<string, string[]>()
  for (const g of await storage.scim.listGroups()) {
    for (const m of g.memberIds) groupsOf.set(m, [...(groupsOf.get(m) ?? []), g.displayName])
  }
  const map = s.deps.scimRoleMap ?? new Map()
  const out: DirectoryUser[] = []
  let bytes = 0
  let i = offset
  for (; i < all.length && out.length < DIRECTORY_PAGE_USERS && bytes < DIRECTORY_PAGE_BYTES; i++) {
    const u = all[i]!
    const devices = await storage.scim.devicesOfUser(u.userId)
    if (u.deletedAt !== null && devices.every((d) => d.revoked)) continue
    const names = groupsOf.get(u.id) ?? []
    const entry = toDirectoryUser(u, devices, names, roleWish(names, map))
    bytes += JSON.stringify(entry).length * 3
    out.push(entry)
  }
  return { users: out, next: i < all.length ? i : 0 }
}

function toDirectoryUser(
  u: ScimUserRow,
  devices: DirectoryUser['devices'],
  groups: string[],
  wish: string | null,
): DirectoryUser {
  const doc = JSON.parse(u.document) as Record<string, unknown>
  const usable = devices.some((d) => !d.revoked && !d.refused)
  const emails = Array.isArray(doc.emails)
    ? (doc.emails as Record<string, unknown>[]).map((e) => e.value).filter((v): v is string =>
      typeof v === 'string'
    )
    : []
  return {
    userId: u.userId,
    scimId: u.id,
    userName: u.userName,
    displayName: u.displayName,
    ...nameParts(doc),
    emails,
    active: u.active,
    deleted: u.deletedAt !== null,
    state: !u.active ? 'deactivated' : usable ? 'enrolled' : 'awaiting-enrollment',
    roleWish: wish,
    groups,
    devices,
    toRevoke: devices.filter((d) => !d.revoked && (d.refused || !u.active)).map((d) => d.deviceId),
  }
}

export async function handleGetDirectoryUsers(
  s: SessionContext,
  f: FrameOf<'getDirectoryUsers'>,
): Promise<void> {
  // The root-signed role decides, never the SCIM wish (DESIGN §3).
  if (s.role !== 'admin') return s.sendError('relay/forbidden', f.ref)
  const encoder = new TextEncoder()
  const page = await listDirectoryUsers(s, f.offset)
  s.sendFrame({
    type: 'directoryUsers',
    ref: f.ref,
    users: page.users.map((u) => encoder.encode(JSON.stringify(u))),
    next: page.next,
  })
}
