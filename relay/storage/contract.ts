/**
 * The storage contract: one suite every RelayStorage implementation runs (as Hono runs one
 * router suite against each router). `sqlite.test.ts` runs it on SQLite, `postgres.test.ts` on
 * Postgres. Blobs here are arbitrary bytes: storage never parses them.
 */
import { assert, assertEquals } from './_assert.ts'
import type { AppendResult, NewCommit, RelayStorage } from './storage.ts'

type Open = () => Promise<RelayStorage>
/** Two storage instances over ONE store, as two relay processes have (two pools, two files). */
type OpenTwo = () => Promise<[RelayStorage, RelayStorage]>

const blob = (...n: number[]) => new Uint8Array(n)

async function withStorage(open: Open, fn: (s: RelayStorage) => Promise<void>): Promise<void> {
  const s = await open()
  try {
    await fn(s)
  } finally {
    await s.close()
  }
}

/** Registers devices d1..dn (each with its own authorization) and one conversation of them. */
async function seed(s: RelayStorage, n: number, conversationId = 'c1'): Promise<string[]> {
  const ids: string[] = []
  for (let i = 1; i <= n; i++) {
    const id = `d${i}`
    await s.putAuthorization({
      id: `a${i}`,
      blob: blob(i),
      userId: `u${i}`,
      displayName: `N${i}`,
      role: 'member',
      expiresAt: 9e12,
    })
    assertEquals(
      await s.registerDevice({
        deviceId: id,
        userId: `u${i}`,
        authorizationId: `a${i}`,
        binding: blob(100 + i),
      }),
      'ok',
    )
    ids.push(id)
  }
  const boxes = ids.map((id, i) => ({ recipientDeviceId: id, epoch: 0, box: blob(200 + i) }))
  assertEquals(
    await s.createConversation({
      conversationId,
      genesis: blob(7),
      headHash: hash(0),
      deviceIds: ids,
      boxes,
    }),
    'created',
  )
  return ids
}

/** A stand-in 32-byte commit hash; storage compares hashes but never computes them. */
const hash = (n: number) => new Uint8Array(32).fill(n)

/** A commit for `epoch` after the commit hashed hash(epoch - 1), by d1 unless told. */
const commit = (
  epoch: number,
  deviceIds: string[],
  options: Partial<NewCommit> = {},
): NewCommit => ({
  conversationId: 'c1',
  authorDeviceId: 'd1',
  epoch,
  prevHash: hash(epoch - 1),
  hash: hash(epoch),
  deviceIds,
  entry: blob(250, epoch),
  boxes: deviceIds.map((id) => ({ recipientDeviceId: id, epoch, box: blob(240, epoch) })),
  ...options,
})

const env = (counter: number, sender = 'd1', epoch = 0) => ({
  conversationId: 'c1',
  senderDeviceId: sender,
  epoch,
  counter,
  envelope: blob(counter % 256, 1, 2, 3),
})

/** The seq of an accepted append; a refusal fails the test. */
function seqOf(r: AppendResult): number {
  if ('refused' in r) throw new Error(`expected an accepted append, got ${r.refused}`)
  return r.seq
}

