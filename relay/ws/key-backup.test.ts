/**
 * putKeyBackup / getKeyBackup against the real relay: one blob per user, replaced only by a higher
 * version, readable by every device of that user and by nobody else; bad input gets an error and
 * the socket stays open; and a canary scan shows that no key or conversation id in the backup
 * reaches the database or the log.
 */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { bytesToHex, randomBytes, toBase64url } from '../../crypto/bytes.ts'
import { deriveBackupKey, newRecoveryKey, sealKeyBackup } from '../../crypto/key-backup.ts'
import { canaryForms } from '../../test/canary-forms.ts'
import { assert, assertEquals } from '../storage/_assert.ts'
import { SQLITE_FILE } from '../storage/sqlite.ts'
import { createAuthorization, createDevice } from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { startTestRelay } from '../testing/test-relay.ts'

const backupOf = (userId: string, version: number, key = deriveBackupKey(randomBytes(20))) =>
  sealKeyBackup([{ conversationId: 'c1', epoch: 0, key: randomBytes(32) }], key, { userId, createdAt: 1, version })

Deno.test('a user’s devices store and read one key backup, replaced only by a higher version; other users read none', async () => {
  const t = await startTestRelay()
  try {
    const phone = await t.enroll('nurse')
    const tabletAuth = createAuthorization(t.org, { userId: 'nurse' })
    await t.putAuthorization(tabletAuth)
    const tablet = createDevice(tabletAuth)
    const res = await fetch(`${t.url}/api/devices`, {
      method: 'POST',
      body: JSON.stringify({ authorizationId: tabletAuth.id, binding: toBase64url(tablet.binding) }),
    })
    assertEquals(res.status, 200)
    await res.body?.cancel()
    const other = await t.enroll('doctor')
    const a = await TestClient.loggedIn(t.url, phone)
    const b = await TestClient.loggedIn(t.url, tablet)
    const c = await TestClient.loggedIn(t.url, other)

    a.send({ type: 'getKeyBackup', ref: 'g0' })
    assertEquals(await a.waitFor('keyBackup'), { type: 'keyBackup', ref: 'g0', backup: new Uint8Array(0) })
    const v1 = backupOf('nurse', 1)
    a.send({ type: 'putKeyBackup', ref: 'p1', backup: v1 })
    assertEquals(await a.waitFor('ack'), { type: 'ack', ref: 'p1', conversationId: '', seq: 1 })
    b.send({ type: 'getKeyBackup', ref: 'g1' })
    assertEquals(await b.waitFor('keyBackup'), { type: 'keyBackup', ref: 'g1', backup: v1 })

    // The same or a lower version is refused and changes nothing.
    for (const version of [1, 0]) {
      b.send({ type: 'putKeyBackup', ref: `s${version}`, backup: backupOf('nurse', version) })
      assertEquals(await b.waitFor('error'), { type: 'error', code: 'relay/stale-backup', ref: `s${version}` })
    }
    const v2 = backupOf('nurse', 2)
    b.send({ type: 'putKeyBackup', ref: 'p2', backup: v2 })
    assertEquals((await b.waitFor('ack')).seq, 2)
    a.send({ type: 'getKeyBackup', ref: 'g2' })
    assertEquals((await a.waitFor('keyBackup')).backup, v2)
    // A jump to the top of the version range would lock out every later upload: refused.
    b.send({ type: 'putKeyBackup', ref: 'top', backup: backupOf('nurse', 2 ** 53 - 1) })
    assertEquals(await b.waitFor('error'), { type: 'error', code: 'relay/stale-backup', ref: 'top' })

    // Another user can neither read nor overwrite it.
    c.send({ type: 'getKeyBackup', ref: 'g3' })
    assertEquals((await c.waitFor('keyBackup')).backup, new Uint8Array(0))
    c.send({ type: 'putKeyBackup', ref: 'x', backup: backupOf('nurse', 99) })
    assertEquals(await c.waitFor('error'), { type: 'error', code: 'relay/wrong-user', ref: 'x' })
    for (const junk of [new Uint8Array(0), new Uint8Array([1, 2, 3]), v2.subarray(0, v2.length - 1).slice(0, 40)]) {
      c.send({ type: 'putKeyBackup', ref: 'j', backup: junk })
      assertEquals(await c.waitFor('error'), { type: 'error', code: 'relay/malformed-backup', ref: 'j' })
    }
    c.send({ type: 'ping', nonce: 5 })
    assertEquals(await c.waitFor('pong'), { type: 'pong', nonce: 5 }) // still connected
    a.send({ type: 'getKeyBackup', ref: 'g4' })
    assertEquals((await a.waitFor('keyBackup')).backup, v2)
    for (const x of [a, b, c]) await x.close()
  } finally {
    await t.close()
  }
})

/** Every byte the relay wrote (files under its data directory, SQLite cells read by SQLite, log lines). */
function relayBytes(dataDir: string, logs: string[]): Uint8Array[] {
  const out: Uint8Array[] = [new TextEncoder().encode(logs.join('\n'))]
  for (const e of Deno.readDirSync(dataDir)) if (e.isFile) out.push(Deno.readFileSync(join(dataDir, e.name)))
  const db = new DatabaseSync(join(dataDir, SQLITE_FILE), { readOnly: true })
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
  for (const { name } of tables) {
    for (const row of db.prepare(`SELECT * FROM "${name}"`).all()) {
      for (const v of Object.values(row as Record<string, unknown>)) {
        out.push(v instanceof Uint8Array ? v : new TextEncoder().encode(String(v)))
      }
    }
  }
  db.close()
  return out
}

const contains = (hay: Uint8Array, needle: Uint8Array) => {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

Deno.test('zero knowledge: no epoch key, backup key, recovery key or conversation id of a backup reaches the relay’s files or log', async () => {
  const logs: string[] = []
  const t = await startTestRelay({ log: (event, fields) => logs.push(`${event} ${JSON.stringify(fields ?? {})}`) })
  try {
    const nurse = await t.enroll('nurse-PLANTED-canary')
    const client = await TestClient.loggedIn(t.url, nurse)
    const { text, secret } = newRecoveryKey()
    const backupKey = deriveBackupKey(secret)
    const epochKeys = [randomBytes(32), randomBytes(32)]
    const conversationId = 'CANARY-conversation-5e1f0c'
    const blob = sealKeyBackup(
      epochKeys.map((key, epoch) => ({ conversationId, epoch, key })),
      backupKey,
      { userId: 'nurse-PLANTED-canary', createdAt: 1, version: 1 },
    )
    client.send({ type: 'putKeyBackup', ref: 'p', backup: blob })
    assertEquals((await client.waitFor('ack')).ref, 'p')
    await client.close()
    await t.relay.close() // flush WAL into the file
    const written = relayBytes(t.dataDir, logs)
    const found = (forms: Uint8Array[]) => forms.some((f) => written.some((w) => contains(w, f)))
    // The scanner works: the display name made from the user id is in the directory table.
    assert(found(canaryForms('Name of nurse-PLANTED-canary')), 'scanner finds the planted directory name')
    for (const secretBytes of [...epochKeys, backupKey, secret]) {
      assert(!found([secretBytes, ...canaryForms(bytesToHex(secretBytes)), ...canaryForms(toBase64url(secretBytes))]), 'key bytes stored')
    }
    assert(!found(canaryForms(text)) && !found(canaryForms(text.replaceAll('-', ''))), 'recovery key stored')
    assert(!found(canaryForms(conversationId)), 'conversation id from inside the backup stored')
  } finally {
    await t.close()
  }
})
