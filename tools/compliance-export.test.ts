/**
 * The compliance export CLI run as officers would run it (`npm run compliance:export`), as a
 * subprocess against the data directory of a real relay that real clients wrote to, then checked
 * as a court would (`npm run compliance:verify`) and as an admin would (`npm run audit:verify`).
 */
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { adminAndNurse, until } from '../workers/core/test-world.ts'
import { createComplianceKey } from '../workers/core/compliance-setup.ts'
import { formatFingerprint } from '../workers/core/identity.ts'
import * as c from '../crypto/mod.ts'
import { openPostgresStorage } from '../relay/storage/postgres.ts'
import { readCorpus } from '../test/sim/corpus.ts'
import { createTestSchema } from '../relay/testing/test-postgres.ts'

async function npm(script: string, args: string[]) {
  const out = await new Deno.Command('npm', {
    args: ['run', '--silent', script, '--', ...args],
    stdout: 'piped',
    stderr: 'piped',
  }).output()
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  }
}

const exists = (p: string) => Deno.stat(p).then(() => true, () => false)

async function messagesWorld() {
  const w = await adminAndNurse()
  const conv = await w.admin.createConversation([w.benId.userId])
  await until(() => w.ben.conversations.has(conv), 'ben joins')
  await w.admin.sendMessage(conv, 'Bed 4 needs a review at 10', 'a1')
  await w.ben.sendMessage(conv, 'On my way', 'b1')
  await w.admin.sendMessage(conv, 'Thanks — obs every hour', 'a2')
  await until(
    () =>
      w.admin.listMessages(conv).length === 3 &&
      w.admin.listMessages(conv).every((m) => m.status !== 'queued'),
    'stored',
  )
  const tmp = await Deno.makeTempDir({ prefix: 'wardline-export-' })
  const shares = w.complianceShares.map((s) => `${s.officer}: ${s.share}`)
  await Deno.writeTextFile(join(tmp, 'two.txt'), shares.join('\n') + '\n')
  await Deno.writeTextFile(join(tmp, 'one.txt'), `# only one officer\n${shares[0]}\n`)
  const fp = formatFingerprint(w.adminId.rootPublicKey)
  const base = ['--data', w.dataDir, '--conversation', conv, '--root', fp]
  return { w, conv, tmp, fp, base }
}

