/**
 * The encrypted key backup through the engine and the real relay (issue 3, decision 0007): a
 * user's only device keeps a backup and is gone for good; a new device that no member re-seals
 * the earlier keys to reads the earlier messages once the recovery key is typed, and lists
 * plainly what is still closed; a wrong key changes nothing; keys restored before the device is
 * added apply when it arrives; two devices of one user keep one backup between them.
 */
import assert from 'node:assert/strict'
import * as c from '../../crypto/mod.ts'
import type { WardlineClient } from './client.ts'
import type { Identity } from './identity.ts'
import { MemoryStore } from './store.ts'
import { until, world } from './test-world.ts'

const bodies = (client: WardlineClient, id: string) => client.listMessages(id).map((m) => m.body)
const codeOf = (code: string) => (e: unknown) => (e as { code?: string }).code === code

/** Admin, Cara and Ben (first device, backup on, fast uploads) in one group with two messages. */
async function teamWithBackup() {
  const w = await world()
  const fast = (identity: Identity) => w.makeWith({ identity, store: new MemoryStore(), keyBackupDelayMs: 30 })
  const caraId = await w.enroll('Cara Doctor')
  const benId = await w.enroll('Ben Nurse')
  const cara = fast(caraId)
  const ben1 = fast(benId)
  await cara.start()
  await ben1.start()
  await until(() => [w.admin, cara, ben1].every((x) => x.people().length === 3), 'directory')
  const conv = await w.admin.createConversation([benId.userId, caraId.userId])
  await until(() => ben1.conversations.has(conv) && cara.conversations.has(conv), 'joined')
  const { recoveryKey, backedUp } = await ben1.createRecoveryKey()
  assert.equal(backedUp, true)
  await w.admin.sendMessage(conv, 'handover: bed 4 needs fluids', 'a1')
  await ben1.sendMessage(conv, 'on it', 'b1')
  await until(() => bodies(ben1, conv).length === 2 && bodies(w.admin, conv).length === 2, 'both messages')
  return { ...w, fast, cara, caraId, ben1, benId, conv, recoveryKey }
}

/** Ben's first device is gone for good; Ben is removed while away and a message follows. */
async function benGoneAndRemoved(t: Awaited<ReturnType<typeof teamWithBackup>>) {
  t.ben1.stop()
  await t.admin.removeMembers(t.conv, [t.benId.userId])
  await t.admin.sendMessage(t.conv, 'while ben was away', 'a2')
  const ben2 = t.fast(await t.enroll('Ben Nurse', t.benId.userId))
  await ben2.start()
  await until(() => t.admin.people().find((p) => p.userId === t.benId.userId)?.deviceCount === 2, 'new device listed')
  return ben2
}

Deno.test('a new device reads the messages sent before it, from the key backup its only earlier device kept; a wrong key reads nothing', async () => {
  const t = await teamWithBackup()
  const ben2 = await benGoneAndRemoved(t)
  // Added back without history: no member re-seals the earlier keys to the new device.
  await t.admin.addMembers(t.conv, [t.benId.userId], false)
  await t.admin.sendMessage(t.conv, 'welcome back', 'a3')
  await until(() => bodies(ben2, t.conv).join() === 'welcome back', 'new device reads the new message')
  assert.equal(ben2.listConversations()[0]!.historyUnavailable, 3)
  const keysBefore = Object.keys(ben2.conversations.get(t.conv)!.meta.epochKeys)

  // Another user's key, a mistyped key and junk are refused; nothing changes.
  await assert.rejects(ben2.restoreFromRecoveryKey(c.newRecoveryKey().text), codeOf('backup/wrong-recovery-key'))
  const chars = t.recoveryKey.split('')
  chars[7] = chars[7] === 'A' ? 'B' : 'A'
  await assert.rejects(ben2.restoreFromRecoveryKey(chars.join('')), codeOf('backup/recovery-key-typo'))
  await assert.rejects(ben2.restoreFromRecoveryKey('my PIN 123456'), codeOf('backup/bad-recovery-key'))
  assert.deepEqual(bodies(ben2, t.conv), ['welcome back'])
  assert.deepEqual(Object.keys(ben2.conversations.get(t.conv)!.meta.epochKeys), keysBefore)
  assert.equal((await ben2.keyBackupStatus()).enabled, false)
  assert.equal((await ben2.keyBackupStatus()).offerRestore, true)

  // The right key, typed loosely: the earlier messages open; the one sent while Ben was removed
  // is listed as unavailable, with its reason.
  const report = await ben2.restoreFromRecoveryKey(t.recoveryKey.toLowerCase().replaceAll('-', ' '))
  assert.deepEqual(report, {
    conversations: 1,
    epochs: 1,
    messages: 2,
    waiting: 0,
    unavailable: [{ conversationId: t.conv, title: ben2.listConversations()[0]!.title, epochs: [1], messages: 1, reason: 'not-in-backup' }],
  })
  assert.deepEqual(bodies(ben2, t.conv), ['handover: bed 4 needs fluids', 'on it', 'welcome back'])
  assert.equal(ben2.listConversations()[0]!.historyUnavailable, 1)

  // From now on the new device keeps the backup: its own epoch-2 key joins the next version.
  const read = (await ben2.keyBackupStatus()).version!
  let status = await ben2.keyBackupStatus()
  for (let i = 0; i < 100 && !(status.version! > read); i++) {
    await new Promise((r) => setTimeout(r, 50))
    status = await ben2.keyBackupStatus()
  }
  assert.ok(status.version! > read, 'a higher version was uploaded')
  assert.equal(status.problem, null)
  assert.equal(status.offerRestore, false)
  await t.close()
})

