/**
 * Online backup and restore of the relay's SQLite store (issue 4, "an online backup command for
 * SQLite and a restore that a test exercises"). Backup uses SQLite's online backup API on a
 * read-only connection, all pages in one step: a consistent snapshot of the last committed state
 * while the relay keeps writing (WAL readers never block the writer; `VACUUM INTO` would need
 * ATTACH, which Deno allows only with --allow-all). Restore checks the file (integrity, schema version) and
 * puts it in place atomically; the relay must be stopped. Touches no key: the store holds none.
 *
 *   deno run -A relay/backup.ts backup  <dataDir> <file>
 *   deno run -A relay/backup.ts restore <file> <dataDir> [--force]
 */
import { backup, DatabaseSync } from 'node:sqlite'
import { dirname, join } from 'node:path'
import { SQLITE_FILE } from './storage/sqlite.ts'
import { SCHEMA_VERSION } from './storage/sqlite-schema.ts'

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path)
    return true
  } catch {
    return false
  }
}

/** Writes a consistent copy of `dataDir`'s database to `file` (which must not exist). */
export async function backupSqlite(dataDir: string, file: string): Promise<void> {
  const source = join(dataDir, SQLITE_FILE)
  if (!(await exists(source))) throw new RangeError(`expected a relay database in ${dataDir}, found none`)
  if (await exists(file)) throw new RangeError(`expected a new backup file, got an existing one: ${file}`)
  await Deno.mkdir(dirname(file), { recursive: true })
  const db = new DatabaseSync(source, { readOnly: true })
  try {
    // rate -1: every page in one step, so concurrent writes cannot restart it forever.
    await backup(db, file, { rate: -1 })
  } finally {
    db.close()
  }
}

/** Refuses a file that is not an intact relay database of this schema version. */
function assertRestorable(file: string): void {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const check = db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }
    if (check.integrity_check !== 'ok') throw new RangeError(`expected an intact backup, got: ${check.integrity_check}`)
    const version = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version)
    if (version !== SCHEMA_VERSION) throw new RangeError(`expected relay schema ${SCHEMA_VERSION}, got ${version}`)
  } finally {
    db.close()
  }
}

/** Puts the backup in place as `dataDir`'s database; an existing one only with `force`. */
export async function restoreSqlite(file: string, dataDir: string, options: { force?: boolean } = {}): Promise<void> {
  assertRestorable(file)
  const target = join(dataDir, SQLITE_FILE)
  if ((await exists(target)) && !options.force) {
    throw new RangeError(`expected no database in ${dataDir}, found one (stop the relay; --force replaces it)`)
  }
  await Deno.mkdir(dataDir, { recursive: true })
  const partial = `${target}.restoring`
  await Deno.copyFile(file, partial)
  // A WAL left by the replaced database would be replayed onto the restored one.
  for (const suffix of ['-wal', '-shm']) await Deno.remove(target + suffix).catch(() => {})
  await Deno.rename(partial, target)
}

if (import.meta.main) {
  const [command, a, b, flag] = Deno.args
  try {
    if (command === 'backup' && a && b) await backupSqlite(a, b)
    else if (command === 'restore' && a && b) await restoreSqlite(a, b, { force: flag === '--force' })
    else throw new RangeError('usage: backup <dataDir> <file> | restore <file> <dataDir> [--force]')
    console.log(`${command} done`)
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e))
    Deno.exit(1)
  }
}