Deno.test('compliance:export with k shares writes every message with author, device, time and seq; the manifest verifies; the audit log holds compliance.export and still verifies', async () => {
  const { w, conv, tmp, fp, base } = await messagesWorld()
  try {
    const out = join(tmp, 'out')
    const run = await npm('compliance:export', [
      ...base,
      '--shares',
      join(tmp, 'two.txt'),
      '--out',
      out,
    ])
    assert.equal(run.code, 0, run.stderr)
    const doc = JSON.parse(await Deno.readTextFile(join(out, 'export.json')))
    type M = {
      text: string
      authorName: string
      authorDevice: string
      seq: number
      recordId: string
      time: string
    }
    const byText = new Map<string, M>(doc.messages.map((m: M) => [m.text, m]))
    assert.deepEqual([...byText.keys()].sort(), [
      'Bed 4 needs a review at 10',
      'On my way',
      'Thanks — obs every hour',
    ])
    assert.equal(byText.get('Bed 4 needs a review at 10')!.authorName, 'Ann Admin')
    assert.equal(byText.get('On my way')!.authorName, 'Ben Nurse')
    assert.equal(byText.get('On my way')!.authorDevice, w.benId.deviceId)
    assert.equal(byText.get('Thanks — obs every hour')!.authorDevice, w.adminId.deviceId)
    // Relay order, as members see it.
    assert.deepEqual(
      doc.messages.map((m: M) => m.seq),
      doc.messages.map((m: M) => m.seq).toSorted((a: number, b: number) => a - b),
    )
    for (const m of doc.messages) {
      assert.ok(
        m.seq > 0 && m.recordId.startsWith(m.authorDevice) && !Number.isNaN(Date.parse(m.time)),
      )
    }
    assert.deepEqual(doc.problems, [])
    const text = await Deno.readTextFile(join(out, 'export.txt'))
    assert.match(text, /Ben Nurse .*On my way/)
    const manifest = JSON.parse(await Deno.readTextFile(join(out, 'manifest.json')))
    assert.equal(manifest.conversationId, conv)
    assert.equal(manifest.counts.messages, 3)
    assert.deepEqual(manifest.sharesUsed, [1, 2])
    assert.equal(manifest.epochs[0].memberUserIds.length, 2)

    const verified = await npm('compliance:verify', [out, '--root', fp])
    assert.equal(verified.code, 0, verified.stdout)
    await Deno.writeTextFile(join(out, 'export.txt'), text.replace('On my way', 'Not coming'))
    const altered = await npm('compliance:verify', [out, '--root', fp])
    assert.equal(altered.code, 1)
    assert.match(altered.stdout, /export\.txt: SHA-256 differs/)

    const records = await w.storage.auditRecords(0, 1000)
    const exported = records.filter((r) => r.event === 'compliance.export')
    assert.equal(exported.length, 1)
    assert.match(exported[0]!.actor, /^compliance:[0-9a-f]{32}$/)
    assert.equal(exported[0]!.fields.conversation, conv)
    assert.equal(exported[0]!.fields.messages, 3)
    assert.equal(manifest.audit.seq, exported[0]!.seq)
    const audit = await npm('audit:verify', ['--data', w.dataDir, '--root', fp])
    assert.equal(audit.code, 0, audit.stdout + audit.stderr)

    // Whoever holds the database cannot forge one: a claim under the compliance actor signed
    // with any other key is flagged.
    const claim = {
      deviceId: exported[0]!.actor,
      event: 'compliance.export',
      time: Date.now(),
      fields: { conversation: conv },
    }
    const bytes = c.encodeAuditClaim(claim)
    const forged = await w.storage.appendAudit({
      time: claim.time,
      event: claim.event,
      actor: claim.deviceId,
      fields: claim.fields,
      claim: bytes,
      signature: c.xeddsaSign(bytes, c.randomBytes(32)),
    })
    const caught = await npm('audit:verify', ['--data', w.dataDir, '--root', fp])
    assert.equal(caught.code, 1)
    assert.deepEqual(JSON.parse(caught.stdout.trim().split('\n').at(-1)!).firstBad, {
      seq: forged.seq,
      reason: 'bad-signature',
    })
  } finally {
    await w.close()
  }
})

Deno.test('compliance:export with k−1 shares, or another organisation’s shares, exits non-zero and writes nothing and logs nothing', async () => {
  const { w, tmp, base } = await messagesWorld()
  try {
    const before = (await w.storage.auditHead())!.seq
    const out = join(tmp, 'out')
    const one = await npm('compliance:export', [
      ...base,
      '--shares',
      join(tmp, 'one.txt'),
      '--out',
      out,
    ])
    assert.equal(one.code, 2)
    assert.match(one.stderr, /not enough shares/)
    assert.ok(!(await exists(out)))
    const other = await createComplianceKey(c.generateSigningKeyPair().secretKey, {
      threshold: 2,
      officers: ['X', 'Y'],
    })
    await Deno.writeTextFile(join(tmp, 'other.txt'), other.shares.map((s) => s.share).join('\n'))
    const foreign = await npm('compliance:export', [
      ...base,
      '--shares',
      join(tmp, 'other.txt'),
      '--out',
      out,
    ])
    assert.equal(foreign.code, 2)
    assert.match(foreign.stderr, /another compliance key/)
    assert.ok(!(await exists(out)))
    const wrongRoot = await npm('compliance:export', [
      ...base.slice(0, -1),
      'AAAA',
      '--shares',
      join(tmp, 'two.txt'),
      '--out',
      out,
    ])
    assert.equal(wrongRoot.code, 2)
    assert.ok(!(await exists(out)))
    // An output folder that is not empty is refused before any key is opened.
    const full = join(tmp, 'full')
    await Deno.mkdir(full)
    await Deno.writeTextFile(join(full, 'keep.txt'), 'x')
    const occupied = await npm('compliance:export', [
      ...base,
      '--shares',
      join(tmp, 'two.txt'),
      '--out',
      full,
    ])
    assert.equal(occupied.code, 2)
    assert.deepEqual([...Deno.readDirSync(full)].map((e) => e.name), ['keep.txt'])
    assert.equal((await w.storage.auditHead())!.seq, before)
  } finally {
    await w.close()
  }
})

