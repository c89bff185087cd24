/**
 * The relay's `audit(event, fields, actor)` hook (issue 8): what relay code paths call to append
 * an event to the hash-chained audit log (storage/audit.ts). Other modules (SCIM provisioning,
 * compliance) get it from RelayDeps and append the same way. Fields are event names, device ids,
 * roles, reason codes and counts only — never message content, patient data, keys, display names
 * or codes; the encoder refuses values over 128 characters. Messages are not audited, so the
 * message path never waits on this. A failed append is logged (by error name) and never throws
 * into the caller: the action it records has already happened.
 */
import type { AuditFields } from '../crypto-surface.ts'
import type { Log } from '../log.ts'
import type { RelayStorage } from '../storage/storage.ts'

/**
 * Appends one event; resolves with its seq, or null when the append failed (it was logged).
 * `settled()` resolves once every append started so far has finished: the relay's draining close
 * waits for it, so records appended without being awaited (logins) are not lost at shutdown.
 */
export type AuditHook = {
  (event: string, fields?: AuditFields, actor?: string): Promise<number | null>
  settled(): Promise<void>
}

/** The actor of events the relay observes without anyone's signature (a refused login). */
export const RELAY_ACTOR = 'relay'

const DEVICE_ID = /^[0-9a-f]{32}$/
/**
 * A device id as the audit log may hold it: device ids are hex hashes of public keys, but an
 * unknown device's id is whatever a stranger sent, so anything else is recorded as '-'.
 */
export const auditDeviceId = (id: string): string => (DEVICE_ID.test(id) ? id : '-')

export function createAuditHook(
  storage: RelayStorage,
  log: Log,
  now: () => number = Date.now,
): AuditHook {
  const pending = new Set<Promise<unknown>>()
  const append = async (event: string, fields: AuditFields = {}, actor = RELAY_ACTOR) => {
    try {
      const r = await storage.appendAudit({ time: now(), event, actor, fields })
      return r.seq
    } catch (e) {
      log('audit.failed', { event, error: e instanceof Error ? e.name : 'unknown' })
      return null
    }
  }
  const hook = (event: string, fields?: AuditFields, actor?: string) => {
    const p = append(event, fields, actor)
    pending.add(p)
    void p.finally(() => pending.delete(p))
    return p
  }
  return Object.assign(hook, { settled: async () => void await Promise.all([...pending]) })
}
