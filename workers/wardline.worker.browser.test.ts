/**
 * The worker's API in real headless Chromium against the real relay: organisation setup,
 * enrollment, lock/unlock with the PIN, a conversation between two devices, and the at-rest
 * encryption of everything the worker keeps in IndexedDB (read back through IndexedDB itself).
 */
// @ts-ignore served by the web-test-runner relay plugin
import { RELAY_SETUP_CODE, RELAY_URL } from '/__relay.js'
import type { Methods, Response } from './protocol.ts'
import { indexedDbContains } from '../test/idb-scan.ts'
import { EncryptedStore, WardlineDb } from './encrypted-store.ts'

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message)
}

class WorkerHandle {
  worker: Worker
  #id = 0
  constructor(db: string) {
    const url = new URL(`./wardline.worker.ts?relay=${encodeURIComponent(RELAY_URL)}&db=${db}`, import.meta.url)
    this.worker = new Worker(url, { type: 'module' })
  }
  call<M extends keyof Methods>(method: M, params: Methods[M]['params']): Promise<Methods[M]['result']> {
    const id = ++this.#id
    return new Promise((resolve, reject) => {
      const onMessage = (ev: MessageEvent) => {
        const r = ev.data as Response
        if (!('id' in r) || r.id !== id) return
        this.worker.removeEventListener('message', onMessage)
        if (r.ok) resolve(r.result as Methods[M]['result'])
        else reject(Object.assign(new Error(r.error.message), { code: r.error.code }))
      }
      this.worker.addEventListener('message', onMessage)
      this.worker.postMessage({ v: 1, id, method, params })
    })
  }
}

async function expectError(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p
  } catch (e) {
    assert((e as { code?: string }).code === code, `expected ${code}, got ${(e as { code?: string }).code}`)
    return
  }
  throw new Error(`expected ${code}, but it succeeded`)
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const v = await fn()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const CANARY = 'CANARY-7f3a9c-wardline-plaintext-must-not-be-stored'

