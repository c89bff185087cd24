/**
 * The audit log's storage contract (issue 8), in contract.ts's style: one suite that SQLite
 * (`sqlite-audit.test.ts`) and Postgres (`postgres-audit.test.ts`) both run. It checks the chain
 * each backend builds — gap-free seq from 1, genesis prevHash of 32 zero bytes, each prevHash the
 * hash before, each hash recomputable — also with concurrent writers on two instances of one store.
 */
import { AUDIT_GENESIS_PREV_HASH, auditRecordHash } from '../../crypto/audit.ts'
import { assert, assertEquals } from './_assert.ts'
import type { AuditRecord } from './audit.ts'
import type { RelayStorage } from './storage.ts'

type Open = () => Promise<RelayStorage>
type OpenTwo = () => Promise<[RelayStorage, RelayStorage]>

const event = (i: number) => ({
  time: 1_700_000_000_000 + i,
  event: 'login.ok',
  actor: `device-${i % 7}`,
  fields: { n: i, ok: i % 2 === 0, reason: `r${i % 3}` },
})

/** Throws unless the records are the whole chain 1..n, each linked and hashed as specified. */
export function assertChain(records: AuditRecord[], n: number): void {
  assertEquals(records.map((r) => r.seq), Array.from({ length: n }, (_, i) => i + 1))
  records.forEach((r, i) => {
    const prev = i === 0 ? AUDIT_GENESIS_PREV_HASH : records[i - 1]!.hash
    assertEquals(r.prevHash, prev, `prevHash of seq ${r.seq}`)
    const { hash, ...rest } = r
    assertEquals(hash, auditRecordHash(rest), `hash of seq ${r.seq}`)
  })
}

async function withStorage(open: Open, fn: (s: RelayStorage) => Promise<void>): Promise<void> {
  const s = await open()
  try {
    await fn(s)
  } finally {
    await s.close()
  }
}

export function runAuditContract(name: string, open: Open, openTwo: OpenTwo): void {
  Deno.test(`${name}: an empty audit log has no head and no records`, () =>
    withStorage(open, async (s) => {
      assertEquals(await s.auditHead(), null)
      assertEquals(await s.auditRecords(0, 10), [])
    }))

  Deno.test(`${name}: audit records chain from the zero hash with gap-free seqs, read back in pages`, () =>
    withStorage(open, async (s) => {
      const appended: AuditRecord[] = []
      for (let i = 0; i < 12; i++) appended.push(await s.appendAudit(event(i)))
      const stored = await s.auditRecords(0, 100)
      assertChain(stored, 12)
      assertEquals(stored, appended)
      assertEquals(stored[3]!.fields, { n: 3, ok: false, reason: 'r0' })
      assertEquals((await s.auditRecords(5, 4)).map((r) => r.seq), [6, 7, 8, 9])
      const head = await s.auditHead()
      assertEquals(head, { seq: 12, hash: stored[11]!.hash, time: stored[11]!.time })
    }))

  Deno.test(`${name}: a signed claim is stored with its signature, and a retry of it only once`, () =>
    withStorage(open, async (s) => {
      await s.appendAudit(event(0))
      const claimed = {
        ...event(1),
        event: 'compliance.export',
        claim: new Uint8Array([1, 2, 3]),
        signature: new Uint8Array(64).fill(9),
      }
      const first = await s.appendAudit(claimed)
      const again = await s.appendAudit({ ...claimed, time: claimed.time + 5 })
      assertEquals(again, first)
      assertEquals(first.seq, 2)
      const stored = await s.auditRecords(0, 10)
      assertChain(stored, 2)
      assertEquals(stored[1]!.claim, new Uint8Array([1, 2, 3]))
      assertEquals(stored[1]!.signature, new Uint8Array(64).fill(9))
      assertEquals(stored[0]!.claim, null)
    }))

  Deno.test(`${name}: concurrent audit appends through two instances on one store stay one gap-free chain`, async () => {
    const [a, b] = await openTwo()
    try {
      const n = 120
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => (i % 2 === 0 ? a : b).appendAudit(event(i))),
      )
      assertEquals(
        results.map((r) => r.seq).sort((x, y) => x - y),
        Array.from({ length: n }, (_, i) => i + 1),
      )
      const stored = await b.auditRecords(0, n + 1)
      assertChain(stored, n)
      assert((await a.auditHead())?.seq === n)
    } finally {
      await a.close()
      await b.close()
    }
  })
}
