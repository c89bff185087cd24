import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { assert, assertEquals } from './_assert.ts'
import { runStorageContract } from './contract.ts'
import { openSqliteStorage, SQLITE_FILE } from './sqlite.ts'
import { SCHEMA_VERSION } from './sqlite-schema.ts'

runStorageContract('SQLite storage', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-sqlite-' })
  const storage = await openSqliteStorage(dir)
  const close = storage.close.bind(storage)
  storage.close = async () => {
    await close()
    await Deno.remove(dir, { recursive: true })
  }
  return storage
})

Deno.test('SQLite storage: a data directory from before membership epochs is refused at start', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-sqlite-old-' })
  try {
    const db = new DatabaseSync(join(dir, SQLITE_FILE))
    db.exec('CREATE TABLE conversations (conversation_id TEXT PRIMARY KEY, manifest BLOB NOT NULL)')
    db.close()
    let refused = ''
    try {
      await openSqliteStorage(dir)
    } catch (e) {
      refused = e instanceof RangeError ? e.message : 'other'
    }
    assert(refused.includes(`schema ${SCHEMA_VERSION}`), refused)
    // A fresh directory opens, and opens again.
    const fresh = await Deno.makeTempDir({ dir, prefix: 'fresh-' })
    await (await openSqliteStorage(fresh)).close()
    await (await openSqliteStorage(fresh)).close()
  } finally {
    await Deno.remove(dir, { recursive: true })
  }
})

Deno.test('SQLite storage: a schema 2 data directory (before key backups) is migrated at start and keeps its data', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-sqlite-v2-' })
  try {
    const first = await openSqliteStorage(dir)
    await first.putAuthorization({ id: 'a1', blob: new Uint8Array([1]), userId: 'u1', displayName: 'N', role: 'member', expiresAt: 9e12 })
    await first.close()
    // Make it exactly a schema 2 file: no key_backups table, user_version 2.
    const raw = new DatabaseSync(join(dir, SQLITE_FILE))
    raw.exec('DROP TABLE key_backups; PRAGMA user_version = 2')
    raw.close()
    const migrated = await openSqliteStorage(dir)
    assertEquals((await migrated.getAuthorization('a1'))?.userId, 'u1')
    assertEquals(await migrated.putKeyBackup('u1', new Uint8Array([7]), 1), 'ok')
    assertEquals(await migrated.getKeyBackup('u1'), new Uint8Array([7]))
    await migrated.close()
    const check = new DatabaseSync(join(dir, SQLITE_FILE))
    assertEquals(Number((check.prepare('PRAGMA user_version').get() as { user_version: number }).user_version), SCHEMA_VERSION)
    check.close()
    await (await openSqliteStorage(dir)).close()
  } finally {
    await Deno.remove(dir, { recursive: true })
  }
})
