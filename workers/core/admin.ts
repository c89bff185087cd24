/**
 * The admin console's side of the engine (issue 7): people from the verified directory merged with
 * the SCIM directory (`getDirectoryUsers`) and the relay's last-seen times, enrollment codes this
 * device created (kept in its encrypted store), root-signed revocations of a person's devices, and
 * the audit log read, checkpointed and exported (decision 0013). The relay's directory is a hint:
 * nothing here enrolls or revokes anyone without the root key on this device and a person's
 * confirmation in the UI. Holds no state of its own; the store is the engine's.
 */
import * as c from '../../crypto/mod.ts'
import type { AdminPerson, AuditCheckpointView, AuditRecordView, EnrollmentCodeView, LegalHoldView } from '../protocol.ts'
import { checkpointFromHead } from './audit.ts'
import type { WardlineClient } from './client.ts'
import type { ClientStore } from './store.ts'

/** A SCIM directory user as `directoryUsers` carries it (relay/scim/directory-users.ts). */
export type DirectoryUserEntry = {
  userId: string
  userName: string
  displayName: string | null
  state: 'awaiting-enrollment' | 'enrolled' | 'deactivated'
  roleWish: string | null
  devices: { deviceId: string; revoked: boolean; refused: boolean }[]
  toRevoke: string[]
}

/** A code as filed under `ec/<authorizationId>` in the admin device's store. */
export type StoredCode = Omit<EnrollmentCodeView, 'state'> & { revoked: boolean }

const CODE_PREFIX = 'ec/'
const CHECKPOINT_PREFIX = 'acp/'
/** Pages of 200 users; stop well before a relay could keep us looping. */
const MAX_DIRECTORY_PAGES = 500
const decoder = new TextDecoder()

const newRef = (kind: string): string => `${kind}/${c.bytesToHex(c.randomBytes(8))}`
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null)
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

/** Parses one `directoryUsers` entry; null when it is not the shape the relay documents. */
export function parseDirectoryUser(bytes: Uint8Array): DirectoryUserEntry | null {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(decoder.decode(bytes))
  } catch {
    return null
  }
  const userId = text(o?.userId)
  const state = o?.state
  if (!userId || (state !== 'awaiting-enrollment' && state !== 'enrolled' && state !== 'deactivated')) return null
  const devices = Array.isArray(o.devices)
    ? o.devices.filter((d): d is { deviceId: string; revoked: boolean; refused: boolean } => typeof d?.deviceId === 'string')
      .map((d) => ({ deviceId: d.deviceId, revoked: d.revoked === true, refused: d.refused === true }))
    : []
  return { userId, userName: text(o.userName) ?? '', displayName: text(o.displayName), state, roleWish: text(o.roleWish), devices, toRevoke: strings(o.toRevoke) }
}

/** Every SCIM directory user, a page at a time. */
export async function fetchDirectoryUsers(client: WardlineClient): Promise<DirectoryUserEntry[]> {
  const out: DirectoryUserEntry[] = []
  let offset = 0
  for (let page = 0; page < MAX_DIRECTORY_PAGES; page++) {
    const f = await client.query({ type: 'getDirectoryUsers', ref: newRef('du'), offset }, 'directoryUsers')
    for (const u of f.users) {
      const parsed = parseDirectoryUser(u)
      if (parsed) out.push(parsed)
    }
    if (f.next <= offset) break // 0 on the last page; never go backwards
    offset = f.next
  }
  return out
}

/** Each device's last login time at the relay. */
export async function fetchDevicesSeen(client: WardlineClient): Promise<Map<string, number>> {
  const f = await client.query({ type: 'getDevicesSeen', ref: newRef('ds') }, 'devicesSeen')
  const seen = new Map<string, number>()
  for (const line of f.lines) {
    try {
      const o = JSON.parse(line)
      if (typeof o?.deviceId === 'string' && Number.isSafeInteger(o.lastSeenAt)) seen.set(o.deviceId, o.lastSeenAt)
    } catch {
      // a malformed line only loses a "last seen"
    }
  }
  return seen
}

