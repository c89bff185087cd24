/**
 * Persistent storage (issue 5): once a person has a store on this device, ask the browser to keep
 * it (`navigator.storage.persist()`), so it is not evicted when space runs low — an evicted store
 * takes the device's keys with it. Asked once per page after the app is ready; Chromium grants it
 * to installed or engaged sites without a prompt, other browsers may ask or refuse. The answer and
 * the space used are shown under "Organisation & this device".
 */

export type StorageState = {
  /** true: kept until the person removes it; false: the browser may clear it; null: unknown here. */
  persisted: boolean | null
  usageBytes: number | null
  quotaBytes: number | null
}

/** How long an answer to `persist()` is awaited before the app goes on without it. */
export const PERSIST_WAIT_MS = 3000

let asked: Promise<boolean | null> | null = null

/** Asks once per page; later calls return the first answer. */
export function requestPersistence(storage: StorageManager | undefined = navigator.storage): Promise<boolean | null> {
  asked ??= (async () => {
    if (!storage?.persist || !storage.persisted) return null
    try {
      if (await storage.persisted()) return true
      // Some browsers leave the request pending while they decide (a prompt, an engagement
      // check): do not wait on it for ever.
      const undecided = new Promise<null>((r) => setTimeout(() => r(null), PERSIST_WAIT_MS))
      return await Promise.race([storage.persist(), undecided])
    } catch {
      return null
    }
  })()
  return asked
}

export async function storageState(storage: StorageManager | undefined = navigator.storage): Promise<StorageState> {
  const persisted = storage?.persisted ? await storage.persisted().catch(() => null) : null
  const estimate = storage?.estimate ? await storage.estimate().catch(() => null) : null
  return { persisted, usageBytes: estimate?.usage ?? null, quotaBytes: estimate?.quota ?? null }
}

/** "1.2 MB" style, for people. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`
}
