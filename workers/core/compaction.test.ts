/**
 * Compaction against the real relay: members upload snapshots that state what they cover; the
 * relay prunes only the data entries a snapshot covers, only after the grace period, never a
 * commit; a device that was away catches up from the snapshot plus the tail and then carries on
 * as any member; a snapshot altered by the operator is refused and never shown.
 */
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import * as c from '../../crypto/mod.ts'
import { SQLITE_FILE } from '../../relay/storage/sqlite.ts'
import type { RelayStorage } from '../../relay/storage/storage.ts'
import type { WardlineClient } from './client.ts'
import { MemoryStore } from './store.ts'
import { adminAndNurse, until } from './test-world.ts'

const EVERY = 20
const ids = (client: WardlineClient, conv: string) => client.listMessages(conv).map((m) => m.id)
const bodies = (client: WardlineClient, conv: string) => client.listMessages(conv).map((m) => m.body)

async function logKinds(storage: RelayStorage, conv: string): Promise<{ data: number; commits: number }> {
  const log = await storage.envelopesSince(conv, 0, 100_000)
  const commits = log.filter((e) => c.isCommitEntry(e.envelope)).length
  return { data: log.length - commits, commits }
}

/** The admin, Ben and Cara in one group; Cara's device then goes away with its store. */
async function groupWithCaraAway(relay: { compactionGraceMs: number; compactionIntervalMs: number }) {
  const w = await adminAndNurse(relay, { snapshotEvery: EVERY })
  const caraId = await w.enroll('Cara Doctor')
  const caraStore = new MemoryStore()
  const cara = w.make(caraId, caraStore)
  await cara.start()
  await until(() => w.admin.people().length === 3 && cara.people().length === 3, 'directory')
  const conv = await w.admin.createConversation([w.benId.userId, caraId.userId])
  await until(() => w.ben.conversations.has(conv) && cara.conversations.has(conv), 'conversation everywhere')
  await w.admin.sendMessage(conv, 'before Cara left', 'm0')
  await until(() => bodies(cara, conv).length === 1, 'cara reads the first')
  cara.stop()
  return { w, conv, caraId, caraStore }
}

