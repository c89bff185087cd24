/**
 * Catch-up through the real relay (in process, SQLite) for a device that was away while a group
 * wrote N messages: reading every entry of the log (baseline) against the compacted path —
 * commits, one snapshot and the tail — in the same run, on the same conversation.
 *
 *   deno run -A bench/compaction.bench.ts [messages=1200]
 *
 * Prints one JSON line; never asserts. The engine is the real one (workers/core/client.ts).
 */
import { MemoryStore } from '../workers/core/store.ts'
import { adminAndNurse, until } from '../workers/core/test-world.ts'

const MESSAGES = Number(Deno.args[0] ?? 1200)
const EVERY = 500

const w = await adminAndNurse({ compactionGraceMs: 3600_000, compactionIntervalMs: 3600_000 }, { snapshotEvery: EVERY })
const conv = await w.admin.createConversation([w.benId.userId])
await until(() => w.ben.conversations.has(conv), 'conversation')
for (let i = 0; i < MESSAGES; i++) {
  const from = i % 4 === 0 ? w.ben : w.admin
  await from.sendMessage(conv, `message ${i}: patient comfortable overnight, obs stable, plan unchanged`, `m${i}`)
  if (i % 50 === 49) await until(() => w.ben.listMessages(conv).length === i + 1 && w.admin.listMessages(conv).length === i + 1, 'sync', 60_000)
}
await until(() => w.ben.listMessages(conv).length === MESSAGES && w.admin.listMessages(conv).length === MESSAGES, 'all sent', 60_000)

/** A new device of Ben reads the whole conversation; returns milliseconds until it shows all. */
async function catchUp(): Promise<number> {
  const id = await w.enroll('Ben Nurse', w.benId.userId)
  const device = w.make(id, new MemoryStore())
  const t0 = performance.now()
  await device.start()
  await until(() => device.conversations.has(conv) && device.listMessages(conv).length === MESSAGES, 'new device reads all', 300_000)
  const ms = performance.now() - t0
  device.stop()
  return ms
}

const logEntries = (await w.storage.envelopesSince(conv, 0, 1_000_000)).length
const fullMs = await catchUp()
const pruned = await w.storage.pruneCovered(Date.now() + 1) // as if the grace period had passed
const compactedEntries = (await w.storage.envelopesSince(conv, 0, 1_000_000)).length
const snapshot = await w.storage.prunedSnapshot(conv)
const compactedMs = await catchUp()
console.log(JSON.stringify({
  bench: 'compaction-catch-up',
  messages: MESSAGES,
  logEntries,
  pruned,
  snapshotSeq: snapshot?.seq ?? 0,
  snapshotBytes: snapshot?.parts.reduce((n, p) => n + p.length, 0) ?? 0,
  entriesAfterCompaction: compactedEntries,
  fullLogMs: Math.round(fullMs),
  snapshotPlusTailMs: Math.round(compactedMs),
  ratio: Number((compactedMs / fullMs).toFixed(3)),
}))
await w.close()
