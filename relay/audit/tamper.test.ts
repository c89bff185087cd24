/**
 * Tamper trials (issue 8): a real audit log, written through the storage on a real SQLite file and
 * a real Postgres schema, edited behind the relay's back the way someone with the database would —
 * triggers dropped first — and verified again. Deleting, changing or reordering records is caught
 * by the chain alone; cutting off the newest records (head row moved too) or rewriting the whole
 * chain with fresh hashes only with checkpoints; a rewritten device-signed record by its signature.
 * The CLI runs as a subprocess (`npm run audit:verify`) for its exit codes and last-line JSON.
 */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import postgres from 'postgres'
import { chainAuditRecord } from '../../crypto/audit.ts'
import { assert, assertEquals } from '../storage/_assert.ts'
import type { AuditRecord, AuditSource } from '../storage/audit.ts'
import { openPostgresAuditSource } from '../storage/postgres-audit.ts'
import { openPostgresStorage } from '../storage/postgres.ts'
import { openSqliteAuditSource } from '../storage/sqlite-audit.ts'
import { openSqliteStorage, SQLITE_FILE } from '../storage/sqlite.ts'
import type { RelayStorage } from '../storage/storage.ts'
import { seedAuditLog, type SeededAuditLog } from '../testing/audit-log.ts'
import { createTestSchema } from '../testing/test-postgres.ts'
import { formatRootFingerprint, verifyAuditLog } from './verify-log.ts'

/** A seeded store and raw SQL access to it (`?` placeholders on both backends). */
type Store = {
  log: SeededAuditLog
  run(sql: string, ...params: unknown[]): Promise<void>
  dropTriggers(): Promise<void>
  /** Also drops the UNIQUE on signatures (SQLite: rebuilds the table without constraints). */
  dropUnique(): Promise<void>
  source(): Promise<AuditSource>
  cli: string[]
  cleanup(): Promise<void>
}

async function seeded(storage: RelayStorage): Promise<SeededAuditLog> {
  try {
    return await seedAuditLog(storage)
  } finally {
    await storage.close()
  }
}

async function sqliteStore(): Promise<Store> {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-audit-tamper-' })
  const log = await seeded(await openSqliteStorage(dir))
  const db = new DatabaseSync(join(dir, SQLITE_FILE))
  return {
    log,
    // deno-lint-ignore require-await
    run: async (sql, ...params) => void db.prepare(sql).run(...(params as never[])),
    dropTriggers: () =>
      Promise.resolve(
        db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete'),
      ),
    dropUnique: () =>
      Promise.resolve(db.exec(
        'CREATE TABLE plain AS SELECT * FROM audit_log; DROP TABLE audit_log; ALTER TABLE plain RENAME TO audit_log',
      )),
    source: () => Promise.resolve(openSqliteAuditSource(dir)),
    cli: ['--data', dir],
    async cleanup() {
      db.close()
      await Deno.remove(dir, { recursive: true })
    },
  }
}

async function postgresStore(): Promise<Store> {
  const { url, schema, drop } = await createTestSchema()
  const log = await seeded(await openPostgresStorage(url, { schema }))
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { search_path: schema } })
  const scoped = new URL(url)
  scoped.searchParams.set('search_path', schema)
  return {
    log,
    async run(text, ...params) {
      let n = 0
      await sql.unsafe(text.replace(/\?/g, () => `$${++n}`), params as never[])
    },
    async dropTriggers() {
      await sql.unsafe(
        'DROP TRIGGER audit_log_append_only ON audit_log; DROP TRIGGER audit_log_no_truncate ON audit_log',
      )
    },
    async dropUnique() {
      await sql.unsafe('ALTER TABLE audit_log DROP CONSTRAINT audit_log_signature_key')
    },
    source: () => openPostgresAuditSource(scoped.href),
    cli: ['--database-url', scoped.href],
    async cleanup() {
      await sql.end()
      await drop()
    },
  }
}