Deno.test('keys restored right after enrollment wait for the conversation and open it when a member adds the device', async () => {
  const t = await teamWithBackup()
  const ben2 = await benGoneAndRemoved(t)
  const report = await ben2.restoreFromRecoveryKey(t.recoveryKey)
  assert.deepEqual(report, { conversations: 0, epochs: 0, messages: 0, waiting: 1, unavailable: [] })
  await t.admin.addMembers(t.conv, [t.benId.userId], false)
  await t.admin.sendMessage(t.conv, 'welcome back', 'a3')
  await until(() => bodies(ben2, t.conv).length === 3, 'earlier messages and the new one')
  assert.deepEqual(bodies(ben2, t.conv), ['handover: bed 4 needs fluids', 'on it', 'welcome back'])
  assert.equal(ben2.listConversations()[0]!.historyUnavailable, 1) // sent while Ben was removed
  await t.close()
})

Deno.test('two devices of one user keep one backup: each upload merges the other’s keys; a newer recovery key is never overwritten', async () => {
  const t = await teamWithBackup()
  const ben2 = t.fast(await t.enroll('Ben Nurse', t.benId.userId))
  await ben2.start()
  await until(() => ben2.conversations.has(t.conv) && bodies(ben2, t.conv).length === 2, 'second device added with history')
  await ben2.restoreFromRecoveryKey(t.recoveryKey)
  // A new conversation: both devices learn its key and both upload; the relay keeps one backup
  // holding every key, whoever stored last.
  const conv2 = await t.admin.createConversation([t.benId.userId])
  await until(() => t.ben1.conversations.has(conv2) && ben2.conversations.has(conv2), 'both joined')
  await t.ben1.backupNow()
  await ben2.backupNow()
  const blob = await t.storage.getKeyBackup(t.benId.userId)
  const secret = c.parseRecoveryKey(t.recoveryKey)
  assert.ok(blob && secret.ok)
  const opened = c.openKeyBackup(blob, c.deriveBackupKey(secret.value), { userId: t.benId.userId })
  assert.ok(opened.ok)
  const held = new Set(opened.value.entries.map((e) => `${e.conversationId}/${e.epoch}`))
  for (const id of [t.conv, conv2]) {
    for (const e of Object.keys(ben2.conversations.get(id)!.meta.epochKeys)) assert.ok(held.has(`${id}/${e}`), `${id}/${e}`)
  }
  // Ben makes a new recovery key on his second device: the first device stops, never overwriting it.
  const fresh = await ben2.createRecoveryKey()
  assert.equal(fresh.backedUp, true)
  // (An upload of the first device already under way when the new key was made may finish
  // first; the next one sees the newer key and stops.)
  let problem: string | null = null
  for (let i = 0; i < 20 && problem !== 'backup/key-replaced'; i++) {
    await t.ben1.backupNow()
    problem = (await t.ben1.keyBackupStatus()).problem
  }
  assert.equal(problem, 'backup/key-replaced')
  const now = await t.storage.getKeyBackup(t.benId.userId)
  const freshSecret = c.parseRecoveryKey(fresh.recoveryKey)
  assert.ok(now && freshSecret.ok)
  assert.ok(c.openKeyBackup(now, c.deriveBackupKey(freshSecret.value), { userId: t.benId.userId }).ok)
  await t.close()
})
