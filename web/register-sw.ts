/**
 * Registers the generated service worker by hand (the strict CSP forbids the plugin's inline
 * registration script) and feeds its lifecycle to release-updates.ts: a worker that is waiting
 * (found now or later) is verified before anything lets it take over; a controller change that
 * this tab did not ask for means another tab updated, so this page runs a stale build.
 * `isBuildStale()` tells code about to fetch a hashed file of the old build (starting the worker
 * after a tab take-over) to reload instead.
 */
import {
  isStale,
  onControllerReplaced,
  onUpdateState,
  pinnedReleaseKey,
  verifyRunningRelease,
  verifyWaitingWorker,
} from './release-updates.ts'

const UPDATE_CHECK_MS = 60 * 60 * 1000
/** workbox-window waits this long after 'installed' too: a first install activates at once. */
const WAITING_SETTLE_MS = 200

export function isBuildStale(): boolean {
  return isStale()
}

/** Called once when a newer build has taken over the service worker. */
export function onBuildStale(listener: () => void): () => void {
  let told = false
  return onUpdateState((s) => {
    if (s.kind !== 'stale' || told) return
    told = true
    listener()
  })
}

function watchForWaiting(reg: ServiceWorkerRegistration): void {
  const consider = (sw: ServiceWorker | null): void => {
    if (sw && reg.active && reg.waiting === sw) void verifyWaitingWorker(reg, sw)
  }
  reg.addEventListener('updatefound', () => {
    const sw = reg.installing
    sw?.addEventListener('statechange', () => {
      if (sw.state === 'installed') setTimeout(() => consider(sw), WAITING_SETTLE_MS)
    })
  })
  // A check that could not fetch the release (offline) is retried when that may have changed.
  globalThis.addEventListener('online', () => consider(reg.waiting))
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') consider(reg.waiting)
  })
  if (reg.waiting) consider(reg.waiting)
  else if (navigator.serviceWorker.controller) void verifyRunningRelease(reg)
}

export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return
  pinnedReleaseKey() // the first load pins the key this build carries (THREAT_MODEL §2)
  // The first install claims this page too (clientsClaim) but serves the build it runs; only a
  // change away from an existing controller means a newer build took over.
  let controlled = navigator.serviceWorker.controller !== null
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    const replaced = controlled
    controlled = true
    if (replaced) onControllerReplaced()
  })
  const base = import.meta.env.BASE_URL
  navigator.serviceWorker
    .register(`${base}sw.js`, { scope: base })
    .then((reg) => {
      watchForWaiting(reg)
      // Long-lived PWAs (a ward PC left open) rarely navigate, so ask for updates now and then.
      let lastCheck = Date.now()
      const check = (): void => {
        if (Date.now() - lastCheck < UPDATE_CHECK_MS / 4) return
        lastCheck = Date.now()
        reg.update().catch(() => undefined) // offline: try again later
      }
      setInterval(check, UPDATE_CHECK_MS)
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') check()
      })
    })
    .catch((error: unknown) => console.error('wardline: service worker registration failed', error))
}