/** People from the verified directory, then directory users not enrolled yet; by name. */
export function mergePeople(client: WardlineClient, directory: DirectoryUserEntry[], seen: Map<string, number>): AdminPerson[] {
  const byUser = new Map<string, AdminPerson>()
  for (const d of client.devices.values()) {
    let p = byUser.get(d.userId)
    if (!p) {
      p = { userId: d.userId, displayName: d.displayName, role: d.role, roleWish: null, userName: null, state: 'enrolled', fromDirectory: false, devices: [], toRevoke: [], isMe: d.userId === client.id.userId }
      byUser.set(d.userId, p)
    }
    const revoked = client.revoked.has(d.deviceId)
    p.devices.push({ deviceId: d.deviceId, revoked, refused: false, lastSeenAt: seen.get(d.deviceId) ?? null, isThisDevice: d.deviceId === client.id.deviceId })
  }
  for (const p of byUser.values()) if (p.devices.every((d) => d.revoked)) p.state = 'disabled'
  for (const u of directory) {
    const p = byUser.get(u.userId)
    if (!p) {
      byUser.set(u.userId, {
        userId: u.userId, displayName: u.displayName || u.userName, role: null, roleWish: u.roleWish, userName: u.userName,
        state: u.state, fromDirectory: true, devices: [], toRevoke: [], isMe: false,
      })
      continue
    }
    p.fromDirectory = true
    p.userName = u.userName
    p.roleWish = u.roleWish
    // Only devices the verified directory knows can be revoked with a certificate.
    p.toRevoke = u.toRevoke.filter((id) => client.devices.has(id) && !client.revoked.has(id))
    for (const d of p.devices) d.refused = u.devices.some((x) => x.deviceId === d.deviceId && x.refused)
    if (u.state === 'deactivated') p.state = 'deactivated'
  }
  return [...byUser.values()].sort((a, b) => a.displayName.localeCompare(b.displayName))
}

/** Files a code this device just created, keyed by its authorization id. */
export async function rememberCode(store: ClientStore, authorization: Uint8Array, root: Uint8Array, now: number): Promise<StoredCode> {
  const a = c.verifyAuthorization(authorization, root)
  if (!a.ok) throw new TypeError('expected an authorization signed by this root')
  const code: StoredCode = {
    authorizationId: c.authorizationId(a.value.enrollPublicKey),
    userId: a.value.userId,
    displayName: a.value.displayName,
    role: a.value.role,
    createdAt: now,
    expiresAt: a.value.expiresAt,
    revoked: false,
  }
  await store.write([{ key: CODE_PREFIX + code.authorizationId, value: code }])
  return code
}

/** Codes this device created, with what became of them, newest first. */
export async function listCodes(store: ClientStore, client: WardlineClient, now: number): Promise<EnrollmentCodeView[]> {
  const used = new Set([...client.devices.values()].map((d) => d.authorizationId))
  const codes = (await store.list<StoredCode>(CODE_PREFIX)).map(([, v]) => v)
  return codes.map(({ revoked, ...code }) => ({
    ...code,
    state: used.has(code.authorizationId) ? 'used' as const : revoked ? 'revoked' as const : code.expiresAt <= now ? 'expired' as const : 'outstanding' as const,
  })).sort((a, b) => b.createdAt - a.createdAt)
}

/** Revokes a code at the relay, then marks it revoked here. */
export async function revokeCode(store: ClientStore, client: WardlineClient, authorizationId: string): Promise<void> {
  const code = await store.get<StoredCode>(CODE_PREFIX + authorizationId)
  if (!code) throw Object.assign(new Error('admin/unknown-code'), { code: 'admin/unknown-code' })
  await client.request({ type: 'revokeAuthorization', ref: newRef('ra'), authorizationId })
  await store.write([{ key: CODE_PREFIX + authorizationId, value: { ...code, revoked: true } }])
}

/** Root-signed revocations, one device after the other; already revoked ones are skipped. */
export async function revokeDevices(client: WardlineClient, deviceIds: string[], reason: string): Promise<number> {
  let revoked = 0
  for (const id of new Set(deviceIds)) {
    if (client.revoked.has(id) || id === client.id.deviceId) continue
    await client.revokeDevice(id, reason)
    revoked++
  }
  return revoked
}

/** One record line of `auditRecords` as the console shows it. */
export function parseAuditLine(line: string): Omit<AuditRecordView, 'actorName'> | null {
  try {
    const o = JSON.parse(line)
    if (!Number.isSafeInteger(o?.seq) || !Number.isSafeInteger(o.time) || typeof o.event !== 'string') return null
    const fields: Record<string, string> = {}
    for (const [k, v] of Object.entries(o.fields ?? {})) if (typeof v === 'string') fields[k] = v
    return { seq: o.seq, time: o.time, event: o.event, actor: String(o.actor ?? ''), fields }
  } catch {
    return null
  }
}

