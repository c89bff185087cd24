import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { assert } from './_assert.ts'
import { runStorageContract } from './contract.ts'
import { openSqliteStorage, SQLITE_FILE } from './sqlite.ts'

runStorageContract('SQLite storage', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-sqlite-' })
  const storage = await openSqliteStorage(dir)
  const close = storage.close.bind(storage)
  storage.close = async () => {
    await close()
    await Deno.remove(dir, { recursive: true })
  }
  return storage
}, async () => {
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
    assert(refused.includes('schema 3'), refused)
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
    assert(Number((again.prepare('PRAGMA user_version').get() as Record<string, unknown>).user_version) === 3)
    again.close()
  } finally {
    await Deno.remove(dir, { recursive: true })
  }
})
