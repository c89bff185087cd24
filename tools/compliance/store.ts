/**
 * The compliance tool's view of a relay's store (decision 0019): the relay's own storage classes
 * (SQLite data directory or Postgres URL), used to READ the organisation, directory and one
 * conversation's log, and to append one audit record. It never changes a conversation.
 */
import { join } from 'node:path'
import * as c from '../../crypto/mod.ts'
import { openPostgresStorage } from '../../relay/storage/postgres.ts'
import { openSqliteStorage } from '../../relay/storage/sqlite.ts'
import type { RelayStorage } from '../../relay/storage/storage.ts'
import { verifyDirectory } from '../../workers/core/directory.ts'
import type { LogEntry } from './open-log.ts'

export type StoreLocation = { data: string } | { databaseUrl: string }

export async function openStore(at: StoreLocation): Promise<RelayStorage> {
  if ('data' in at) {
    try {
      await Deno.stat(join(at.data, 'wardline.sqlite'))
    } catch {
      throw new RangeError(
        `expected a relay data directory with wardline.sqlite, got none at ${at.data}`,
      )
    }
    return await openSqliteStorage(at.data)
  }
  return await openPostgresStorage(at.databaseUrl, { max: 1 })
}

/** Every device with a valid chain to `root` (revoked ones too: their past signatures count). */
export async function readDirectory(
  storage: RelayStorage,
  root: Uint8Array,
): Promise<{ devices: Map<string, c.VerifiedDevice>; revoked: Set<string> }> {
  const entries = (await storage.listDirectory()).map((e) =>
    c.encodeTuple(
      e.revocation ? [e.authorization, e.binding, e.revocation] : [e.authorization, e.binding],
    )
  )
  const d = verifyDirectory(root, root, entries)
  return { devices: new Map(d.devices.map((v) => [v.deviceId, v])), revoked: d.revoked }
}

const PAGE = 1000

/** The whole stored log of the conversation (data and commit entries), in seq order. */
export async function readLog(storage: RelayStorage, conversationId: string): Promise<LogEntry[]> {
  const out: LogEntry[] = []
  for (let since = 0;;) {
    const page = await storage.envelopesSince(conversationId, since, PAGE)
    out.push(...page)
    if (page.length < PAGE) return out
    since = page.at(-1)!.seq
  }
}