export function runStorageContract(name: string, open: Open, openTwo: OpenTwo): void {
  Deno.test(`${name}: appends get a gap-free sequence starting at 1 under many concurrent appends`, () =>
    withStorage(open, async (s) => {
      await seed(s, 3)
      const results = await Promise.all(
        Array.from({ length: 300 }, (_, i) => s.appendEnvelope(env(i, `d${(i % 3) + 1}`))),
      )
      const seqs = results.map(seqOf).sort((a, b) => a - b)
      assertEquals(seqs, Array.from({ length: 300 }, (_, i) => i + 1))
      assertEquals((await s.getConversation('c1'))?.headSeq, 300)
    }))

  Deno.test(`${name}: 200 concurrent appends resolve with their own seqs; refusals and errors among them touch no other`, () =>
    withStorage(open, async (s) => {
      await seed(s, 3)
      // Issued together, so a group-committing backend puts them in one batch: a not-member,
      // a stale epoch, an unknown conversation and an in-batch repeat sit among valid appends.
      const calls: Promise<AppendResult>[] = []
      const at: Record<string, number> = {}
      for (let i = 0; i < 200; i++) {
        const odd = i === 50
          ? ['notMember', env(999, 'd9')]
          : i === 100
          ? ['staleEpoch', env(998, 'd1', 5)]
          : i === 120
          ? ['unknown', { ...env(997), conversationId: 'nope' }]
          : i === 150
          ? ['repeat', env(0, 'd1')]
          : null
        if (odd) {
          at[odd[0] as string] = calls.length
          calls.push(s.appendEnvelope(odd[1] as ReturnType<typeof env>))
        }
        calls.push(s.appendEnvelope(env(i, `d${(i % 3) + 1}`)))
      }
      const settled = await Promise.allSettled(calls)
      const value = (k: number) => {
        const r = settled[k]!
        if (r.status !== 'fulfilled') throw new Error(`expected call ${k} to resolve, got ${r.reason}`)
        return r.value
      }
      assertEquals(value(at.notMember!), { refused: 'relay/not-member' })
      assertEquals(value(at.staleEpoch!), { refused: 'relay/stale-epoch' })
      assertEquals(settled[at.unknown!]!.status, 'rejected')
      // The repeat and its original (call 0) name one stored envelope, whichever came first.
      const pair = [value(0), value(at.repeat!)]
      assertEquals(seqOf(pair[0]!), seqOf(pair[1]!))
      assertEquals(pair.filter((r) => 'duplicate' in r && r.duplicate).length, 1)
      // Every valid call but one of that pair is new, and together they hold 1..200 with no gap
      // or repeat: nothing refused or failed took or skipped a seq. Order among concurrent calls
      // is the backend's own.
      const refusedOrFailed = new Set([at.notMember!, at.staleEpoch!, at.unknown!])
      const fresh = settled.map((_, k) => k).filter((k) => !refusedOrFailed.has(k)).map((k) => value(k))
        .filter((r) => 'duplicate' in r && !r.duplicate)
      const seqs = fresh.map(seqOf).sort((x, y) => x - y)
      assertEquals(seqs, Array.from({ length: 200 }, (_, i) => i + 1))
      assertEquals((await s.getConversation('c1'))?.headSeq, 200)
      assertEquals((await s.envelopesSince('c1', 0, 300)).map((e) => e.seq), seqs)
    }))

  Deno.test(`${name}: a repeated append with the same sender, epoch and counter is stored once`, () =>
    withStorage(open, async (s) => {
      await seed(s, 2)
      assertEquals(await s.appendEnvelope(env(1)), { seq: 1, duplicate: false })
      assertEquals(await s.appendEnvelope(env(2)), { seq: 2, duplicate: false })
      assertEquals(await s.appendEnvelope(env(1)), { seq: 1, duplicate: true })
      assertEquals(await s.appendEnvelope(env(1, 'd2')), { seq: 3, duplicate: false })
      assertEquals((await s.envelopesSince('c1', 0, 100)).length, 3)
    }))

  Deno.test(`${name}: envelopesSince returns exactly the later envelopes in order, up to the limit`, () =>
    withStorage(open, async (s) => {
      await seed(s, 1)
      for (let i = 0; i < 10; i++) await s.appendEnvelope(env(i))
      const after4 = await s.envelopesSince('c1', 4, 100)
      assertEquals(after4.map((e) => e.seq), [5, 6, 7, 8, 9, 10])
      assertEquals(after4[0]?.envelope, blob(4, 1, 2, 3))
      assertEquals((await s.envelopesSince('c1', 2, 3)).map((e) => e.seq), [3, 4, 5])
      assertEquals(await s.envelopesSince('c1', 10, 100), [])
      assertEquals(await s.envelopesSince('other', 0, 100), [])
    }))

  Deno.test(`${name}: sequences are counted per conversation`, () =>
    withStorage(open, async (s) => {
      await seed(s, 1)
      await s.createConversation({
        conversationId: 'c2',
        genesis: blob(8),
        headHash: hash(0),
        deviceIds: ['d1'],
        boxes: [],
      })
      assertEquals(seqOf(await s.appendEnvelope(env(1))), 1)
      assertEquals(seqOf(await s.appendEnvelope({ ...env(1), conversationId: 'c2' })), 1)
    }))

  Deno.test(`${name}: an authorization registers exactly one device`, () =>
    withStorage(open, async (s) => {
      await s.putAuthorization({
        id: 'a1',
        blob: blob(1),
        userId: 'u1',
        displayName: 'N',
        role: 'member',
        expiresAt: 1,
      })
      assertEquals(
        await s.putAuthorization({
          id: 'a1',
          blob: blob(1),
          userId: 'u1',
          displayName: 'N',
          role: 'member',
          expiresAt: 1,
        }),
        'ok',
      )
      assertEquals(
        await s.putAuthorization({
          id: 'a1',
          blob: blob(2),
          userId: 'u1',
          displayName: 'N',
          role: 'member',
          expiresAt: 1,
        }),
        'relay/authorization-exists',
      )
      const d = { deviceId: 'd1', userId: 'u1', authorizationId: 'a1', binding: blob(9) }
      const [first, second] = await Promise.all([
        s.registerDevice(d),
        s.registerDevice({ ...d, deviceId: 'd2' }),
      ])
      assertEquals([first, second], ['ok', 'enroll/code-used'])
      assertEquals(await s.registerDevice({ ...d, authorizationId: 'nope' }), 'enroll/unknown-code')
      assertEquals((await s.getAuthorization('a1'))?.usedByDeviceId, 'd1')
      assertEquals(await s.getDevice('d2'), null)
      assertEquals((await s.listDirectory()).length, 1)
    }))

  Deno.test(`${name}: a revoked authorization registers no device; a used one cannot be revoked`, () =>
    withStorage(open, async (s) => {
      const auth = (id: string) => ({ id, blob: blob(id.length), userId: 'u1', displayName: 'N', role: 'member', expiresAt: 1 })
      await s.putAuthorization(auth('a1'))
      await s.putAuthorization(auth('a22'))
      assertEquals(await s.revokeAuthorization('a1'), 'ok')
      assertEquals(await s.revokeAuthorization('a1'), 'ok')
      assertEquals((await s.getAuthorization('a1'))?.usedByDeviceId, 'revoked:a1')
      const d = { deviceId: 'd1', userId: 'u1', authorizationId: 'a1', binding: blob(9) }
      assertEquals(await s.registerDevice(d), 'enroll/code-used')
      assertEquals(await s.registerDevice({ ...d, authorizationId: 'a22' }), 'ok')
      assertEquals(await s.revokeAuthorization('a22'), 'enroll/code-used')
      assertEquals(await s.revokeAuthorization('nope'), 'enroll/unknown-code')
    }))

  Deno.test(`${name}: touchDevice keeps each device's latest login time`, () =>
    withStorage(open, async (s) => {
      assertEquals(await s.listDevicesSeen(), [])
      await s.touchDevice('d1', 2000)
      await s.touchDevice('d1', 1000) // an older, late write never moves it back
      await s.touchDevice('d2', 1500)
      assertEquals(await s.listDevicesSeen(), [{ deviceId: 'd1', lastSeenAt: 2000 }, { deviceId: 'd2', lastSeenAt: 1500 }])
    }))

  Deno.test(`${name}: setup completes once and stores root, authorization and device together`, () =>
    withStorage(open, async (s) => {
      assertEquals(await s.getOrg(), { rootPublicKey: null, setupCodeHash: null })
      await s.setSetupCodeHash(blob(5))
      assertEquals((await s.getOrg()).setupCodeHash, blob(5))
      const input = {
        rootPublicKey: blob(42),
        authorization: {
          id: 'a1',
          blob: blob(1),
          userId: 'u1',
          displayName: 'N',
          role: 'admin',
          expiresAt: 1,
        },
        device: { deviceId: 'd1', userId: 'u1', authorizationId: 'a1', binding: blob(9) },
      }
      assertEquals(await s.completeSetup(input), 'ok')
      assertEquals(await s.completeSetup(input), 'setup/already-done')
      await s.setSetupCodeHash(blob(6))
      assertEquals(await s.getOrg(), { rootPublicKey: blob(42), setupCodeHash: null })
      assertEquals((await s.getAuthorization('a1'))?.usedByDeviceId, 'd1')
    }))

  Deno.test(`${name}: conversations are created once and list only the member's own boxes`, () =>
    withStorage(open, async (s) => {
      await seed(s, 2)
      assertEquals(
        await s.createConversation({
          conversationId: 'c1',
          genesis: blob(7),
          headHash: hash(0),
          deviceIds: [],
          boxes: [],
        }),
        'identical',
      )
      assertEquals(
        await s.createConversation({
          conversationId: 'c1',
          genesis: blob(8),
          headHash: hash(0),
          deviceIds: [],
          boxes: [],
        }),
        'relay/conversation-exists',
      )
      const c1 = await s.getConversation('c1')
      assertEquals(c1, {
        conversationId: 'c1',
        genesis: blob(7),
        headSeq: 0,
        epoch: 0,
        headHash: hash(0),
        rotationPending: false,
        prunedSeq: 0,
      })
      assert(await s.isMember('c1', 'd2'))
      assert(!(await s.isMember('c1', 'd3')))
      assertEquals(await s.memberDeviceIds('c1'), ['d1', 'd2'])
      const mine = await s.conversationsOf('d2')
      assertEquals(mine.map((c) => [c.conversationId, c.headSeq, c.boxes]), [['c1', 0, [
        blob(201),
      ]]])
    }))

  Deno.test(`${name}: a receipt is replaced only by one with more progress`, () =>
    withStorage(open, async (s) => {
      await seed(s, 2)
      assert(await s.putReceipt('c1', 'd1', blob(1), 5))
      assert(!(await s.putReceipt('c1', 'd1', blob(2), 5)))
      assert(await s.putReceipt('c1', 'd1', blob(3), 6))
      assert(await s.putReceipt('c1', 'd2', blob(4), 1))
      assertEquals(await s.receiptsOf('c1'), [{ deviceId: 'd1', receipt: blob(3) }, {
        deviceId: 'd2',
        receipt: blob(4),
      }])
    }))

  Deno.test(`${name}: a data append under another epoch than the current one is refused, a stored repeat is not`, () =>
    withStorage(open, async (s) => {
      await seed(s, 2)
      assertEquals(await s.appendEnvelope(env(1)), { seq: 1, duplicate: false })
      assertEquals(await s.appendEnvelope(env(1, 'd1', 1)), { refused: 'relay/stale-epoch' })
      assertEquals(await s.appendCommit(commit(1, ['d1', 'd2'])), {
        seq: 2,
        duplicate: false,
        previousDeviceIds: ['d1', 'd2'],
      })
      // The old epoch is closed for new envelopes, but a retry of a stored one keeps its seq.
      assertEquals(await s.appendEnvelope(env(2)), { refused: 'relay/stale-epoch' })
      assertEquals(await s.appendEnvelope(env(1)), { seq: 1, duplicate: true })
      assertEquals(await s.appendEnvelope(env(1, 'd1', 1)), { seq: 3, duplicate: false })
      assertEquals(await s.appendEnvelope(env(9, 'd3', 1)), { refused: 'relay/not-member' })
      assertEquals((await s.getConversation('c1'))?.headSeq, 3)
    }))

  Deno.test(`${name}: appendCommit orders competing commits: one wins, the rest are stale`, () =>
    withStorage(open, async (s) => {
      await seed(s, 3)
      const results = await Promise.all([
        // Each author rotates without removing anyone, so every loser is still a member.
        s.appendCommit(commit(1, ['d1', 'd2', 'd3'], { entry: blob(1) })),
        s.appendCommit(
          commit(1, ['d1', 'd2', 'd3'], { authorDeviceId: 'd2', hash: hash(101), entry: blob(2) }),
        ),
        s.appendCommit(
          commit(1, ['d1', 'd2', 'd3'], { authorDeviceId: 'd3', hash: hash(102), entry: blob(3) }),
        ),
      ])
      const won = results.filter((r) => 'seq' in r)
      assertEquals(won.length, 1)
      assertEquals(
        results.filter((r) => 'refused' in r && r.refused === 'relay/stale-commit').length,
        2,
      )
      // A wrong epoch or a prevHash that is not the head is stale too.
      assertEquals(await s.appendCommit(commit(3, ['d1'], { prevHash: hash(1) })), {
        refused: 'relay/stale-commit',
      })
      assertEquals(await s.appendCommit(commit(2, ['d1'], { prevHash: hash(77) })), {
        refused: 'relay/stale-commit',
      })
      const log = await s.envelopesSince('c1', 0, 100)
      assertEquals(log.map((e) => e.seq), [1])
      assertEquals((await s.getConversation('c1'))?.epoch, 1)
    }))

  Deno.test(`${name}: a refused commit changes nothing; a retried commit returns its seq`, () =>
    withStorage(open, async (s) => {
      await seed(s, 3)
      await s.revokeDevice({ deviceId: 'd3', certificate: blob(3), revokedAt: 1 })
      const before = await s.getConversation('c1')
      assertEquals(await s.appendCommit(commit(1, ['d1', 'd3'])), {
        refused: 'relay/revoked-device',
      })
      assertEquals(await s.appendCommit(commit(1, ['d1'], { authorDeviceId: 'd9' })), {
        refused: 'relay/not-member',
      })
      assertEquals(await s.getConversation('c1'), before)
      assertEquals(await s.memberDeviceIds('c1'), ['d1', 'd2', 'd3'])
      assertEquals(await s.envelopesSince('c1', 0, 100), [])
      assertEquals(await s.boxesFor('c1', 'd1'), [blob(200)])

      const c = commit(1, ['d1', 'd2'])
      assertEquals(await s.appendCommit(c), {
        seq: 1,
        duplicate: false,
        previousDeviceIds: ['d1', 'd2', 'd3'],
      })
      assertEquals(await s.appendCommit(c), {
        seq: 1,
        duplicate: true,
        previousDeviceIds: ['d1', 'd2'],
      })
      assertEquals(await s.envelopesSince('c1', 0, 100), [{ seq: 1, envelope: c.entry }])
    }))

  Deno.test(`${name}: the member set, epoch, head and boxes follow commits`, () =>
    withStorage(open, async (s) => {
      await seed(s, 3)
      await s.appendEnvelope(env(1))
      await s.appendCommit(commit(1, ['d1', 'd2']))
      assertEquals(await s.memberDeviceIds('c1'), ['d1', 'd2'])
      assert(!(await s.isMember('c1', 'd3')))
      assertEquals(await s.conversationsOf('d3'), [])
      await s.appendCommit(commit(2, ['d2', 'd3'], {
        authorDeviceId: 'd2',
        boxes: [
          { recipientDeviceId: 'd3', epoch: 2, box: blob(1) },
          { recipientDeviceId: 'd3', epoch: 0, box: blob(2) },
          { recipientDeviceId: 'compliance:k', epoch: 2, box: blob(3) },
        ],
      }))
      assertEquals(await s.memberDeviceIds('c1'), ['d2', 'd3'])
      assert(!(await s.isMember('c1', 'd1')))
      const conv = await s.getConversation('c1')
      assertEquals([conv?.epoch, conv?.headHash, conv?.headSeq, conv?.genesis], [
        2,
        hash(2),
        3,
        blob(7),
      ])
      const [mine] = await s.conversationsOf('d3')
      // d3 keeps its epoch-0 box and gets the new ones, in storage order.
      assertEquals(mine?.boxes, [blob(202), blob(1), blob(2)])
      assertEquals(await s.boxesFor('c1', 'compliance:k'), [blob(3)])
      assertEquals((await s.envelopesSince('c1', 0, 100)).map((e) => e.envelope), [
        blob(1, 1, 2, 3),
        blob(250, 1),
        blob(250, 2),
      ])
      // The removed device can no longer append, whatever epoch it names.
      assertEquals(await s.appendEnvelope(env(5, 'd1', 2)), { refused: 'relay/not-member' })
      assertEquals(await s.appendEnvelope(env(5, 'd2', 2)), { seq: 4, duplicate: false })
    }))

  Deno.test(`${name}: revocations are stored once, listed, and mark the device's conversations pending`, () =>
    withStorage(open, async (s) => {
      await seed(s, 3)
      await s.createConversation({
        conversationId: 'c2',
        genesis: blob(8),
        headHash: hash(0),
        deviceIds: ['d1', 'd2'],
        boxes: [],
      })
      await s.appendCommit(commit(1, ['d1', 'd2']))
      assertEquals(await s.revokeDevice({ deviceId: 'd2', certificate: blob(9), revokedAt: 5 }), {
        stored: true,
        pending: [
          { conversationId: 'c1', epoch: 1, deviceIds: ['d1', 'd2'] },
          { conversationId: 'c2', epoch: 0, deviceIds: ['d1', 'd2'] },
        ],
      })
      const again = await s.revokeDevice({ deviceId: 'd2', certificate: blob(10), revokedAt: 6 })
      assertEquals(again.stored, false)
      assertEquals(await s.listRevocations(), [{
        deviceId: 'd2',
        certificate: blob(9),
        revokedAt: 5,
      }])
      assertEquals((await s.getDevice('d2'))?.revoked, true)
      assertEquals((await s.getDevice('d1'))?.revoked, false)
      assertEquals((await s.listDirectory()).map((e) => e.revocation), [null, blob(9), null])
      assertEquals(
        (await s.conversationsOf('d1')).map((c) => [c.conversationId, c.rotationPending]),
        [
          ['c1', true],
          ['c2', true],
        ],
      )
      assertEquals(
        await s.createConversation({
          conversationId: 'c3',
          genesis: blob(1),
          headHash: hash(0),
          deviceIds: ['d1', 'd2'],
          boxes: [],
        }),
        'relay/revoked-device',
      )
      assertEquals(await s.getConversation('c3'), null)
      // The commit that drops the revoked device clears the pending mark.
      await s.appendCommit(commit(2, ['d1']))
      assertEquals((await s.getConversation('c1'))?.rotationPending, false)
      assertEquals((await s.getConversation('c2'))?.rotationPending, true)
      // Revoking a device in no current member set marks nothing.
      assertEquals(await s.revokeDevice({ deviceId: 'd3', certificate: blob(3), revokedAt: 7 }), {
        stored: true,
        pending: [],
      })
    }))

  Deno.test(`${name}: a snapshot is refused beyond the head or at or before the pruned point`, () =>
    withStorage(open, async (s) => {
      await seed(s, 2)
      for (let i = 0; i < 5; i++) await s.appendEnvelope(env(i))
      const snap = (seq: number, deviceId = 'd1') => ({ conversationId: 'c1', seq, deviceId, parts: [blob(90, seq), blob(91)], storedAt: 1000 })
      assertEquals(await s.putSnapshot(snap(6)), 'relay/stale-snapshot')
      assertEquals(await s.putSnapshot({ ...snap(3), conversationId: 'nope' }), 'relay/stale-snapshot')
      assertEquals(await s.putSnapshot(snap(3)), 'ok')
      assertEquals(await s.putSnapshot({ ...snap(3), parts: [blob(1)] }), 'ok') // stored again: the first is kept
      assertEquals(await s.prunedSnapshot('c1'), null)
      assertEquals(await s.pruneCovered(999), 0)
      assertEquals((await s.envelopesSince('c1', 0, 100)).length, 5)
      assertEquals(await s.pruneCovered(2000), 3)
      assertEquals(await s.prunedSnapshot('c1'), { seq: 3, parts: [blob(90, 3), blob(91)] })
      assertEquals(await s.putSnapshot(snap(3, 'd2')), 'relay/stale-snapshot')
      assertEquals(await s.putSnapshot(snap(2, 'd2')), 'relay/stale-snapshot')
    }))

  Deno.test(`${name}: pruning deletes only the data entries a complete snapshot covers, after the grace period, never commits`, () =>
    withStorage(open, async (s) => {
      await seed(s, 2)
      for (let i = 0; i < 3; i++) await s.appendEnvelope(env(i)) // seq 1..3
      await s.appendCommit(commit(1, ['d1', 'd2'])) // seq 4
      for (let i = 0; i < 3; i++) await s.appendEnvelope(env(i, 'd1', 1)) // seq 5..7
      const put = (seq: number, storedAt: number, deviceId = 'd2') =>
        s.putSnapshot({ conversationId: 'c1', seq, deviceId, parts: [blob(seq)], storedAt })
      assertEquals(await put(5, 100), 'ok')
      assertEquals(await put(6, 300), 'ok')
      // within the grace period of both: nothing
      assertEquals(await s.pruneCovered(99), 0)
      assertEquals((await s.getConversation('c1'))?.prunedSeq, 0)
      // only the snapshot at 5 is old enough
      assertEquals(await s.pruneCovered(200), 4)
      assertEquals((await s.getConversation('c1'))?.prunedSeq, 5)
      assertEquals(await s.prunedSnapshot('c1'), { seq: 5, parts: [blob(5)] })
      assertEquals((await s.envelopesSince('c1', 0, 100)).map((e) => e.seq), [4, 6, 7])
      // the newer one then takes over, and the older snapshot is gone
      assertEquals(await s.pruneCovered(300), 1)
      assertEquals(await s.prunedSnapshot('c1'), { seq: 6, parts: [blob(6)] })
      assertEquals((await s.envelopesSince('c1', 0, 100)).map((e) => e.seq), [4, 7])
      assertEquals(await s.pruneCovered(10_000), 0)
      // appends go on from the head
      assertEquals(await s.appendEnvelope(env(3, 'd1', 1)), { seq: 8, duplicate: false })
    }))

  Deno.test(`${name}: one key backup per user, replaced only by a higher version`, () =>
    withStorage(open, async (s) => {
      assertEquals(await s.getKeyBackup('u1'), null)
      assertEquals(await s.putKeyBackup('u1', blob(1, 1), 1), 'ok')
      assertEquals(await s.putKeyBackup('u2', blob(2, 5), 5), 'ok')
      assertEquals(await s.putKeyBackup('u1', blob(1, 9), 1), 'relay/stale-backup')
      assertEquals(await s.putKeyBackup('u1', blob(1, 0), 0), 'relay/stale-backup')
      assertEquals(await s.getKeyBackup('u1'), blob(1, 1))
      assertEquals(await s.putKeyBackup('u1', blob(1, 3), 3), 'ok')
      assertEquals(await s.getKeyBackup('u1'), blob(1, 3))
      assertEquals(await s.getKeyBackup('u2'), blob(2, 5))
      // Two devices racing with the same next version: exactly one is stored.
      const raced = await Promise.all([4, 4, 4].map((v, i) => s.putKeyBackup('u1', blob(1, 40 + i), v)))
      assertEquals(raced.filter((r) => r === 'ok').length, 1)
      const kept = await s.getKeyBackup('u1')
      assert(kept !== null && kept[0] === 1 && kept[1]! >= 40 && kept[1]! <= 42, 'one of the racers is kept')
    }))

  Deno.test(`${name}: concurrent appends through two instances on one store get seq 1..N, no gaps or repeats`, async () => {
    const [a, b] = await openTwo()
    try {
      await seed(a, 4)
      const n = 400
      const appends = Array.from({ length: n }, (_, i) => {
        const via = i % 2 === 0 ? a : b
        return via.appendEnvelope(env(Math.floor(i / 4), `d${(i % 4) + 1}`))
      })
      // Retries of already-sent envelopes through the other instance race the new appends.
      const retries = Array.from(
        { length: 20 },
        (_, i) => (i % 2 === 0 ? b : a).appendEnvelope(env(0, `d${(i % 4) + 1}`)),
      )
      const results = await Promise.all([...appends, ...retries])
      const fresh = results.filter((r) => 'seq' in r && !r.duplicate).map(seqOf).sort((x, y) =>
        x - y
      )
      assertEquals(fresh, Array.from({ length: n }, (_, i) => i + 1))
      const log = await b.envelopesSince('c1', 0, n + 10)
      assertEquals(log.map((e) => e.seq), fresh)
      assertEquals((await a.getConversation('c1'))?.headSeq, n)
      // A retry gets the seq its first append got, whichever instance stored it.
      const first = new Map(
        results.slice(0, n).map((r, i) => [`${(i % 4) + 1}/${Math.floor(i / 4)}`, seqOf(r)]),
      )
      results.slice(n).forEach((r, i) => assertEquals(seqOf(r), first.get(`${(i % 4) + 1}/0`)))
      // Competing commits through both instances: exactly one wins.
      const commits = await Promise.all([
        a.appendCommit(commit(1, ['d1', 'd2', 'd3', 'd4'])),
        b.appendCommit(
          commit(1, ['d1', 'd2', 'd3', 'd4'], { authorDeviceId: 'd2', hash: hash(101) }),
        ),
      ])
      assertEquals(commits.filter((r) => 'seq' in r).map((r) => 'seq' in r && r.seq), [n + 1])
    } finally {
      await a.close()
      await b.close()
    }
  })

  Deno.test(`${name}: the lease key is stored once and the first one is kept`, () =>
    withStorage(open, async (s) => {
      assertEquals(await s.leaseKey(blob(1, 1)), blob(1, 1))
      assertEquals(await s.leaseKey(blob(2, 2)), blob(1, 1))
      const raced = await Promise.all([blob(3, 3), blob(4, 4)].map((k) => s.leaseKey(k)))
      assertEquals(raced, [blob(1, 1), blob(1, 1)])
    }))
}
