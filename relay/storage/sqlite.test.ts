import { runStorageContract } from './contract.ts'
import { openSqliteStorage } from './sqlite.ts'

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
