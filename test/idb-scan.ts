/**
 * Reads every IndexedDB database of this origin through IndexedDB itself and reports whether a
 * canary string appears in any stored value, as UTF-8, UTF-16 or base64 (DESIGN §7).
 */
import { canaryForms } from './canary-forms.ts'


function collectBytes(value: unknown, out: Uint8Array[], seen = new Set<unknown>()): void {
  if (value === null || value === undefined || seen.has(value)) return
  if (typeof value === 'string') out.push(new TextEncoder().encode(value))
  else if (value instanceof Uint8Array) out.push(value)
  else if (value instanceof ArrayBuffer) out.push(new Uint8Array(value))
  else if (ArrayBuffer.isView(value)) out.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))
  else if (typeof value === 'object') {
    seen.add(value)
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out.push(new TextEncoder().encode(k))
      collectBytes(v, out, seen)
    }
  }
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

function requestToPromise<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

/** Every value of every store of every database of this origin, as byte arrays. */
export async function dumpIndexedDb(): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for (const info of await indexedDB.databases()) {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(info.name!)
      r.onsuccess = () => resolve(r.result)
      r.onerror = () => reject(r.error)
    })
    for (const name of Array.from(db.objectStoreNames)) {
      const tx = db.transaction(name, 'readonly')
      const values = await requestToPromise(tx.objectStore(name).getAll())
      const keys = await requestToPromise(tx.objectStore(name).getAllKeys())
      collectBytes(values, out)
      collectBytes(keys.map(String), out)
    }
    db.close()
  }
  return out
}

export async function indexedDbContains(canary: string): Promise<boolean> {
  const chunks = await dumpIndexedDb()
  return canaryForms(canary).some((form) => chunks.some((c) => contains(c, form)))
}
