/**
 * The legal hold contract (issue 8, legal-hold.ts), run by `sqlite.test.ts` and
 * `postgres.test.ts`: holds are set once and released once, survive a reopen of the store, and
 * `pruneCovered` deletes nothing of a held conversation until the hold is released — other
 * conversations are pruned meanwhile.
 */
import { assertEquals } from './_assert.ts'
import type { RelayStorage } from './storage.ts'

type Open = () => Promise<RelayStorage>

const blob = (...n: number[]) => new Uint8Array(n)

async function conversationWithSnapshot(s: RelayStorage, id: string): Promise<void> {
  assertEquals(
    await s.createConversation({
      conversationId: id,
      genesis: blob(7),
      headHash: new Uint8Array(32),
      deviceIds: ['d1'],
      boxes: [],
    }),
    'created',
  )
  for (let counter = 0; counter < 4; counter++) {
    await s.appendEnvelope({
      conversationId: id,
      senderDeviceId: 'd1',
      epoch: 0,
      counter,
      envelope: blob(counter),
    })
  }
  assertEquals(
    await s.putSnapshot({
      conversationId: id,
      seq: 3,
      deviceId: 'd1',
      parts: [blob(9)],
      storedAt: 100,
    }),
    'ok',
  )
}

async function withDevice(open: Open, fn: (s: RelayStorage) => Promise<void>): Promise<void> {
  const s = await open()
  try {
    await s.putAuthorization({
      id: 'a1',
      blob: blob(1),
      userId: 'u1',
      displayName: 'N1',
      role: 'member',
      expiresAt: 9e12,
    })
    assertEquals(
      await s.registerDevice({
        deviceId: 'd1',
        userId: 'u1',
        authorizationId: 'a1',
        binding: blob(101),
      }),
      'ok',
    )
    await fn(s)
  } finally {
    await s.close()
  }
}

export function runLegalHoldContract(name: string, open: Open): void {
  Deno.test(`${name}: a legal hold is set once, kept as first set, listed, and released once`, () =>
    withDevice(open, async (s) => {
      await conversationWithSnapshot(s, 'c1')
      assertEquals(await s.legalHold.setHold('nope', 'd1', 5), 'relay/unknown-conversation')
      assertEquals(await s.legalHold.holdOf('c1'), null)
      assertEquals(await s.legalHold.setHold('c1', 'd1', 5), 'set')
      assertEquals(await s.legalHold.setHold('c1', 'd9', 6), 'already-held')
      assertEquals(await s.legalHold.holdOf('c1'), { conversationId: 'c1', setBy: 'd1', setAt: 5 })
      assertEquals(await s.legalHold.listHolds(), [{ conversationId: 'c1', setBy: 'd1', setAt: 5 }])
      assertEquals(await s.legalHold.releaseHold('c1'), 'released')
      assertEquals(await s.legalHold.releaseHold('c1'), 'not-held')
      assertEquals(await s.legalHold.listHolds(), [])
    }))

  Deno.test(`${name}: pruning skips a held conversation, prunes the others, and resumes after release`, () =>
    withDevice(open, async (s) => {
      await conversationWithSnapshot(s, 'held')
      await conversationWithSnapshot(s, 'free')
      assertEquals(await s.legalHold.setHold('held', 'd1', 1), 'set')
      assertEquals(await s.pruneCovered(1000), 3) // only 'free'
      assertEquals((await s.envelopesSince('held', 0, 100)).map((e) => e.seq), [1, 2, 3, 4])
      assertEquals((await s.getConversation('held'))?.prunedSeq, 0)
      assertEquals((await s.getConversation('free'))?.prunedSeq, 3)
      assertEquals(await s.pruneCovered(1000), 0) // still held
      assertEquals(await s.prunedSnapshot('held'), null)
      assertEquals(await s.legalHold.releaseHold('held'), 'released')
      assertEquals(await s.pruneCovered(1000), 3)
      assertEquals((await s.envelopesSince('held', 0, 100)).map((e) => e.seq), [4])
      assertEquals(await s.prunedSnapshot('held'), { seq: 3, parts: [blob(9)] })
    }))
}
