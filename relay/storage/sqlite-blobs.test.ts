import { runBlobStorageContract } from './blob-contract.ts'
import { openSqliteStorage } from './sqlite.ts'

runBlobStorageContract('SQLite storage', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-sqlite-blobs-' })
  const storage = await openSqliteStorage(dir)
  const close = storage.close.bind(storage)
  storage.close = async () => {
    await close()
    await Deno.remove(dir, { recursive: true })
  }
  return storage
})