Deno.test('compliance:export reports a tampered envelope (exit 1, listed with its seq) and never exports its text, and reports an entry deleted from the store; the audit log still verifies', async () => {
  const { w, conv, tmp, fp, base } = await messagesWorld()
  try {
    const db = new DatabaseSync(join(w.dataDir, 'wardline.sqlite'))
    const row = db.prepare(
      "SELECT seq, envelope FROM envelopes WHERE conversation_id = ? AND kind = 'data' AND sender_device_id = ? ORDER BY seq LIMIT 1",
    ).get(conv, w.benId.deviceId) as { seq: number; envelope: Uint8Array }
    const bad = Uint8Array.from(row.envelope)
    bad[bad.length - 100]! ^= 1
    db.prepare('UPDATE envelopes SET envelope = ? WHERE conversation_id = ? AND seq = ?').run(
      bad,
      conv,
      row.seq,
    )
    db.close()
    const out = join(tmp, 'tampered')
    const run = await npm('compliance:export', [
      ...base,
      '--shares',
      join(tmp, 'two.txt'),
      '--out',
      out,
    ])
    assert.equal(run.code, 1, run.stderr)
    assert.match(run.stderr, new RegExp(`problem at seq ${row.seq}: bad-signature`))
    const doc = JSON.parse(await Deno.readTextFile(join(out, 'export.json')))
    // The altered entry, then possibly later senders whose claim of the log no longer matches it.
    assert.deepEqual(doc.problems[0], { seq: row.seq, reason: 'bad-signature' })
    for (const p of doc.problems.slice(1)) {
      assert.ok(p.reason === 'fork' && p.seq > row.seq, JSON.stringify(p))
    }
    assert.ok(!doc.messages.some((m: { text: string }) => m.text === 'On my way'))
    assert.equal(doc.messages.length, 2)
    const manifest = JSON.parse(await Deno.readTextFile(join(out, 'manifest.json')))
    assert.equal(manifest.counts.problems, doc.problems.length)
    assert.equal((await npm('compliance:verify', [out, '--root', fp])).code, 0)

    // An entry deleted from the store is a gap the export names.
    const gapDb = new DatabaseSync(join(w.dataDir, 'wardline.sqlite'))
    const last = gapDb.prepare(
      "SELECT MAX(seq) AS seq FROM envelopes WHERE conversation_id = ? AND kind = 'data'",
    )
      .get(conv) as { seq: number }
    gapDb.prepare('DELETE FROM envelopes WHERE conversation_id = ? AND seq = ?').run(conv, last.seq)
    gapDb.close()
    const gap = await npm('compliance:export', [
      ...base,
      '--shares',
      join(tmp, 'two.txt'),
      '--out',
      join(tmp, 'gap'),
    ])
    assert.equal(gap.code, 1, gap.stderr)
    const gapDoc = JSON.parse(await Deno.readTextFile(join(tmp, 'gap', 'export.json')))
    assert.ok(
      gapDoc.problems.some((p: { seq: number; reason: string }) =>
        p.seq === last.seq && p.reason === 'missing-entry'
      ),
      JSON.stringify(gapDoc.problems),
    )
    const audit = await npm('audit:verify', ['--data', w.dataDir, '--root', fp])
    assert.equal(audit.code, 0, audit.stdout + audit.stderr)
  } finally {
    await w.close()
  }
})

