/**
 * Registers the generated service worker by hand (the strict CSP forbids the plugin's inline
 * registration script). Update policy (DESIGN §6: never loop, never strand a tab): the new
 * service worker skips waiting and claims clients, but this page is never reloaded for it — it
 * keeps running the build it loaded, and the next load gets the new one. A quiet banner offers
 * a reload. `isBuildStale()` tells code that is about to fetch a hashed file of the old build
 * (starting the worker after a tab take-over) to reload instead.
 */
import { Workbox } from 'workbox-window'

const UPDATE_CHECK_MS = 60 * 60 * 1000

let stale = false
const staleListeners = new Set<() => void>()

export function isBuildStale(): boolean {
  return stale
}

/** Called once when a newer build has taken over the service worker. */
export function onBuildStale(listener: () => void): () => void {
  staleListeners.add(listener)
  return () => staleListeners.delete(listener)
}

export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return
  // The first install claims this page too (clientsClaim) but serves the build it runs; only a
  // change away from an existing controller means a newer build took over.
  let controlled = navigator.serviceWorker.controller !== null
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    const replaced = controlled
    controlled = true
    if (!replaced || stale) return
    stale = true
    for (const listener of staleListeners) listener()
  })
  const wb = new Workbox(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL })
  wb.register().catch((error: unknown) => console.error('wardline: service worker registration failed', error))

  // Long-lived PWAs (a ward PC left open) rarely navigate, so ask for updates now and then.
  let lastCheck = Date.now()
  const check = (): void => {
    if (Date.now() - lastCheck < UPDATE_CHECK_MS / 4) return
    lastCheck = Date.now()
    wb.update().catch(() => undefined) // offline: try again later
  }
  setInterval(check, UPDATE_CHECK_MS)
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') check()
  })
}
