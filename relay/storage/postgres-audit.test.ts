/** The audit log's storage contract on Postgres (audit-contract.ts), two pools on one schema. */
import { runAuditContract } from './audit-contract.ts'
import { openPostgresStorage } from './postgres.ts'
import { createTestSchema, openTestPostgresStorage } from '../testing/test-postgres.ts'

runAuditContract('Postgres audit log', openTestPostgresStorage, async () => {
  const { url, schema, drop } = await createTestSchema()
  const [a, b] = await Promise.all([
    openPostgresStorage(url, { schema }),
    openPostgresStorage(url, { schema }),
  ])
  const closeB = b.close.bind(b)
  b.close = async () => {
    await closeB()
    await drop()
  }
  return [a, b]
})
