/** The audit log's storage contract on SQLite (audit-contract.ts). */
import { runAuditContract } from './audit-contract.ts'
import { openSqliteStorage } from './sqlite.ts'

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