Deno.test('compliance:export of a compacted conversation takes the pruned records from the members’ signed snapshot, so every message is still exported', async () => {
  const w = await adminAndNurse({ compactionGraceMs: 0, compactionIntervalMs: 50 }, {
    snapshotEvery: 10,
  })
  try {
    const conv = await w.admin.createConversation([w.benId.userId])
    await until(() => w.ben.conversations.has(conv), 'ben joins')
    const texts: string[] = []
    for (let i = 1; i <= 25; i++) {
      const from = i % 2 === 0 ? w.ben : w.admin
      texts.push(`message ${i}`)
      await from.sendMessage(conv, `message ${i}`, `m${i}`)
      await until(
        () => w.admin.listMessages(conv).length === i && w.ben.listMessages(conv).length === i,
        `message ${i} everywhere`,
      )
    }
    await until(() => w.admin.listMessages(conv).every((m) => m.status !== 'queued'), 'stored')
    const end = Date.now() + 15_000
    while (((await w.storage.getConversation(conv))?.prunedSeq ?? 0) < 10) {
      if (Date.now() > end) throw new Error('timed out: the relay prunes')
      await new Promise((r) => setTimeout(r, 50))
    }
    const pruned = (await w.storage.getConversation(conv))!.prunedSeq
    const tmp = await Deno.makeTempDir({ prefix: 'wardline-export-' })
    await Deno.writeTextFile(
      join(tmp, 'two.txt'),
      w.complianceShares.map((s) => s.share).join('\n'),
    )
    const out = join(tmp, 'out')
    const run = await npm('compliance:export', [
      '--data',
      w.dataDir,
      '--conversation',
      conv,
      '--shares',
      join(tmp, 'two.txt'),
      '--out',
      out,
    ])
    assert.equal(run.code, 0, run.stderr)
    const doc = JSON.parse(await Deno.readTextFile(join(out, 'export.json')))
    assert.deepEqual(doc.messages.map((m: { text: string }) => m.text).sort(), texts.toSorted())
    assert.equal(doc.compaction.seq, pruned)
    assert.ok(doc.messages.filter((m: { seq: number }) => m.seq <= pruned).length > 0)
    const manifest = JSON.parse(await Deno.readTextFile(join(out, 'manifest.json')))
    assert.equal(manifest.compaction.seq, pruned)
    assert.equal(
      (await npm('compliance:verify', [out, '--root', formatFingerprint(w.adminId.rootPublicKey)]))
        .code,
      0,
    )
  } finally {
    await w.close()
  }
})

Deno.test('compliance:export --database-url exports from a Postgres store and appends its record there; audit:verify on Postgres still passes', async () => {
  const { url, schema, drop } = await createTestSchema()
  const scoped = new URL(url)
  scoped.searchParams.set('search_path', schema)
  const storage = await openPostgresStorage(url, { schema })
  const w = await adminAndNurse({ storage })
  try {
    const conv = await w.admin.createConversation([w.benId.userId])
    await until(() => w.ben.conversations.has(conv), 'ben joins')
    await w.ben.sendMessage(conv, 'Postgres holds this one', 'p1')
    await until(() => w.admin.listMessages(conv).length === 1, 'arrives')
    const tmp = await Deno.makeTempDir({ prefix: 'wardline-export-' })
    await Deno.writeTextFile(
      join(tmp, 'two.txt'),
      w.complianceShares.map((s) => s.share).join('\n'),
    )
    const out = join(tmp, 'out')
    const fp = formatFingerprint(w.adminId.rootPublicKey)
    const base = ['--database-url', scoped.href, '--root', fp]
    const run = await npm('compliance:export', [
      ...base,
      '--conversation',
      conv,
      '--shares',
      join(tmp, 'two.txt'),
      '--out',
      out,
    ])
    assert.equal(run.code, 0, run.stderr)
    const doc = JSON.parse(await Deno.readTextFile(join(out, 'export.json')))
    assert.deepEqual(
      doc.messages.map((m: { text: string; authorName: string }) => [m.text, m.authorName]),
      [['Postgres holds this one', 'Ben Nurse']],
    )
    const records = await storage.auditRecords(0, 1000)
    assert.equal(records.filter((r) => r.event === 'compliance.export').length, 1)
    const audit = await npm('audit:verify', base)
    assert.equal(audit.code, 0, audit.stdout + audit.stderr)
  } finally {
    await w.close()
    await drop()
  }
})