async function verify(store: Store, withCheckpoints = false) {
  const source = await store.source()
  try {
    return await verifyAuditLog(
      source,
      withCheckpoints ? { checkpoints: store.log.checkpoints } : {},
    )
  } finally {
    await source.close()
  }
}

async function records(store: Store): Promise<AuditRecord[]> {
  const source = await store.source()
  await source.close()
  return source.records
}

/** Replaces the whole log by a consistent chain over the edited records, and moves the head. */
async function rewriteChain(
  store: Store,
  edit: (r: AuditRecord) => AuditRecord,
  keep = Infinity,
  extra: (old: AuditRecord[]) => AuditRecord[] = () => [],
) {
  const kept = (await records(store)).slice(0, keep)
  const old = [...kept, ...extra(kept)]
  let prev: AuditRecord | null = null
  const fresh = old.map((r) => (prev = chainAuditRecord(prev, edit(r))))
  await store.run('DELETE FROM audit_log')
  for (const r of fresh) {
    await store.run(
      'INSERT INTO audit_log (seq, time, event, actor, fields, claim, signature, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      r.seq,
      r.time,
      r.event,
      r.actor,
      JSON.stringify(r.fields),
      r.claim,
      r.signature,
      r.prevHash,
      r.hash,
    )
  }
  await store.run(
    'UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1',
    fresh.at(-1)!.seq,
    fresh.at(-1)!.hash,
  )
}

type Trial = { name: string; tamper(s: Store): Promise<void>; plain: unknown; checked: unknown }
const bad = (seq: number, reason: string, records = 10) => ({
  ok: false,
  records,
  firstBad: { seq, reason },
})
const intact = (records = 10) => ({ ok: true, records, firstBad: null })

const TRIALS: Trial[] = [
  { name: 'an intact log verifies', tamper: async () => {}, plain: intact(), checked: intact() },
  {
    name: 'a deleted record is caught at its seq',
    tamper: (s) => s.run('DELETE FROM audit_log WHERE seq = 4'),
    plain: bad(4, 'missing-record', 9),
    checked: bad(4, 'missing-record', 9),
  },
  {
    name: 'a changed record is caught at its seq',
    tamper: (s) =>
      s.run(
        `UPDATE audit_log SET fields = '{"device":"-","reason":"bad-signature"}' WHERE seq = 5`,
      ),
    plain: bad(5, 'bad-hash'),
    checked: bad(5, 'bad-hash'),
  },
  {
    name: 'two reordered records are caught at the first',
    async tamper(s) {
      await s.run('UPDATE audit_log SET seq = 1000 WHERE seq = 3')
      await s.run('UPDATE audit_log SET seq = 3 WHERE seq = 4')
      await s.run('UPDATE audit_log SET seq = 4 WHERE seq = 1000')
    },
    plain: bad(3, 'bad-prev-hash'),
    checked: bad(3, 'bad-prev-hash'),
  },
  {
    name: 'the newest records cut off (head row moved too) are caught only with checkpoints',
    tamper: (s) => rewriteChain(s, (r) => r, 8),
    plain: intact(8),
    checked: bad(10, 'truncated', 8),
  },
  {
    name: 'a whole chain rewritten with fresh hashes is caught only with checkpoints',
    tamper: (s) => rewriteChain(s, (r) => (r.seq === 2 ? { ...r, fields: { role: 'admin' } } : r)),
    plain: intact(),
    checked: bad(5, 'checkpoint-mismatch'),
  },
  {
    name:
      "a rewritten device-signed record is caught by the device's signature, even without checkpoints",
    tamper: (s) =>
      rewriteChain(
        s,
        (r) => (r.seq === 6 ? { ...r, fields: { conversations: 0, reason: 'court-order' } } : r),
      ),
    plain: bad(6, 'claim-mismatch'),
    checked: bad(6, 'claim-mismatch'),
  },
  {
    name: 'a device-signed record appended again later (chain recomputed) is caught as a replay',
    async tamper(s) {
      await s.dropUnique()
      await rewriteChain(s, (r) => r, Infinity, (old) => [{ ...old[5]!, time: old[9]!.time }])
    },
    plain: bad(11, 'duplicate-claim', 11),
    checked: bad(11, 'duplicate-claim', 11),
  },
  {
    name:
      "a device-signed record moved in time (chain recomputed) is caught against the claim's own time",
    tamper: (s) => rewriteChain(s, (r) => (r.seq === 6 ? { ...r, time: r.time + 3600_000 } : r)),
    plain: bad(6, 'claim-time'),
    checked: bad(6, 'claim-time'),
  },
]

