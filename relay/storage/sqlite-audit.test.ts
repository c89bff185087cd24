/** The audit log's storage contract on SQLite (audit-contract.ts). */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { assertEquals } from './_assert.ts'
import { runAuditContract } from './audit-contract.ts'
import { openSqliteStorage, SQLITE_FILE } from './sqlite.ts'
import { SCHEMA_VERSION } from './sqlite-schema.ts'

runAuditContract('SQLite audit log', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-sqlite-audit-' })
  const storage = await openSqliteStorage(dir)
  const close = storage.close.bind(storage)
  storage.close = async () => {
    await close()
    await Deno.remove(dir, { recursive: true })
  }
  return storage
}, async () => {
  // Two connections to one file, as two relay processes on one data directory would have.
  const dir = await Deno.makeTempDir({ prefix: 'wardline-sqlite-audit-two-' })
  const a = await openSqliteStorage(dir)
  const b = await openSqliteStorage(dir)
  const closeB = b.close.bind(b)
  b.close = async () => {
    await closeB()
    await Deno.remove(dir, { recursive: true })
  }
  return [a, b]
})

Deno.test('SQLite audit log: a schema 5 data directory is migrated to the current schema at start, keeps its data and starts the chain at 1', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-sqlite-v5-' })
  try {
    const first = await openSqliteStorage(dir)
    await first.putAuthorization({
      id: 'a1',
      blob: new Uint8Array([1]),
      userId: 'u1',
      displayName: 'N',
      role: 'member',
      expiresAt: 9e12,
    })
    await first.close()
    const raw = new DatabaseSync(join(dir, SQLITE_FILE))
    raw.exec('DROP TABLE audit_log; DROP TABLE audit_head; PRAGMA user_version = 5')
    raw.close()
    const migrated = await openSqliteStorage(dir)
    assertEquals((await migrated.getAuthorization('a1'))?.userId, 'u1')
    assertEquals(
      (await migrated.appendAudit({ time: 1, event: 'org.setup', actor: 'd', fields: {} })).seq,
      1,
    )
    await migrated.close()
    const check = new DatabaseSync(join(dir, SQLITE_FILE))
    assertEquals(
      Number((check.prepare('PRAGMA user_version').get() as { user_version: number }).user_version),
      SCHEMA_VERSION,
    )
    check.close()
  } finally {
    await Deno.remove(dir, { recursive: true })
  }
})
