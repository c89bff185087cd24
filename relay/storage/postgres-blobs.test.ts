import { runBlobStorageContract } from './blob-contract.ts'
import { openTestPostgresStorage } from '../testing/test-postgres.ts'

runBlobStorageContract('Postgres storage', openTestPostgresStorage)
