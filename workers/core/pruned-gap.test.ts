/**
 * A hole the relay does not fill — entries deleted from its log with no snapshot to cover them
 * (an operator editing the database, a relay withholding them) before an entry it still serves —
 * is reported once as a gap, and the device does not ask for the same catch-up again in a loop
 * (before this, every caughtUp asked again at network speed).
 */
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { SQLITE_FILE } from '../../relay/storage/sqlite.ts'
import type { DefenceEvent } from './client.ts'
import { adminAndNurse, sleep, until } from './test-world.ts'

Deno.test('a catch-up that cannot move past a hole in the log is reported as a gap, not retried in a loop', async () => {
  const w = await adminAndNurse()
  const { ben, benId } = w
  try {
    const conv = await w.admin.createConversation([benId.userId])
    await until(() => ben.conversations.has(conv), 'conversation reaches ben')
    ben.connection.stop()
    for (const i of [1, 2, 3]) await w.admin.sendMessage(conv, `old ${i}`, `o${i}`)
    await until(() => w.admin.queuedCount() === 0, 'admin sent')
    const db = new DatabaseSync(join(w.dataDir, SQLITE_FILE))
    const deleted = db.prepare("DELETE FROM envelopes WHERE conversation_id = ? AND kind = 'data'").run(conv)
    db.close()
    assert.ok(Number(deleted.changes) >= 3)
    await w.admin.sendMessage(conv, 'new', 'n1')
    await until(() => w.admin.queuedCount() === 0, 'admin sent the new one')

    const gaps: DefenceEvent[] = []
    ben.watchDefences((e) => e.kind === 'gap' && gaps.push(e))
    const subscribes = () => w.relay.metrics.get('wardline_frames_in_total', 'subscribe')
    const before = subscribes()
    ben.connection.start()
    await until(() => gaps.length > 0, 'the hole is reported')
    await sleep(1000)
    assert.ok(subscribes() - before <= 4, `${subscribes() - before} subscribes in a second`)
  } finally {
    await w.close()
  }
})
