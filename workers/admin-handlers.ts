/**
 * The worker's answers to the admin console's requests (issue 7, workers/protocol.ts). Every
 * destructive one — revoking devices, revoking a code (and setPolicy in wardline.worker.ts) —
 * first checks the PIN asked again (`confirmPin`, counted like an unlock). Signing happens here,
 * in the worker, with the root key the admin device holds; the page only sees the results.
 */
import type { Policy } from '../crypto/policy.ts'
import {
  auditHeadSeq,
  auditLines,
  checkpointLines,
  checkpointView,
  exportAuditLines,
  fetchDevicesSeen,
  listLegalHolds,
  fetchDirectoryUsers,
  listCodes,
  mergePeople,
  parseAuditLine,
  revokeCode,
  revokeDevices,
  signCheckpoint,
} from './core/admin.ts'
import type { WardlineClient } from './core/client.ts'
import type { EncryptedStore } from './encrypted-store.ts'
import type { AuditCheckpointView, AuditRecordView, Methods } from './protocol.ts'

type AdminMethod =
  | 'getPolicy'
  | 'adminPeople'
  | 'adminRevokeDevices'
  | 'listEnrollmentCodes'
  | 'revokeEnrollmentCode'
  | 'listLegalHolds'
  | 'setLegalHold'
  | 'auditRecords'
  | 'signAuditCheckpoint'
  | 'listAuditCheckpoints'
  | 'exportAudit'
type Handler<M extends AdminMethod> = (p: Methods[M]['params']) => Promise<Methods[M]['result']>

export type AdminDeps = {
  /** The running engine and store of an admin device (holding the root key), or throws. */
  requireAdmin(): { client: WardlineClient; store: EncryptedStore }
  confirmPin(pin: string): Promise<void>
  readPolicy(): Promise<Policy>
}

const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max

export function adminHandlers(deps: AdminDeps): { [M in AdminMethod]: Handler<M> } {
  return {
    async getPolicy() {
      const { version, issuedAt: _issuedAt, ...settings } = await deps.readPolicy()
      return { ...settings, version }
    },
    async adminPeople() {
      const { client } = deps.requireAdmin()
      // A relay without the directory tables' answers still lets the console list enrolled people.
      const [directory, seen] = await Promise.all([
        fetchDirectoryUsers(client),
        fetchDevicesSeen(client).catch(() => new Map<string, number>()),
      ])
      return mergePeople(client, directory, seen)
    },
    async adminRevokeDevices({ deviceIds, reason, pin }) {
      const { client } = deps.requireAdmin()
      if (!Array.isArray(deviceIds) || !deviceIds.every((d) => isText(d, 200))) throw Object.assign(new Error('admin/bad-request'), { code: 'admin/bad-request' })
      await deps.confirmPin(String(pin ?? ''))
      return { revoked: await revokeDevices(client, deviceIds, String(reason ?? '').slice(0, 200) || 'revoked by an administrator') }
    },
    async listEnrollmentCodes() {
      const { client, store } = deps.requireAdmin()
      return await listCodes(store, client, Date.now())
    },
    async revokeEnrollmentCode({ authorizationId, pin }) {
      const { client, store } = deps.requireAdmin()
      if (!isText(authorizationId, 64)) throw Object.assign(new Error('admin/unknown-code'), { code: 'admin/unknown-code' })
      await deps.confirmPin(String(pin ?? ''))
      await revokeCode(store, client, authorizationId)
      return null
    },
    async listLegalHolds() {
      const { client } = deps.requireAdmin()
      return await listLegalHolds(client)
    },
    async setLegalHold({ conversationId, held, pin }) {
      const { client } = deps.requireAdmin()
      if (typeof conversationId !== 'string' || !/^[0-9a-f]{32}$/.test(conversationId)) {
        throw Object.assign(new Error('admin/bad-conversation-id'), { code: 'admin/bad-conversation-id' })
      }
      await deps.confirmPin(String(pin ?? ''))
      await client.setLegalHold(conversationId, held === true)
      return null
    },
    async auditRecords({ since, limit, newest }) {
      const { client } = deps.requireAdmin()
      const n = Math.min(Math.max(Number(limit) || 50, 1), 100)
      const head = newest ? await auditHeadSeq(client) : null
      const from = head !== null ? Math.max(0, head - n) : Math.max(0, Number(since) || 0)
      const lines = await auditLines(client, from, n)
      const out: AuditRecordView[] = []
      for (const line of lines) {
        const r = parseAuditLine(line)
        if (r) out.push({ ...r, actorName: client.devices.get(r.actor)?.displayName ?? null })
      }
      return { since: from, head, records: out }
    },
    async signAuditCheckpoint() {
      const { client, store } = deps.requireAdmin()
      return await signCheckpoint(store, client, Date.now())
    },
    async listAuditCheckpoints() {
      const { store } = deps.requireAdmin()
      return (await checkpointLines(store)).map(checkpointView).filter((v): v is AuditCheckpointView => v !== null).reverse()
    },
    async exportAudit() {
      const { client, store } = deps.requireAdmin()
      const records = await exportAuditLines(client)
      const checkpoints = await checkpointLines(store)
      const file = (lines: string[]) => (lines.length ? lines.join('\n') + '\n' : '')
      return { records: file(records), checkpoints: file(checkpoints), count: records.length }
    },
  }
}
