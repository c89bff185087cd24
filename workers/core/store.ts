/**
 * The client's storage interface: an ordered key–value store with atomic multi-key writes. The
 * browser implementation encrypts every value at rest (workers/encrypted-store.ts); the simulator
 * and unit tests use MemoryStore. Keys are never secret (ids and counters only).
 */
export type Write = { key: string; value: unknown } | { key: string; delete: true }

export interface ClientStore {
  get<T>(key: string): Promise<T | undefined>
  /** Every entry whose key starts with prefix, in key order. Corrupt entries are skipped and reported. */
  list<T>(prefix: string): Promise<Array<[string, T]>>
  /** Applies all writes in one transaction: all or none. */
  write(writes: Write[]): Promise<void>
}

export class MemoryStore implements ClientStore {
  #data = new Map<string, unknown>()

  get<T>(key: string): Promise<T | undefined> {
    return Promise.resolve(structuredClone(this.#data.get(key)) as T | undefined)
  }

  list<T>(prefix: string): Promise<Array<[string, T]>> {
    const keys = [...this.#data.keys()].filter((k) => k.startsWith(prefix)).sort()
    return Promise.resolve(keys.map((k) => [k, structuredClone(this.#data.get(k)) as T]))
  }

  write(writes: Write[]): Promise<void> {
    for (const w of writes) {
      if ('delete' in w) this.#data.delete(w.key)
      else this.#data.set(w.key, structuredClone(w.value))
    }
    return Promise.resolve()
  }
}

/** Zero-padded so that lexicographic key order is numeric order. */
export const padSeq = (n: number): string => String(n).padStart(12, '0')