/** Waits until the relay has pruned the conversation past `atLeast`; returns the pruned point. */
async function prunedPast(storage: RelayStorage, conv: string, atLeast: number): Promise<number> {
  const end = Date.now() + 15_000
  for (;;) {
    const pruned = (await storage.getConversation(conv))?.prunedSeq ?? 0
    if (pruned >= atLeast) return pruned
    if (Date.now() > end) throw new Error(`timed out: relay prunes past ${atLeast} (at ${pruned})`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function chat(w: Awaited<ReturnType<typeof adminAndNurse>>, conv: string, n: number): Promise<void> {
  const before = bodies(w.admin, conv).length
  for (let i = 1; i <= n; i++) {
    const from = i % 3 === 0 ? w.ben : w.admin
    await from.sendMessage(conv, `message ${before + i} ${'x'.repeat(i % 7)}`, `m${before + i}`)
    // One writer at a time, as people do: each waits to see the one before.
    const want = before + i
    await until(() => bodies(w.ben, conv).length === want && bodies(w.admin, conv).length === want, `message ${want} everywhere`)
  }
}

Deno.test('a device away while the log was compacted catches up from the snapshot plus the tail, and carries on', async () => {
  const { w, conv, caraId, caraStore } = await groupWithCaraAway({ compactionGraceMs: 0, compactionIntervalMs: 50 })
  await chat(w, conv, 70)
  const pruned = await prunedPast(w.storage, conv, EVERY)
  const kinds = await logKinds(w.storage, conv)
  const head = (await w.storage.getConversation(conv))!.headSeq
  // only data entries up to the snapshot are gone; commits (the genesis is not in the log) stay
  assert.ok(kinds.data <= head - pruned, JSON.stringify({ kinds, head, pruned }))
  assert.equal(kinds.commits, 0)
  const snapshot = await w.storage.prunedSnapshot(conv)
  assert.ok(snapshot && snapshot.seq === pruned && snapshot.parts.length >= 1)

  // Cara comes back with the store she left with.
  const cara = w.make(caraId, caraStore)
  await cara.start()
  await until(() => ids(cara, conv).length === 71, 'cara catches up', 15_000)
  assert.deepEqual(ids(cara, conv), ids(w.admin, conv))
  assert.deepEqual(bodies(cara, conv), bodies(w.ben, conv))
  assert.deepEqual(cara.listMessages(conv).map((m) => m.seq), w.admin.listMessages(conv).map((m) => m.seq))
  // and she writes on: the others accept her message after the snapshot point
  await cara.sendMessage(conv, 'back on shift', 'c1')
  await until(() => bodies(w.admin, conv).at(-1) === 'back on shift' && bodies(w.ben, conv).at(-1) === 'back on shift', 'others read cara')
  assert.ok(!w.alerts.some((a) => a.startsWith('sync/')), w.alerts.join(','))
  await w.close()
})

Deno.test('a fresh device restored from a snapshot after a removal: commits behind the pruned point still apply', async () => {
  const w = await adminAndNurse({ compactionGraceMs: 0, compactionIntervalMs: 50 }, { snapshotEvery: EVERY })
  const caraId = await w.enroll('Cara Doctor')
  const cara = w.make(caraId)
  await cara.start()
  await until(() => w.admin.people().length === 3, 'directory')
  const conv = await w.admin.createConversation([w.benId.userId, caraId.userId])
  await until(() => w.ben.conversations.has(conv) && cara.conversations.has(conv), 'conversation everywhere')
  await chat(w, conv, 10)
  await w.admin.removeMembers(conv, [caraId.userId]) // a commit inside what will be pruned
  await until(() => w.ben.conversations.get(conv)!.meta.epoch === 1, 'ben follows the removal')
  await chat(w, conv, 30)
  await prunedPast(w.storage, conv, 13)
  assert.equal((await logKinds(w.storage, conv)).commits, 1)
  // Ben's new device joins (added by a member's device with the history keys) and reads it all.
  const benTabletId = await w.enroll('Ben Nurse', w.benId.userId)
  const tablet = w.make(benTabletId)
  await tablet.start()
  await until(() => tablet.conversations.has(conv) && ids(tablet, conv).length === ids(w.admin, conv).length, 'tablet reads everything', 20_000)
  assert.deepEqual(ids(tablet, conv), ids(w.admin, conv))
  assert.equal(tablet.conversations.get(conv)!.meta.epoch, w.admin.conversations.get(conv)!.meta.epoch)
  // the epoch-1 segment came before the commit that gave the tablet its key: kept, then opened
  assert.equal(tablet.conversations.get(conv)!.meta.unavailable, 0)
  await w.close()
})

Deno.test('within the grace period nothing is pruned, though the snapshot is stored', async () => {
  const { w, conv } = await groupWithCaraAway({ compactionGraceMs: 3600_000, compactionIntervalMs: 50 })
  await chat(w, conv, 45) // two boundaries: members take them in turn, and Cara (away) holds at most one
  const db = new DatabaseSync(join(w.dataDir, SQLITE_FILE))
  await until(() => Number((db.prepare('SELECT COUNT(*) AS n FROM snapshots').get() as { n: number }).n) > 0, 'a snapshot is uploaded')
  await new Promise((r) => setTimeout(r, 300)) // several pruning rounds
  assert.equal((await w.storage.getConversation(conv))?.prunedSeq, 0)
  assert.equal((await logKinds(w.storage, conv)).data, 46)
  db.close()
  await w.close()
})

Deno.test('a snapshot altered by the operator is refused: the device shows none of it and says so', async () => {
  const { w, conv, caraId, caraStore } = await groupWithCaraAway({ compactionGraceMs: 0, compactionIntervalMs: 50 })
  await chat(w, conv, 45) // two boundaries: at least one falls to a member who is online
  await prunedPast(w.storage, conv, EVERY)
  await w.relay.close() // the operator stops the relay and edits its database
  const db = new DatabaseSync(join(w.dataDir, SQLITE_FILE))
  const row = db.prepare('SELECT rowid, part FROM snapshots LIMIT 1').get() as { rowid: number; part: Uint8Array }
  const part = row.part.slice()
  part[part.length - 40]! ^= 1
  db.prepare('UPDATE snapshots SET part = ? WHERE rowid = ?').run(part, row.rowid)
  db.close()
  const { openSqliteStorage } = await import('../../relay/storage/sqlite.ts')
  const { startRelay } = await import('../../relay/server.ts')
  const storage = await openSqliteStorage(w.dataDir)
  const relay = await startRelay({ port: w.relay.port, hostname: '127.0.0.1', storage, staticDir: `${w.dataDir}/x`, log: () => {} })
  const defences: string[] = []
  const cara = w.makeWith({ identity: caraId, store: caraStore, onDefence: (e) => defences.push(e.kind) })
  await cara.start()
  await until(() => w.alerts.includes('sync/bad-snapshot'), 'cara reports the snapshot', 15_000)
  assert.deepEqual(bodies(cara, conv), ['before Cara left'])
  assert.ok(defences.includes('forgery'))
  cara.stop()
  await relay.close()
  await w.close()
})

/** Ben, a member, uploads a snapshot of his own making at the head of the log (not his turn). */
function craftedSnapshot(w: Awaited<ReturnType<typeof adminAndNurse>>, conv: string, o: { reverse: boolean; poison: string }) {
  const st = w.ben.conversations.get(conv)!
  const m = st.meta
  const ordered = st.ordered().map((r) => r.record.id)
  const seqs: Record<string, number> = {}
  ordered.forEach((id, k) => (seqs[id] = st.index.get(ordered[o.reverse ? ordered.length - 1 - k : k]!)!.seq!))
  const counters = { [o.poison]: 2 ** 53 - 1 }
  const plaintext = c.encodeTuple([st.encodeSegment(m.epoch), JSON.stringify(seqs), JSON.stringify(counters)])
  const blob = c.sealSnapshot({
    conversationId: conv, seq: m.lastSeq, chainHash: m.chain.hash, epoch: m.epoch, headHash: m.headHash,
    signerDeviceId: w.benId.deviceId, createdAt: Date.now(),
  }, [{ epoch: m.epoch, records: ordered.length, plaintext, epochKey: m.epochKeys[String(m.epoch)]! }], w.benId.signingSecretKey)
  const parts = c.splitSnapshot(blob)
  parts.forEach((part, index) =>
    w.ben.connection.send({ type: 'putSnapshot', ref: `ss/crafted/${index}`, conversationId: conv, seq: m.lastSeq, index, count: parts.length, part })
  )
  return m.lastSeq
}

for (const reverse of [true, false]) {
  Deno.test(
    reverse
      ? 'a member’s snapshot that reorders others’ messages is refused by the device restoring from it'
      : 'a member’s snapshot cannot silence a sender: counters are not taken from it',
    async () => {
      const { w, conv, caraId, caraStore } = await groupWithCaraAway({ compactionGraceMs: 0, compactionIntervalMs: 50 })
      await chat(w, conv, 6)
      const honest = bodies(w.admin, conv)
      const seq = craftedSnapshot(w, conv, { reverse, poison: w.adminId.deviceId })
      await prunedPast(w.storage, conv, seq)
      const cara = w.make(caraId, caraStore)
      await cara.start()
      if (reverse) {
        await until(() => w.alerts.includes('sync/bad-snapshot'), 'cara refuses the snapshot', 15_000)
        assert.deepEqual(bodies(cara, conv), ['before Cara left'])
      } else {
        await until(() => bodies(cara, conv).length === honest.length, 'cara catches up', 15_000)
        assert.deepEqual(bodies(cara, conv), honest)
        await w.admin.sendMessage(conv, 'after the snapshot', 'after')
        await until(() => bodies(cara, conv).at(-1) === 'after the snapshot', 'cara reads the admin after it')
      }
      await w.close()
    },
  )
}
