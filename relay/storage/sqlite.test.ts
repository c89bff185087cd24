import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { assert, assertEquals } from './_assert.ts'
import { runStorageContract } from './contract.ts'
import { runScimStorageContract } from './scim-contract.ts'
import { runLegalHoldContract } from './legal-hold-contract.ts'
import { openSqliteStorage, SQLITE_FILE } from './sqlite.ts'
import { SCHEMA_VERSION } from './sqlite-schema.ts'

const openTempSqlite = async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-sqlite-' })
  const storage = await openSqliteStorage(dir)
  const close = storage.close.bind(storage)
  storage.close = async () => {
    await close()
    await Deno.remove(dir, { recursive: true })
  }
  return storage
}

runScimStorageContract('SQLite storage', openTempSqlite)
runLegalHoldContract('SQLite storage', openTempSqlite)

runStorageContract('SQLite storage', openTempSqlite, async () => {
  // Two connections to one file, as two relay processes on one data directory would have.
  const dir = await Deno.makeTempDir({ prefix: 'wardline-sqlite-two-' })
  const a = await openSqliteStorage(dir)
  const b = await openSqliteStorage(dir)
  const closeB = b.close.bind(b)
  b.close = async () => {
    await closeB()
    await Deno.remove(dir, { recursive: true })
  }
  return [a, b]
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

Deno.test('SQLite storage: a schema 2 data directory is migrated in place and keeps its log', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-sqlite-v2-' })
  try {
    const db = new DatabaseSync(join(dir, SQLITE_FILE))
    // the schema 2 conversations table, as it was
    db.exec(`CREATE TABLE conversations (conversation_id TEXT PRIMARY KEY, genesis BLOB NOT NULL,
      head_seq INTEGER NOT NULL DEFAULT 0, epoch INTEGER NOT NULL DEFAULT 0, head_hash BLOB NOT NULL,
      rotation_pending INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL)`)
    db.exec("INSERT INTO conversations VALUES ('c1', x'07', 3, 0, x'00', 0, 1)")
    db.exec('PRAGMA user_version = 2')
    db.close()
    const s = await openSqliteStorage(dir)
    const c = await s.getConversation('c1')
    assert(c?.headSeq === 3 && c.prunedSeq === 0, JSON.stringify(c))
    await s.close()
    const again = new DatabaseSync(join(dir, SQLITE_FILE))
    assert(Number((again.prepare('PRAGMA user_version').get() as Record<string, unknown>).user_version) === SCHEMA_VERSION)
    again.close()
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
    // Make it exactly a schema 2 file: no key backups, no compaction, user_version 2.
    const raw = new DatabaseSync(join(dir, SQLITE_FILE))
    raw.exec(`DROP TABLE key_backups; DROP TABLE snapshots; DROP TABLE relay_keys; ALTER TABLE conversations DROP COLUMN pruned_seq;
      ALTER TABLE conversations DROP COLUMN pruned_device_id; PRAGMA user_version = 2`)
    raw.close()
    const migrated = await openSqliteStorage(dir)
    assertEquals((await migrated.getAuthorization('a1'))?.userId, 'u1')
    assertEquals(await migrated.putKeyBackup('u1', new Uint8Array([7]), 1), 'ok')
    assertEquals(await migrated.getKeyBackup('u1'), new Uint8Array([7]))
    assertEquals(await migrated.leaseKey(new Uint8Array([9])), new Uint8Array([9])) // 4 → 5
    await migrated.close()
    const check = new DatabaseSync(join(dir, SQLITE_FILE))
    assertEquals(Number((check.prepare('PRAGMA user_version').get() as { user_version: number }).user_version), SCHEMA_VERSION)
    check.close()
    await (await openSqliteStorage(dir)).close()
  } finally {
    await Deno.remove(dir, { recursive: true })
  }
})
