import { decodeCommitEntry, isCommitEntry } from '../../crypto/commit.ts'
import { generateSigningKeyPair } from '../../crypto/ed25519.ts'
import { assert, assertEquals } from '../storage/_assert.ts'
import {
  createTestCommit,
  createTestConversation,
  sealTestBox,
  sealTestEnvelope,
  type TestDevice,
} from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { startTestRelay, type TestRelay } from '../testing/test-relay.ts'
import type { Frame } from '../wire/frames.ts'

type World = {
  t: TestRelay
  nurse: TestDevice
  doctor: TestDevice
  /** The genesis commit of 'c1' (admin + nurse + the `members` given). */
  genesis: Uint8Array
}

/** A relay with conversation 'c1' made by the admin with the nurse (and the doctor if asked). */
async function withWorld(fn: (w: World) => Promise<void>, withDoctor = true) {
  const t = await startTestRelay()
  try {
    const nurse = await t.enroll('nurse')
    const doctor = await t.enroll('doctor')
    const conv = createTestConversation(t.admin, withDoctor ? [nurse, doctor] : [nurse], 'c1')
    const c = await TestClient.loggedIn(t.url, t.admin)
    c.send({ type: 'createConversation', ref: 'create', ...conv })
    assertEquals((await c.waitFor('ack')).ref, 'create')
    await c.close()
    await fn({ t, nurse, doctor, genesis: conv.manifest })
  } finally {
    await t.close()
  }
}

/** Skips frames until the ack or error answering `ref`. */
async function replyTo(c: TestClient, ref: string): Promise<Frame> {
  for (;;) {
    const f = await c.nextAny()
    if ((f.type === 'ack' || f.type === 'error') && f.ref === ref) return f
  }
}

async function errorCode(c: TestClient, ref: string): Promise<string> {
  const f = await replyTo(c, ref)
  if (f.type !== 'error') throw new Error(`expected an error for ${ref}, got ${f.type}`)
  return f.code
}

async function ackSeq(c: TestClient, ref: string): Promise<number> {
  const f = await replyTo(c, ref)
  if (f.type !== 'ack') throw new Error(`expected an ack for ${ref}, got ${JSON.stringify(f)}`)
  return f.seq
}

function send(c: TestClient, device: TestDevice, counter: number, epoch: number, ref: string) {
  c.send({
    type: 'send',
    ref,
    conversationId: 'c1',
    envelope: sealTestEnvelope(device, 'c1', counter, epoch),
  })
}

Deno.test('two members committing the same next epoch at once: exactly one ack, the other relay/stale-commit', () =>
  withWorld(async ({ t, nurse, doctor, genesis }) => {
    const admin = await TestClient.loggedIn(t.url, t.admin)
    const n = await TestClient.loggedIn(t.url, nurse)
    const all = [t.admin, nurse, doctor]
    const a = createTestCommit(t.admin, {
      conversationId: 'c1',
      epoch: 1,
      prev: genesis,
      devices: all,
    })
    const b = createTestCommit(nurse, {
      conversationId: 'c1',
      epoch: 1,
      prev: genesis,
      devices: all,
    })
    admin.send({ type: 'commit', ref: 'a', conversationId: 'c1', entry: a.entry })
    n.send({ type: 'commit', ref: 'b', conversationId: 'c1', entry: b.entry })
    const replies = [await replyTo(admin, 'a'), await replyTo(n, 'b')]
    const acks = replies.filter((r) => r.type === 'ack')
    const errors = replies.filter((r) => r.type === 'error')
    assertEquals(acks.length, 1)
    assertEquals(errors.map((e) => e.type === 'error' && e.code), ['relay/stale-commit'])
    assertEquals(acks[0]?.type === 'ack' && acks[0].seq, 1)

    // The loser rebases on the winner's commit and gets epoch 2.
    const winner = replies[0]?.type === 'ack' ? a : b
    const [loser, loserDevice] = replies[0]?.type === 'ack' ? [n, nurse] : [admin, t.admin]
    const rebased = createTestCommit(loserDevice, {
      conversationId: 'c1',
      epoch: 2,
      prev: winner.commit,
      devices: all,
    })
    loser.send({ type: 'commit', ref: 'again', conversationId: 'c1', entry: rebased.entry })
    assertEquals(await ackSeq(loser, 'again'), 2)
    // Resending the same commit (a lost ack) returns its seq again instead of stale-commit.
    loser.send({ type: 'commit', ref: 'retry', conversationId: 'c1', entry: rebased.entry })
    assertEquals(await ackSeq(loser, 'retry'), 2)
    // A commit that skips an epoch, or names another head, is stale.
    const skip = createTestCommit(t.admin, {
      conversationId: 'c1',
      epoch: 4,
      prev: rebased.commit,
      devices: all,
    })
    admin.send({ type: 'commit', ref: 'skip', conversationId: 'c1', entry: skip.entry })
    assertEquals(await errorCode(admin, 'skip'), 'relay/stale-commit')
    const fork = createTestCommit(t.admin, {
      conversationId: 'c1',
      epoch: 3,
      prev: winner.commit,
      devices: all,
    })
    admin.send({ type: 'commit', ref: 'fork', conversationId: 'c1', entry: fork.entry })
    assertEquals(await errorCode(admin, 'fork'), 'relay/stale-commit')
    await Promise.all([admin.close(), n.close()])
  }))

