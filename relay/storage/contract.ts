/**
 * The storage contract: one suite every RelayStorage implementation runs (as Hono runs one
 * router suite against each router). `sqlite.test.ts` runs it on SQLite; the Postgres backend
 * will run the same function. Blobs here are arbitrary bytes: storage never parses them.
 */
import { assert, assertEquals } from './_assert.ts'
import type { RelayStorage } from './storage.ts'

type Open = () => Promise<RelayStorage>

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
  const boxes = ids.map((id, i) => ({ recipientDeviceId: id, box: blob(200 + i) }))
  assertEquals(
    await s.createConversation({ conversationId, manifest: blob(7), deviceIds: ids, boxes }),
    'created',
  )
  return ids
}

const env = (counter: number, sender = 'd1', epoch = 0) => ({
  conversationId: 'c1',
  senderDeviceId: sender,
  epoch,
  counter,
  envelope: blob(counter % 256, 1, 2, 3),
})

export function runStorageContract(name: string, open: Open): void {
  Deno.test(`${name}: appends get a gap-free sequence starting at 1 under many concurrent appends`, () =>
    withStorage(open, async (s) => {
      await seed(s, 3)
      const results = await Promise.all(
        Array.from({ length: 300 }, (_, i) => s.appendEnvelope(env(i, `d${(i % 3) + 1}`))),
      )
      const seqs = results.map((r) => r.seq).sort((a, b) => a - b)
      assertEquals(seqs, Array.from({ length: 300 }, (_, i) => i + 1))
      assertEquals((await s.getConversation('c1'))?.headSeq, 300)
    }))

  Deno.test(`${name}: a repeated append with the same sender, epoch and counter is stored once`, () =>
    withStorage(open, async (s) => {
      await seed(s, 2)
      assertEquals(await s.appendEnvelope(env(1)), { seq: 1, duplicate: false })
      assertEquals(await s.appendEnvelope(env(2)), { seq: 2, duplicate: false })
      assertEquals(await s.appendEnvelope(env(1)), { seq: 1, duplicate: true })
      assertEquals(await s.appendEnvelope(env(1, 'd2')), { seq: 3, duplicate: false })
      assertEquals(await s.appendEnvelope(env(1, 'd1', 1)), { seq: 4, duplicate: false })
      assertEquals((await s.envelopesSince('c1', 0, 100)).length, 4)
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
        manifest: blob(8),
        deviceIds: ['d1'],
        boxes: [],
      })
      assertEquals((await s.appendEnvelope(env(1))).seq, 1)
      assertEquals((await s.appendEnvelope({ ...env(1), conversationId: 'c2' })).seq, 1)
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
          manifest: blob(7),
          deviceIds: [],
          boxes: [],
        }),
        'identical',
      )
      assertEquals(
        await s.createConversation({
          conversationId: 'c1',
          manifest: blob(8),
          deviceIds: [],
          boxes: [],
        }),
        'exists',
      )
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
}
