/**
 * The device's local store on Dexie/IndexedDB, encrypted at rest (DESIGN §3): every value is
 * sealed with XChaCha20-Poly1305 under a random local key bound to its own key name, and the local
 * key is kept only wrapped under the PIN (scrypt). This is Wardline's encrypted replacement for
 * y-indexeddb, which stores plain Yjs updates (see docs/decisions/0002-encrypted-yjs-persistence.md).
 */
import Dexie, { type Table } from 'dexie'
import { openAead, sealAead } from '../crypto/aead.ts'
import { utf8 } from '../crypto/bytes.ts'
import type { WrappedKey } from '../crypto/local-key.ts'
import type { ClientStore, Write } from './core/store.ts'
import { decodeValue, encodeValue } from './core/values.ts'

export const DB_NAME = 'wardline'
type Row = { k: string; v: Uint8Array }
type MetaRow = { k: string; v: unknown }

export class WardlineDb extends Dexie {
  records!: Table<Row, string>
  meta!: Table<MetaRow, string>
  constructor(name = DB_NAME) {
    super(name)
    this.version(1).stores({ records: '&k', meta: '&k' })
  }
}

const ad = (key: string) => utf8(`wardline/local-record/v1\u0000${key}`)

export class EncryptedStore implements ClientStore {
  constructor(
    private readonly db: WardlineDb,
    private readonly localKey: Uint8Array,
    private readonly onCorrupt: (key: string) => void = () => {},
  ) {}

  #open<T>(row: Row): T | undefined {
    const opened = openAead(this.localKey, row.v, ad(row.k))
    if (!opened.ok) {
      this.onCorrupt(row.k)
      return undefined
    }
    try {
      return decodeValue<T>(opened.value)
    } catch {
      this.onCorrupt(row.k)
      return undefined
    }
  }

  async get<T>(key: string): Promise<T | undefined> {
    const row = await this.db.records.get(key)
    return row ? this.#open<T>(row) : undefined
  }

  async list<T>(prefix: string): Promise<Array<[string, T]>> {
    const rows = await this.db.records.where('k').startsWith(prefix).toArray()
    const out: Array<[string, T]> = []
    for (const row of rows) {
      const v = this.#open<T>(row)
      if (v !== undefined) out.push([row.k, v])
    }
    return out
  }

  async write(writes: Write[]): Promise<void> {
    const puts: Row[] = []
    const deletes: string[] = []
    for (const w of writes) {
      if ('delete' in w) deletes.push(w.key)
      else puts.push({ k: w.key, v: sealAead(this.localKey, encodeValue(w.value), ad(w.key)) })
    }
    try {
      await this.db.transaction('rw', this.db.records, async () => {
        if (deletes.length) await this.db.records.bulkDelete(deletes)
        if (puts.length) await this.db.records.bulkPut(puts)
      })
    } catch (e) {
      // The transaction aborted as a whole: nothing of this write is stored. Say why plainly.
      if (isQuotaError(e)) throw Object.assign(new Error('storage/quota'), { code: 'storage/quota' })
      throw e
    }
  }
}

/** IndexedDB's (or Dexie's wrapping of) "the origin is out of quota". */
export function isQuotaError(e: unknown): boolean {
  const names = [(e as { name?: string })?.name, (e as { inner?: { name?: string } })?.inner?.name]
  return names.includes('QuotaExceededError')
}

export async function readWrappedKey(db: WardlineDb): Promise<WrappedKey | undefined> {
  return (await db.meta.get('wrapped-key'))?.v as WrappedKey | undefined
}

export async function writeWrappedKey(db: WardlineDb, wrapped: WrappedKey): Promise<void> {
  await db.meta.put({ k: 'wrapped-key', v: wrapped })
}
