/**
 * Issue 9 in the client engine against the real relay: a patient context set by one member reaches
 * the other inside the encrypted state, feeds the PHI detector, and a message with a date of birth
 * and an MRN arrives tagged — the tag signed inside the record — while an ordinary message carries
 * no tag. The relay's data directory holds none of the patient details.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Buffer } from 'node:buffer'
import { canaryForms } from '../../test/canary-forms.ts'
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
  await until(() => ben.listConversations()[0]?.patient?.name === NAME, 'patient context reaches ben')
  assert.deepEqual(ben.listConversations()[0]!.patient, { name: NAME, mrn: MRN, ward: '7B', bed: '4' })
  assert.equal(ben.listConversations()[0]!.lastMessage, null, 'a patient record is not a last message')

  // Ben's detector knows the patient's name and MRN from the context.
  assert.deepEqual(ben.checkPhi(conv, 'has quorravax eaten? ' + MRN).map((s) => s.kind), ['name', 'mrn'])
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
    const hits = canaryForms(canary).filter((form) => blobs.some((b) => b.includes(Buffer.from(form))))
    assert.deepEqual(hits, [], `${canary} in the relay's data directory`)
  }
  await w.close()
})
