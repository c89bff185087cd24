import { join } from 'node:path'
import { backupSqlite, restoreSqlite } from './backup.ts'
import { assert, assertEquals } from './storage/_assert.ts'
import { SQLITE_FILE } from './storage/sqlite.ts'
import { startRelay } from './server.ts'
import { sealTestEnvelope, type TestDevice } from './testing/fixtures.ts'
import { TestClient } from './testing/test-client.ts'
import { withConversation } from './testing/with-conversation.ts'

/** Runs `npm run backup -- <dataDir> <file>` as package.json spells it (same permissions). */
async function runBackupScript(dataDir: string, file: string): Promise<void> {
  const scripts = JSON.parse(await Deno.readTextFile(new URL('../package.json', import.meta.url))).scripts
  const flags = (scripts.backup as string).split(' ').filter((w) => w.startsWith('--allow-'))
  const script = new URL('./backup.ts', import.meta.url).pathname
  const out = await new Deno.Command(Deno.execPath(), {
    args: ['run', ...flags, script, 'backup', dataDir, file],
    env: { DENO_NO_UPDATE_CHECK: '1' },
    stdout: 'piped',
    stderr: 'piped',
  }).output()
  const text = new TextDecoder().decode(out.stderr)
  assert(out.success, `backup script failed: ${text}`)
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'accepted'
  } catch (e) {
    return e instanceof Error ? e.message : 'other'
  }
}

Deno.test('an online backup taken while the relay writes restores into a relay that serves exactly what was stored then', async () => {
  const out = await Deno.makeTempDir({ prefix: 'wardline-backup-' })
  const file = join(out, 'snapshot.sqlite')
  try {
    let admin!: TestDevice
    await withConversation({}, async (t, nurse) => {
      admin = t.admin
      const c = await TestClient.loggedIn(t.url, nurse)
      const send = async (i: number) => {
        c.send({ type: 'send', ref: `r${i}`, conversationId: 'c1', envelope: sealTestEnvelope(nurse, 'c1', i) })
        return (await c.waitFor('ack')).seq
      }
      await send(1)
      await send(2)
      await runBackupScript(t.dataDir, file) // another process, while the relay runs and is connected
      assertEquals(await send(3), 3) // … and keeps writing afterwards
      assert((await refusal(backupSqlite(t.dataDir, file))).includes('existing'))
      await c.close()
    })
    const restored = join(out, 'restored')
    await restoreSqlite(file, restored)
    assert((await refusal(restoreSqlite(file, restored))).includes('--force'))
    await restoreSqlite(file, restored, { force: true })
    const t = await startRelay({ port: 0, hostname: '127.0.0.1', dataDir: restored, staticDir: `${restored}/none`, log: () => {} })
    try {
      // The organisation and its admin are there; the log holds the two envelopes of the backup.
      const c = await TestClient.loggedIn(t.url, admin)
      c.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
      assertEquals([(await c.waitFor('envelope')).seq, (await c.waitFor('envelope')).seq], [1, 2])
      assertEquals((await c.waitFor('caughtUp')).seq, 2)
      await c.close()
      assertEquals((await (await fetch(`${t.url}/api/org`)).json()).initialized, true)
    } finally {
      await t.close()
    }
    // A file that is not a relay database is refused.
    await Deno.writeTextFile(join(out, 'junk.sqlite'), 'not a database')
    assert((await refusal(restoreSqlite(join(out, 'junk.sqlite'), join(out, 'x')))) !== 'accepted')
    assert(!(await Deno.stat(join(out, 'x', SQLITE_FILE)).then(() => true, () => false)))
  } finally {
    await Deno.remove(out, { recursive: true })
  }
})