export async function auditLines(client: WardlineClient, since: number, limit: number): Promise<string[]> {
  const f = await client.query({ type: 'getAuditRecords', ref: newRef('ar'), since, limit: Math.min(Math.max(limit, 1), 100) }, 'auditRecords')
  return f.lines
}

/** The relay's audit head seq (0 when the log is empty). */
export async function auditHeadSeq(client: WardlineClient): Promise<number> {
  return (await client.query({ type: 'getAuditHead', ref: newRef('ah') }, 'auditHead')).seq
}

/** Signs the relay's current audit head and files the checkpoint line (decision 0013). */
export async function signCheckpoint(store: ClientStore, client: WardlineClient, now: number): Promise<AuditCheckpointView> {
  const head = await client.query({ type: 'getAuditHead', ref: newRef('ah') }, 'auditHead')
  if (head.seq < 1) throw Object.assign(new Error('audit/empty-log'), { code: 'audit/empty-log' })
  const { checkpoint, line } = checkpointFromHead(client.id, head, now)
  await store.write([{ key: `${CHECKPOINT_PREFIX}${String(now).padStart(15, '0')}`, value: line }])
  return { seq: checkpoint.seq, time: checkpoint.time, hash: checkpoint.hash }
}

/** The conversations under legal hold, named where this device knows them (decision 0019). */
export async function listLegalHolds(client: WardlineClient): Promise<LegalHoldView[]> {
  const answer = await client.query({ type: 'getLegalHolds', ref: newRef('lh') }, 'legalHolds')
  const out: LegalHoldView[] = []
  for (const line of answer.lines) {
    try {
      const o = JSON.parse(line) as { conversationId?: unknown; setBy?: unknown; setAt?: unknown }
      if (typeof o.conversationId !== 'string' || typeof o.setBy !== 'string' || typeof o.setAt !== 'number') continue
      const known = client.listConversations().find((c) => c.conversationId === o.conversationId)
      const by = client.devices.get(o.setBy)
      out.push({ conversationId: o.conversationId, setBy: o.setBy, setByName: by?.displayName ?? null, setAt: o.setAt, title: known?.title ?? null })
    } catch {
      // a line that does not parse is not a hold this console can show
    }
  }
  return out.sort((a, b) => b.setAt - a.setAt)
}

/** How often an admin or compliance device countersigns the audit head on its own (issue 8). */
export const CHECKPOINT_EVERY_MS = 6 * 3600_000

/**
 * Countersigns the audit head when this device's newest checkpoint is older than `everyMs` and
 * the log moved since: run on a timer by every admin and compliance device, so an operator who
 * rewrites, truncates or rolls back the log is caught by checkpoints nobody had to remember to take.
 * Returns the new checkpoint, or null when none was due.
 */
export async function maybeSignCheckpoint(store: ClientStore, client: WardlineClient, now: number, everyMs = CHECKPOINT_EVERY_MS): Promise<AuditCheckpointView | null> {
  const last = (await checkpointLines(store)).map(checkpointView).filter((v): v is AuditCheckpointView => v !== null).at(-1)
  if (last && now - last.time < everyMs) return null
  const head = await auditHeadSeq(client)
  if (head < 1 || (last && head <= last.seq)) return null
  return await signCheckpoint(store, client, now)
}

/** The checkpoint file's lines this device signed, oldest first. */
export async function checkpointLines(store: ClientStore): Promise<string[]> {
  return (await store.list<string>(CHECKPOINT_PREFIX)).map(([, line]) => line)
}

export function checkpointView(line: string): AuditCheckpointView | null {
  try {
    const o = JSON.parse(line)
    return { seq: o.seq, time: o.time, hash: o.hash }
  } catch {
    return null
  }
}

/** Every audit record as JSON lines (the relay's export format), 100 a frame. */
export async function exportAuditLines(client: WardlineClient): Promise<string[]> {
  const out: string[] = []
  let since = 0
  for (;;) {
    const lines = await auditLines(client, since, 100)
    if (lines.length === 0) return out
    const last = parseAuditLine(lines[lines.length - 1]!)
    if (!last || last.seq <= since) return out
    out.push(...lines)
    since = last.seq
  }
}