Deno.test('after a commit, a send under the old epoch is relay/stale-epoch, but a repeat of a stored one keeps its seq', () =>
  withWorld(async ({ t, nurse, doctor, genesis }) => {
    const admin = await TestClient.loggedIn(t.url, t.admin)
    send(admin, t.admin, 1, 0, 'e0')
    assertEquals(await ackSeq(admin, 'e0'), 1)
    send(admin, t.admin, 1, 1, 'early')
    assertEquals(await errorCode(admin, 'early'), 'relay/stale-epoch')
    const c = createTestCommit(t.admin, {
      conversationId: 'c1',
      epoch: 1,
      prev: genesis,
      devices: [t.admin, nurse, doctor],
    })
    admin.send({ type: 'commit', ref: 'c', conversationId: 'c1', entry: c.entry })
    assertEquals(await ackSeq(admin, 'c'), 2)
    send(admin, t.admin, 2, 0, 'old')
    assertEquals(await errorCode(admin, 'old'), 'relay/stale-epoch')
    send(admin, t.admin, 1, 0, 'repeat')
    assertEquals(await ackSeq(admin, 'repeat'), 1)
    send(admin, t.admin, 1, 1, 'new')
    assertEquals(await ackSeq(admin, 'new'), 3)
    await admin.close()
  }))

Deno.test('the committed entry reaches live subscribers and catch-up in seq order with data envelopes', () =>
  withWorld(async ({ t, nurse, doctor, genesis }) => {
    const n = await TestClient.loggedIn(t.url, nurse)
    n.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    await n.waitFor('caughtUp')
    const admin = await TestClient.loggedIn(t.url, t.admin)
    send(admin, t.admin, 1, 0, 'd1')
    send(admin, t.admin, 2, 0, 'd2')
    const c = createTestCommit(t.admin, {
      conversationId: 'c1',
      epoch: 1,
      prev: genesis,
      devices: [t.admin, nurse, doctor],
    })
    admin.send({ type: 'commit', ref: 'c', conversationId: 'c1', entry: c.entry })
    send(admin, t.admin, 1, 1, 'd3')
    assertEquals(await ackSeq(admin, 'd3'), 4)

    const live: Frame[] = []
    for (let i = 0; i < 4; i++) live.push(await n.next('envelope'))
    const kinds = (frames: Frame[]) =>
      frames.map((f) => f.type === 'envelope' ? [f.seq, isCommitEntry(f.envelope)] : [])
    assertEquals(kinds(live), [[1, false], [2, false], [3, true], [4, false]])
    const third = live[2]
    assert(third?.type === 'envelope')
    assertEquals(third.envelope, c.entry)
    const decoded = decodeCommitEntry(third.envelope)
    assert(decoded.ok)
    assertEquals(decoded.value.commit, c.commit)

    const late = await TestClient.loggedIn(t.url, doctor)
    late.send({ type: 'subscribe', conversationId: 'c1', since: 1 })
    const caught: Frame[] = []
    for (let i = 0; i < 3; i++) caught.push(await late.waitFor('envelope'))
    assertEquals(kinds(caught), [[2, false], [3, true], [4, false]])
    assertEquals((await late.next('caughtUp')).seq, 4)
    await Promise.all([n.close(), admin.close(), late.close()])
  }))

