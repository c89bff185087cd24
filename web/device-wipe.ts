/**
 * Erasing this device from the browser's side (decision 0012): after the worker has erased its
 * keys and database (a verified revocation, "Remove Wardline from this device", or a lease long
 * run out), the page clears everything else the origin keeps — every IndexedDB database, Cache
 * Storage, service worker registrations, localStorage and sessionStorage — and tells the other
 * tabs on the `wardline-tabs` channel so they clear and show the notice too. Holds no keys.
 */
const CHANNEL_NAME = 'wardline-tabs'

export type WipedMessage = { type: 'wiped'; code: string }

/** Deletes what the origin stores; each step is tried even if another fails. */
export async function eraseOriginData(): Promise<void> {
  const steps: Array<() => Promise<unknown>> = [
    async () => {
      for (const info of await indexedDB.databases()) {
        if (info.name) await deleteDatabase(info.name)
      }
    },
    async () => {
      for (const key of await caches.keys()) await caches.delete(key)
    },
    async () => {
      for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister()
    },
    () => Promise.resolve(localStorage.clear()),
    () => Promise.resolve(sessionStorage.clear()),
  ]
  for (const step of steps) await step().catch(() => {})
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((done) => {
    const req = indexedDB.deleteDatabase(name)
    req.onsuccess = req.onerror = req.onblocked = () => done()
  })
}

export function broadcastWiped(code: string): void {
  const channel = new BroadcastChannel(CHANNEL_NAME)
  channel.postMessage({ type: 'wiped', code } satisfies WipedMessage)
  channel.close()
}

/** Calls `onWiped` when another tab of this device erased it. */
export function onWipedElsewhere(onWiped: (code: string) => void): void {
  new BroadcastChannel(CHANNEL_NAME).addEventListener('message', (e: MessageEvent<WipedMessage>) => {
    if (e.data?.type === 'wiped' && typeof e.data.code === 'string') onWiped(e.data.code)
  })
}