Deno.test('compliance:export of a conversation replayed from the MTS-Dialog corpus matches what its members see, in their order; one share fewer exports nothing', async () => {
  const w = await adminAndNurse()
  try {
    // The first validation dialogue (CC BY 4.0, test/fixtures/mts-dialog): its first speaker is
    // Ann's device, every other speaker Ben's.
    const [dialogue] = readCorpus(await Deno.readTextFile(new URL('../test/fixtures/mts-dialog/validation.csv', import.meta.url)), 1)
    const turns = dialogue!.turns.slice(0, 16)
    const conv = await w.admin.createConversation([w.benId.userId])
    await until(() => w.ben.conversations.has(conv), 'ben joins')
    for (const [i, t] of turns.entries()) {
      const by = t.speaker === dialogue!.speakers[0] ? w.admin : w.ben
      await by.sendMessage(conv, t.text, `turn-${i}`)
      await until(() => by.queuedCount() === 0, 'the turn is stored')
    }
    await until(() => w.ben.listMessages(conv).length === turns.length && w.admin.listMessages(conv).length === turns.length, 'both see every turn')
    const tmp = await Deno.makeTempDir({ prefix: 'wardline-export-corpus-' })
    const shares = w.complianceShares.map((s) => s.share)
    await Deno.writeTextFile(join(tmp, 'k.txt'), shares.join('\n') + '\n')
    await Deno.writeTextFile(join(tmp, 'k-1.txt'), shares.slice(0, 1).join('\n') + '\n')
    const base = ['--data', w.dataDir, '--conversation', conv, '--root', formatFingerprint(w.adminId.rootPublicKey)]
    // Officers find the conversation with compliance:list (metadata only, no share needed).
    const listed = await npm('compliance:list', ['--data', w.dataDir])
    assert.equal(listed.code, 0, listed.stderr)
    const rows = listed.stdout.trim().split('\n').map((l) => JSON.parse(l))
    const row = rows.find((r) => r.conversationId === conv)
    assert.deepEqual([row?.members, row?.legalHold], [['Ann Admin', 'Ben Nurse'], false])
    assert.ok(row.entries >= turns.length, `${row.entries} entries`)

    const fewer = await npm('compliance:export', [...base, '--shares', join(tmp, 'k-1.txt'), '--out', join(tmp, 'no')])
    assert.equal(fewer.code, 2)
    assert.ok(!(await exists(join(tmp, 'no'))))

    const run = await npm('compliance:export', [...base, '--shares', join(tmp, 'k.txt'), '--out', join(tmp, 'out')])
    assert.equal(run.code, 0, run.stderr)
    const doc = JSON.parse(await Deno.readTextFile(join(tmp, 'out', 'export.json'))) as {
      messages: { text: string; authorName: string; seq: number }[]
      problems: unknown[]
    }
    assert.deepEqual(doc.problems, [])
    const exported = doc.messages.map((m) => [m.authorName, m.text])
    for (const member of [w.admin, w.ben]) {
      assert.deepEqual(exported, member.listMessages(conv).map((m) => [m.authorName, m.body]), 'the export shows what members see, in their order')
    }
    assert.deepEqual(doc.messages.map((m) => m.text), turns.map((t) => t.text))
  } finally {
    await w.close()
  }
})