Deno.test('a device removed by a commit hears the commit (also by catching up later), and nothing after it; it cannot send', () =>
  withWorld(async ({ t, nurse, doctor, genesis }) => {
    const n = await TestClient.loggedIn(t.url, nurse)
    n.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    await n.waitFor('caughtUp')
    const admin = await TestClient.loggedIn(t.url, t.admin)
    const c = createTestCommit(t.admin, {
      conversationId: 'c1',
      epoch: 1,
      prev: genesis,
      devices: [t.admin, doctor],
      change: 'remove',
    })
    admin.send({ type: 'commit', ref: 'c', conversationId: 'c1', entry: c.entry })
    assertEquals(await ackSeq(admin, 'c'), 1)
    const heard = await n.next('envelope')
    assertEquals([heard.seq, heard.envelope], [1, c.entry])
    send(admin, t.admin, 1, 1, 'after')
    assertEquals(await ackSeq(admin, 'after'), 2)
    assert(await n.isQuietFor(150), 'a removed device gets no more envelopes')

    // Catching up (e.g. after missing the live frame) stops at the commit that removed it.
    n.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    const again1 = await n.next('envelope')
    assertEquals([again1.seq, again1.envelope], [1, c.entry])
    assertEquals(await n.next('caughtUp'), { type: 'caughtUp', conversationId: 'c1', seq: 1 })
    assert(await n.isQuietFor(150), 'nothing after the removal, live or caught up')
    send(n, nurse, 1, 1, 'x')
    assertEquals(await errorCode(n, 'x'), 'relay/not-member')
    send(n, nurse, 1, 0, 'y')
    assertEquals(await errorCode(n, 'y'), 'relay/not-member')
    const next = createTestCommit(nurse, {
      conversationId: 'c1',
      epoch: 2,
      prev: c.commit,
      devices: [nurse, t.admin],
    })
    n.send({ type: 'commit', ref: 'z', conversationId: 'c1', entry: next.entry })
    assertEquals(await errorCode(n, 'z'), 'relay/not-member')
    await n.close()

    // Its next login no longer lists the conversation.
    const again = await TestClient.loggedIn(t.url, nurse)
    assert(await again.isQuietFor(150), 'no conversation frame for a removed device')
    await Promise.all([admin.close(), again.close()])
  }))

Deno.test('devices added by a commit are told about the conversation with their boxes', () =>
  withWorld(async ({ t, nurse, doctor, genesis }) => {
    const d = await TestClient.loggedIn(t.url, doctor)
    assert(await d.isQuietFor(100))
    const admin = await TestClient.loggedIn(t.url, t.admin)
    send(admin, t.admin, 1, 0, 'before')
    assertEquals(await ackSeq(admin, 'before'), 1)
    const c = createTestCommit(t.admin, {
      conversationId: 'c1',
      epoch: 1,
      prev: genesis,
      devices: [t.admin, nurse, doctor],
      change: 'add',
    })
    admin.send({ type: 'commit', ref: 'add', conversationId: 'c1', entry: c.entry })
    assertEquals(await ackSeq(admin, 'add'), 2)
    const told = await d.next('conversation')
    // its own box of the new epoch, and the compliance box (so it can check the key was sealed to it)
    assertEquals([told.conversationId, told.manifest, told.boxes.length, told.headSeq], [
      'c1',
      genesis,
      2,
      2,
    ])
    d.send({ type: 'subscribe', conversationId: 'c1', since: 0 })
    assertEquals((await d.waitFor('caughtUp')).seq, 2)
    await Promise.all([admin.close(), d.close()])
  }, false))

