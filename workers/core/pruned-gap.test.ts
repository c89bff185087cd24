/**
 * A hole the relay does not fill — entries deleted from its log with no snapshot to cover them
 * (an operator editing the database, a relay withholding them) before an entry it still serves —
 * is reported once as a gap, and the device does not ask for the same catch-up again in a loop
 * (before this, every caughtUp asked again at network speed). It does ask again later, with
 * backoff, so a hole the link lost is filled even when no new entry comes to prompt it.
 */
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { SQLITE_FILE } from '../../relay/storage/sqlite.ts'
import type { DefenceEvent } from './client.ts'
import { adminAndNurse, interceptedSocket, sleep, until, world } from './test-world.ts'
import { MemoryStore } from './store.ts'
import { decodeFrame } from '../../relay/wire/frames.ts'

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

Deno.test('a hole the link lost is asked for again later and filled, with no new entry to prompt it', async () => {
  const w = await world()
  try {
    const benId = await w.enroll('Ben Nurse')
    // For half a second after Ben comes back, his link loses every entry after the conversation's
    // first, so his catch-ups move nothing although the log reaches further; then it heals.
    const lost = new Set<number>()
    let dropping = false
    const createSocket = interceptedSocket((ev, deliver) => {
      const f = decodeFrame(new Uint8Array(ev.data as ArrayBuffer))
      if (f.ok && f.frame.type === 'envelope' && f.frame.seq >= 2 && dropping) {
        lost.add(f.frame.seq)
        return
      }
      deliver(ev)
    })
    const ben = w.makeWith({ identity: benId, store: new MemoryStore(), createSocket })
    await ben.start()
    await until(() => w.admin.people().length === 2 && ben.people().length === 2, 'directory')
    const conv = await w.admin.createConversation([benId.userId])
    await until(() => ben.conversations.has(conv), 'conversation reaches ben')
    ben.connection.stop()
    for (const i of [1, 2, 3]) await w.admin.sendMessage(conv, `m ${i}`, `m${i}`)
    await until(() => w.admin.queuedCount() === 0, 'admin sent')
    const head = (await w.storage.getConversation(conv))!.headSeq
    const gaps: DefenceEvent[] = []
    ben.watchDefences((e) => e.kind === 'gap' && gaps.push(e))
    dropping = true
    ben.connection.start()
    await until(() => gaps.length > 0, 'the hole is reported')
    await sleep(500)
    dropping = false
    await until(() => ben.conversations.get(conv)!.meta.lastSeq === head, 'ben reads to the head', 15_000)
    assert.ok(lost.size >= 2, 'the link did lose entries')
    assert.deepEqual(ben.listMessages(conv).map((m) => m.body), ['m 1', 'm 2', 'm 3'])
  } finally {
    await w.close()
  }
})