async function npmVerify(args: string[]): Promise<{ code: number; last: unknown; stderr: string }> {
  const out = await new Deno.Command('npm', {
    args: ['run', '--silent', 'audit:verify', '--', ...args],
    stdout: 'piped',
    stderr: 'piped',
  }).output()
  const lines = new TextDecoder().decode(out.stdout).trim().split('\n')
  return {
    code: out.code,
    last: JSON.parse(lines.at(-1)!),
    stderr: new TextDecoder().decode(out.stderr),
  }
}

for (const [backend, open] of [['SQLite', sqliteStore], ['Postgres', postgresStore]] as const) {
  Deno.test(`${backend} audit log: UPDATE and DELETE on audit_log are refused while its triggers stand`, async () => {
    const s = await open()
    try {
      for (
        const sql of [
          'UPDATE audit_log SET event = ? WHERE seq = 1',
          'DELETE FROM audit_log WHERE seq = ?',
        ]
      ) {
        let refused = false
        await s.run(sql, sql.startsWith('UPDATE') ? 'x.y' : 1).catch(() => (refused = true))
        assert(refused, sql)
      }
      assertEquals(await verify(s), intact())
    } finally {
      await s.cleanup()
    }
  })

  for (const trial of TRIALS) {
    Deno.test(`${backend} audit log tamper trial: ${trial.name}`, async () => {
      const s = await open()
      try {
        await s.dropTriggers()
        await trial.tamper(s)
        assertEquals(await verify(s), trial.plain, 'without checkpoints')
        assertEquals(await verify(s, true), trial.checked, 'with checkpoints')
      } finally {
        await s.cleanup()
      }
    })
  }

  Deno.test(`${backend} audit log: npm run audit:verify exits 0 on an intact log and 1 on a tampered one, last line JSON`, async () => {
    const s = await open()
    const file = await Deno.makeTempFile({ suffix: '.jsonl' })
    try {
      await Deno.writeTextFile(file, s.log.checkpointFile)
      const root = formatRootFingerprint(s.log.org.root.publicKey)
      const ok = await npmVerify([...s.cli, '--root', root, '--checkpoints', file])
      assertEquals([ok.code, ok.last], [0, intact()])
      const warned = await npmVerify(s.cli)
      assertEquals(warned.code, 0)
      assert(
        warned.stderr.includes('trusting the relay') &&
          warned.stderr.includes('cannot be detected'),
        warned.stderr,
      )
      const wrongRoot = await npmVerify([...s.cli, '--root', 'AAAA BBBB CCCC DDDD EEEE FFFF GGGG'])
      assertEquals([wrongRoot.code, wrongRoot.last], [1, bad(0, 'root-mismatch')])
      await s.dropTriggers()
      await rewriteChain(s, (r) => r, 7)
      const cut = await npmVerify([...s.cli, '--root', root, '--checkpoints', file])
      assertEquals([cut.code, cut.last], [1, bad(10, 'truncated', 7)])
      await s.run('DELETE FROM audit_log WHERE seq = 2')
      const gap = await npmVerify([...s.cli])
      assertEquals([gap.code, gap.last], [1, bad(2, 'missing-record', 6)])
      const usage = await npmVerify(['--root', root])
      assertEquals([usage.code, usage.last], [2, { ok: false, records: 0, firstBad: null }])
    } finally {
      await Deno.remove(file)
      await s.cleanup()
    }
  })
}