Deno.test('commits are refused when malformed, by another author, or with bad devices or boxes', () =>
  withWorld(async ({ t, nurse, doctor, genesis }) => {
    const outsider = await t.enroll('outsider')
    const stranger = { deviceId: 'not-enrolled', agreementKey: doctor.agreement.publicKey }
    const admin = await TestClient.loggedIn(t.url, t.admin)
    const all = [t.admin, nurse, doctor]
    const base = { conversationId: 'c1', epoch: 1, prev: genesis, devices: all }
    const attempt = async (ref: string, entry: Uint8Array, conversationId = 'c1') => {
      admin.send({ type: 'commit', ref, conversationId, entry })
      return await errorCode(admin, ref)
    }
    assertEquals(await attempt('garbage', new Uint8Array([1, 2, 3])), 'relay/malformed-commit')
    assertEquals(
      await attempt('data', sealTestEnvelope(t.admin, 'c1', 1)),
      'relay/malformed-commit',
    )
    assertEquals(await attempt('author', createTestCommit(nurse, base).entry), 'relay/wrong-sender')
    assertEquals(
      await attempt('conv', createTestCommit(t.admin, base).entry, 'c2'),
      'relay/wrong-sender',
    )
    assertEquals(
      await attempt(
        'unknown',
        createTestCommit(t.admin, { ...base, deviceIds: [t.admin.deviceId, 'ghost'] }).entry,
      ),
      'relay/unknown-device',
    )
    const box = (
      to: TestDevice | typeof stranger,
      conversationId = 'c1',
      epoch = 1,
      from = t.admin,
    ) =>
      sealTestBox(
        from,
        'agreement' in to ? { deviceId: to.deviceId, agreementKey: to.agreement.publicKey } : to,
        conversationId,
        epoch,
      )
    const withBox = (b: Uint8Array) => createTestCommit(t.admin, { ...base, extraBoxes: [b] }).entry
    assertEquals(await attempt('box-garbage', withBox(new Uint8Array([9, 9]))), 'relay/bad-box')
    assertEquals(await attempt('box-conv', withBox(box(nurse, 'c2'))), 'relay/bad-box')
    assertEquals(await attempt('box-epoch', withBox(box(nurse, 'c1', 2))), 'relay/bad-box')
    assertEquals(await attempt('box-sender', withBox(box(nurse, 'c1', 1, doctor))), 'relay/bad-box')
    assertEquals(await attempt('box-outsider', withBox(box(outsider))), 'relay/bad-box')
    assertEquals(await attempt('box-stranger', withBox(box(stranger))), 'relay/bad-box')
    // What every member would refuse, so the relay refuses it too (else one member's commit would
    // move the relay to an epoch nobody can follow): another key's signature, a listed device
    // without a box of the epoch, no compliance box.
    const forger = { ...t.admin, signing: generateSigningKeyPair() }
    assertEquals(await attempt('forged', createTestCommit(forger, base).entry), 'relay/bad-commit-signature')
    assertEquals(await attempt('no-boxes', createTestCommit(t.admin, { ...base, boxes: [] }).entry), 'relay/missing-box')
    assertEquals(
      await attempt('one-short', createTestCommit(t.admin, { ...base, boxes: [box(t.admin), box(nurse)] }).entry),
      'relay/missing-box',
    )
    assertEquals(
      await attempt('no-compliance', createTestCommit(t.admin, { ...base, boxes: all.map((d) => box(d)) }).entry),
      'relay/missing-compliance-box',
    )

    // A stranger to the conversation cannot commit into it.
    const o = await TestClient.loggedIn(t.url, outsider)
    const theirs = createTestCommit(outsider, { ...base, devices: [outsider, t.admin] })
    o.send({ type: 'commit', ref: 'o', conversationId: 'c1', entry: theirs.entry })
    assertEquals(await errorCode(o, 'o'), 'relay/not-member')

    // Nothing above changed the conversation: a good commit with an earlier-epoch box and a
    // compliance box is still epoch 1, at seq 1.
    const good = createTestCommit(t.admin, {
      ...base,
      extraBoxes: [
        box(doctor, 'c1', 0),
        box({ deviceId: 'compliance:org', agreementKey: doctor.agreement.publicKey }),
      ],
    })
    admin.send({ type: 'commit', ref: 'good', conversationId: 'c1', entry: good.entry })
    assertEquals(await ackSeq(admin, 'good'), 1)
    const d = await TestClient.loggedIn(t.url, doctor)
    // Its epoch-0 box from the genesis, the epoch-1 box, the re-shared epoch-0 box and the
    // genesis compliance box.
    assertEquals((await d.next('conversation')).boxes.length, 4)
    await Promise.all([admin.close(), o.close(), d.close()])
  }))

Deno.test('a device that was never a member cannot subscribe', () =>
  withWorld(async ({ t }) => {
    const outsider = await TestClient.loggedIn(t.url, t.admin)
    outsider.send({ type: 'subscribe', conversationId: 'no-such-conversation', since: 0 })
    assertEquals(await outsider.waitFor('error'), { type: 'error', code: 'relay/not-member', ref: 'no-such-conversation' })
    await outsider.close()
  }))