describe('the Wardline worker', () => {
  it('creates the organisation, enrolls a second device and exchanges messages, with nothing readable at rest', async () => {
    const admin = new WorkerHandle('wl-test-admin')
    const first = await admin.call('status', {})
    assert(first.phase === 'needs-setup', `phase ${first.phase}`)
    const compliance = { complianceOfficers: ['Cora Officer', 'Dev Officer', 'Eve Officer'], complianceThreshold: 2 }
    await expectError(admin.call('setupOrganisation', { setupCode: 'WRONG', displayName: 'Ann Admin', pin: '246810', ...compliance }), 'setup/bad-code')
    await expectError(admin.call('setupOrganisation', { setupCode: RELAY_SETUP_CODE, displayName: 'Ann Admin', pin: '12', ...compliance }), 'local/weak-pin')
    for (const [complianceOfficers, complianceThreshold] of [[[], 1], [['Cora', 'Cora'], 1], [['Cora', ' '], 1], [['Cora'], 2], [['Cora'], 0]] as const) {
      await expectError(
        admin.call('setupOrganisation', { setupCode: RELAY_SETUP_CODE, displayName: 'Ann Admin', pin: '246810', complianceOfficers: [...complianceOfficers], complianceThreshold }),
        'setup/bad-compliance-officers',
      )
    }
    for (const [rootHolders, rootThreshold] of [[[], 1], [['Ann', 'Ann'], 1], [['Ann'], 2]] as const) {
      await expectError(
        admin.call('setupOrganisation', { setupCode: RELAY_SETUP_CODE, displayName: 'Ann Admin', pin: '246810', ...compliance, rootHolders: [...rootHolders], rootThreshold }),
        'setup/bad-root-holders',
      )
    }
    const ready = await admin.call('setupOrganisation', {
      setupCode: RELAY_SETUP_CODE, displayName: 'Ann Admin', pin: '246810', ...compliance, rootHolders: ['Ann Admin', 'Bo Admin'], rootThreshold: 2,
    })
    assert(ready.phase === 'ready' && ready.me?.role === 'admin', 'admin ready')
    assert(ready.rootShares.map((s) => s.holder).join() === 'Ann Admin,Bo Admin', 'one root key share per holder')
    assert(ready.rootShares.every((s) => /^WLRS1-[0-9A-Z]{8}-2-[1-2]-/.test(s.share)), 'root shares name the organisation and k')
    assert(ready.hasRootKey === true, 'the setup device keeps its root')
    assert(!('rootShares' in (await admin.call('status', {}))), 'root shares are returned once, not in the status')
    assert(ready.complianceShares.map((s) => s.officer).join() === compliance.complianceOfficers.join(), 'one share per officer')
    assert(ready.complianceShares.every((s) => /^WLCS1-[0-9A-F]{8}-[1-3]-/.test(s.share)), 'shares name their key')
    assert(ready.compliance?.threshold === 2 && ready.compliance.officers.length === 3, 'compliance key in the status')
    assert(!('complianceShares' in (await admin.call('status', {}))), 'shares are returned once, not in the status')
    assert(/^[0-9A-Z]{4}( [0-9A-Z]{2,4}){6}$/.test(ready.rootFingerprint ?? ''), `fingerprint ${ready.rootFingerprint}`)

    const enrollment = await admin.call('createEnrollmentCode', { displayName: 'Ben Nurse', role: 'clinician', validHours: 24 })
    const nurse = new WorkerHandle('wl-test-nurse')
    assert((await nurse.call('status', {})).phase === 'needs-enrollment', 'nurse needs enrollment')
    await expectError(nurse.call('enroll', { code: 'not a code', pin: '135790' }), 'enroll/bad-code')
    const nurseReady = await nurse.call('enroll', { code: enrollment.code.toLowerCase(), pin: '135790' })
    assert(nurseReady.phase === 'ready' && nurseReady.me?.displayName === 'Ben Nurse', 'nurse ready')
    assert(nurseReady.rootFingerprint === ready.rootFingerprint, 'same organisation fingerprint')
    assert(nurseReady.compliance?.fingerprint === ready.compliance?.fingerprint, 'the nurse pinned the same compliance key')
    // the code works once
    const third = new WorkerHandle('wl-test-third')
    await expectError(third.call('enroll', { code: enrollment.code, pin: '135790' }), 'enroll/code-used')

    const people = await eventually(() => admin.call('listPeople', {}), (p) => p.length === 2, 'directory')
    const ben = people.find((p) => p.displayName === 'Ben Nurse')!
    const { conversationId } = await admin.call('createConversation', { userIds: [ben.userId] })
    const clientId = crypto.randomUUID()
    const sent = await admin.call('sendMessage', { conversationId, body: CANARY, clientId })
    const again = await admin.call('sendMessage', { conversationId, body: CANARY, clientId })
    assert(sent.id === again.id, 'a repeated clientId never makes a second message')
    const atNurse = await eventually(() => nurse.call('listMessages', { conversationId }).catch(() => []), (m) => m.length === 1, 'delivery')
    assert(atNurse[0]!.body === CANARY && !atNurse[0]!.mine, 'nurse reads the message')
    await nurse.call('markRead', { conversationId })
    await eventually(() => admin.call('listMessages', { conversationId }), (m) => m[0]?.status === 'read', 'read receipt')

    // Lock: nothing readable without the PIN; a wrong PIN reveals nothing.
    assert((await nurse.call('lock', {})).phase === 'locked', 'locked')
    await expectError(nurse.call('listConversations', {}), 'local/locked')
    await expectError(nurse.call('unlock', { pin: '000000' }), 'local/wrong-pin')
    assert((await nurse.call('unlock', { pin: '135790' })).phase === 'ready', 'unlocked')
    const again2 = await nurse.call('listMessages', { conversationId })
    assert(again2.length === 1 && again2[0]!.body === CANARY, 'history survives lock/unlock')

    admin.worker.terminate()
    nurse.worker.terminate()
    third.worker.terminate()
    assert(!(await indexedDbContains(CANARY)), 'the canary must not be stored in plaintext')
    assert(!(await indexedDbContains('Ben Nurse')), 'names are stored encrypted too')
  })

  it('the IndexedDB scanner finds a canary planted in plaintext (so its silence means something)', async () => {
    const db = new WardlineDb('wl-test-planted')
    await db.meta.put({ k: 'planted', v: { note: `xx${CANARY}yy`, bytes: new TextEncoder().encode(btoa(`ab${CANARY}`)) } })
    assert(await indexedDbContains(CANARY), 'planted canary found')
    await db.delete()
    assert(!(await indexedDbContains(CANARY)), 'gone after delete')
  })

  it('a corrupt stored record is reported and skipped while the rest still reads', async () => {
    const db = new WardlineDb('wl-test-corrupt')
    const corrupt: string[] = []
    const store = new EncryptedStore(db, crypto.getRandomValues(new Uint8Array(32)), (k) => corrupt.push(k))
    await store.write([{ key: 'x/1', value: { a: 1 } }, { key: 'x/2', value: { a: 2 } }, { key: 'x/3', value: { a: 3 } }])
    const row = (await db.records.get('x/2'))!
    row.v[row.v.length - 1] = row.v[row.v.length - 1]! ^ 1
    await db.records.put(row)
    const listed = await store.list<{ a: number }>('x/')
    assert(listed.map(([, v]) => v.a).join() === '1,3', `listed ${JSON.stringify(listed)}`)
    assert(corrupt.join() === 'x/2', 'corruption reported')
    // a record moved under another key does not open either (the key name is bound as AAD)
    const moved = (await db.records.get('x/1'))!
    await db.records.put({ k: 'x/9', v: moved.v })
    assert((await store.get('x/9')) === undefined, 'relabelled record refused')
    await db.delete()
  })
})
