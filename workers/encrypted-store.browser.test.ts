/**
 * The encrypted local store in real IndexedDB (Chromium): a write that the database refuses for
 * want of space (QuotaExceededError, raised here inside the real transaction because this Chromium
 * ignores DevTools' quota override) aborts as a whole — a delete in the same write is rolled back,
 * nothing new is stored — and reaches the app as `storage/quota`, which it explains plainly; and a
 * connection the browser dropped (iOS does, under memory pressure) is reopened on the next use.
 */
import { EncryptedStore, isQuotaError, WardlineDb } from './encrypted-store.ts'

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message)
}

describe('encrypted store: out of quota', () => {
  it('aborts the whole write and reports storage/quota', async () => {
    const db = new WardlineDb(`wardline-quota-test-${Math.random()}`)
    const key = crypto.getRandomValues(new Uint8Array(32))
    const store = new EncryptedStore(db, key)
    await store.write([{ key: 'ob/1', value: { body: 'first' } }])
    const realBulkPut = db.records.bulkPut.bind(db.records)
    db.records.bulkPut = (() => Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'))) as typeof db.records.bulkPut
    let code = ''
    try {
      await store.write([{ key: 'ob/1', delete: true }, { key: 'ob/2', value: { body: 'second' } }])
    } catch (e) {
      code = (e as { code?: string }).code ?? String(e)
    }
    db.records.bulkPut = realBulkPut
    assert(code === 'storage/quota', `expected storage/quota, got ${code}`)
    assert((await store.get<{ body: string }>('ob/1'))?.body === 'first', 'the delete in the refused write was rolled back')
    assert((await store.get('ob/2')) === undefined, 'nothing of the refused write is stored')
    assert((await db.records.count()) === 1, 'one record, as before')
    db.close()
    await db.delete()
  })

  it('recognises the error as IndexedDB and Dexie raise it, and nothing else', () => {
    assert(isQuotaError(new DOMException('full', 'QuotaExceededError')), 'DOMException')
    assert(isQuotaError({ name: 'AbortError', inner: { name: 'QuotaExceededError' } }), 'wrapped by Dexie')
    assert(!isQuotaError(new DOMException('x', 'AbortError')), 'another abort')
    assert(!isQuotaError(null), 'null')
  })
})

describe('encrypted store: a lost connection', () => {
  it('reopens the database and goes on when the browser dropped the connection', async () => {
    const db = new WardlineDb(`wardline-reopen-test-${Math.random()}`)
    const store = new EncryptedStore(db, crypto.getRandomValues(new Uint8Array(32)))
    await store.write([{ key: 'a', value: 1 }])
    db.backendDB().close() // as iOS does under memory pressure: Dexie is not told
    await store.write([{ key: 'b', value: 2 }])
    assert((await store.get<number>('a')) === 1 && (await store.get<number>('b')) === 2, 'both records readable after the reopen')
    assert((await store.list('')).length === 2, 'list works too')
    db.close()
    await db.delete()
  })
})
