/**
 * Issue 9 in the client engine against the real relay: a patient context set by one member reaches
 * the other inside the encrypted state, feeds the PHI detector, and a message with a date of birth
 * and an MRN arrives tagged — the tag signed inside the record — while an ordinary message carries
 * no tag. The relay's data directory holds none of the patient details. A record whose tag was
 * stripped or added after signing is refused; one signed as earlier builds signed (no tag) is shown.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Buffer } from 'node:buffer'
import * as c from '../../crypto/mod.ts'
import { canaryForms } from '../../test/canary-forms.ts'
import { ConversationState, type MessageRecord } from './conversation-state.ts'
import { encodePayload } from './log-chain.ts'
import { adminAndNurse, until } from './test-world.ts'

const NAME = 'Zelphine Quorravax'
const MRN = 'QX7731904'

function bytesUnder(dir: string): Buffer[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? bytesUnder(p) : [readFileSync(p)]
  })
}

Deno.test('a patient context reaches every member, tags PHI messages by signature, and never reaches the relay', async () => {
  const w = await adminAndNurse()
  const { ben, benId } = w
  const conv = await w.admin.createConversation([benId.userId])
  await until(() => ben.conversations.has(conv), 'conversation reaches ben')

  await w.admin.setPatientContext(conv, { name: NAME, mrn: MRN, ward: '7B', bed: '4' }, 'p1')
  await until(
    () => ben.listConversations()[0]?.patient?.name === NAME,
    'patient context reaches ben',
  )
  assert.deepEqual(ben.listConversations()[0]!.patient, {
    name: NAME,
    mrn: MRN,
    ward: '7B',
    bed: '4',
  })
  assert.equal(
    ben.listConversations()[0]!.lastMessage,
    null,
    'a patient record is not a last message',
  )

  // Ben's detector knows the patient's name and MRN from the context.
  assert.deepEqual(ben.checkPhi(conv, 'has quorravax eaten? ' + MRN).map((s) => s.kind), [
    'name',
    'mrn',
  ])
  await ben.sendMessage(conv, 'Quorravax: DOB 12/03/1958, MRN 4829113, needs bloods', 'b1')
  await ben.sendMessage(conv, 'bloods done, all normal', 'b2')
  await until(() => w.admin.listMessages(conv).length === 3, 'messages reach admin')
  const [context, tagged, plain] = w.admin.listMessages(conv)
  assert.deepEqual(context!.patient, { name: NAME, mrn: MRN, ward: '7B', bed: '4' })
  assert.deepEqual(context!.phi, ['mrn', 'name'])
  assert.deepEqual(tagged!.phi, ['dob', 'mrn', 'name'])
  assert.equal(plain!.phi, undefined)
  // The tag is inside the signed record the receiver verified.
  const record = w.admin.conversations.get(conv)!.index.get(tagged!.id)!.record
  assert.deepEqual(record.phi, ['dob', 'mrn', 'name'])

  const blobs = bytesUnder(w.dataDir)
  assert.ok(blobs.length > 0)
  for (const canary of [NAME, MRN, 'Quorravax']) {
    const hits = canaryForms(canary).filter((form) =>
      blobs.some((b) => b.includes(Buffer.from(form)))
    )
    assert.deepEqual(hits, [], `${canary} in the relay's data directory`)
  }
  await w.close()
})

Deno.test('a record whose phi tag was stripped or added after signing is refused; an untagged one as old builds wrote it is shown', async () => {
  const w = await adminAndNurse()
  const conv = await w.admin.createConversation([w.benId.userId])
  await until(() => w.ben.conversations.has(conv), 'joined')
  w.ben.connection.stop() // this test plays the relay for Ben
  const adminConv = w.admin.conversations.get(conv)!
  const a = w.adminId
  const signed = (n: number, body: string, phi?: string[]) =>
    c.signRecord(conv, a.deviceId, n, {
      kind: 'text',
      body,
      createdAt: 1,
      authorUserId: a.userId,
      ...(phi ? { phi } : {}),
    }, a.signingSecretKey)
  // One copy of the admin's segment writes them all, so each update follows the previous one.
  const forger = new ConversationState(adminConv.meta, a.deviceId)
  const seal = (
    n: number,
    record: Omit<MessageRecord, 'id' | 'author' | 'device' | 'n' | 'kind' | 'at'>,
  ) => {
    const update = forger.addOwnRecord(0, {
      id: `${a.deviceId}.${n}`,
      author: a.userId,
      device: a.deviceId,
      n,
      kind: 'text',
      at: 1,
      ...record,
    })
    return c.sealEnvelope(
      { conversationId: conv, epoch: 0, senderDeviceId: a.deviceId, counter: n },
      encodePayload('yjs', update, w.ben.conversations.get(conv)!.meta.chain),
      adminConv.meta.epochKeys['0']!,
      a.signingSecretKey,
    )
  }
  const before = w.alerts.filter((x) => x === 'sync/bad-record').length
  // Signed with the tag, sent without it; signed without, sent with one.
  await w.ben.receiveFrame({
    type: 'envelope',
    conversationId: conv,
    seq: 1,
    envelope: seal(0, { body: 'DOB 12/03/1958', sig: signed(0, 'DOB 12/03/1958', ['dob']) }),
  })
  await w.ben.receiveFrame({
    type: 'envelope',
    conversationId: conv,
    seq: 2,
    envelope: seal(1, { body: 'hello', sig: signed(1, 'hello'), phi: ['name'] }),
  })
  assert.deepEqual(w.ben.listMessages(conv), [])
  assert.equal(w.alerts.filter((x) => x === 'sync/bad-record').length - before, 2)
  // Untagged and signed as every earlier build signed: shown, with no tag.
  await w.ben.receiveFrame({
    type: 'envelope',
    conversationId: conv,
    seq: 3,
    envelope: seal(2, { body: 'old style', sig: signed(2, 'old style') }),
  })
  assert.deepEqual(w.ben.listMessages(conv).map((m) => [m.body, m.phi]), [['old style', undefined]])
  await w.close()
})
