/**
 * Legal hold with real clients (issue 8, decision 0019): while the admin holds a conversation the
 * relay's pruning job keeps every entry a members' snapshot covers; after release it prunes them.
 * A clinician cannot set a hold.
 */
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { SQLITE_FILE } from '../../relay/storage/sqlite.ts'
import { adminAndNurse, sleep, until } from './test-world.ts'

Deno.test('a held conversation keeps its entries through compaction until the admin releases the hold; a clinician cannot hold one', async () => {
  const w = await adminAndNurse({ compactionGraceMs: 0, compactionIntervalMs: 50 }, {
    snapshotEvery: 10,
  })
  const db = new DatabaseSync(join(w.dataDir, SQLITE_FILE), { readOnly: true })
  try {
    const conv = await w.admin.createConversation([w.benId.userId])
    await until(() => w.ben.conversations.has(conv), 'ben joins')
    await assert.rejects(w.ben.setLegalHold(conv, true), /relay\/forbidden/)
    await w.admin.setLegalHold(conv, true)
    for (let i = 1; i <= 15; i++) {
      await (i % 2 ? w.admin : w.ben).sendMessage(conv, `held ${i}`, `h${i}`)
      await until(
        () => w.admin.listMessages(conv).length === i && w.ben.listMessages(conv).length === i,
        `message ${i}`,
      )
    }
    const snapshots = () =>
      (db.prepare('SELECT COUNT(*) AS n FROM snapshots WHERE conversation_id = ?').get(conv) as {
        n: number
      }).n
    await until(() => snapshots() > 0, 'a member uploads a snapshot')
    await sleep(300) // several runs of the pruning job, grace period 0
    assert.equal(await w.relay.pruneNow(), 0)
    assert.equal((await w.storage.getConversation(conv))!.prunedSeq, 0)
    assert.equal(
      (await w.storage.envelopesSince(conv, 0, 1000)).length,
      (await w.storage.getConversation(conv))!.headSeq,
    )

    await w.admin.setLegalHold(conv, false)
    const end = Date.now() + 10_000
    while (((await w.storage.getConversation(conv))?.prunedSeq ?? 0) === 0) {
      if (Date.now() > end) throw new Error('timed out: pruning resumes after release')
      await sleep(50)
    }
    const events = (await w.storage.auditRecords(0, 1000)).map((r) => r.event)
    assert.deepEqual(events.filter((e) => e.startsWith('legalhold.')), [
      'legalhold.set',
      'legalhold.released',
    ])
  } finally {
    db.close()
    await w.close()
  }
})
