/**
 * App entry: takes a code from the address, registers the service worker (verified updates:
 * release-updates.ts), and runs the worker only while this tab holds the one-active-tab lock
 * (tab-lock.ts). Mounts <wl-app> when active and <wl-other-tab> when another tab has Wardline
 * open; <wl-release-banner> above both shows update offers and warnings.
 */
import './app.css'
import './install-prompt.ts'
import './elements/wl-app.ts'
import './elements/wl-other-tab.ts'
import './elements/wl-release-banner.ts'
import { takeHashCodes } from './hash-codes.ts'
import { isBuildStale, registerServiceWorker } from './register-sw.ts'
import { configureUpdates, RUNNING_RELEASE } from './release-updates.ts'
import { startTabLock } from './tab-lock.ts'
import { startWorkerClient, type WorkerClient } from './worker-client.ts'
import { broadcastWiped, eraseOriginData, onWipedElsewhere } from './device-wipe.ts'

const root = document.getElementById('app')
if (!root) throw new Error('expected #app in index.html')

const codes = takeHashCodes()
// Which build this page runs, for people and tests (`document.documentElement.dataset`).
document.documentElement.dataset.wardlineRelease = RUNNING_RELEASE.version

let client: WorkerClient | null = null
let active = false

function mountApp(notice: string | null = null): void {
  active = true
  // The old build's hashed worker file may be gone after an update: load the new build first.
  if (isBuildStale()) return tabLock.takeOverAfterReload()
  client?.terminate()
  client = startWorkerClient()
  const app = document.createElement('wl-app')
  app.client = client
  app.codes = codes
  app.notice = notice
  watchLifecycle(client)
  root!.replaceChildren(app)
}

/**
 * Decision 0012: the worker erased the device → erase the rest of the origin, tell the other
 * tabs, start over at enrollment with the reason; the worker locked itself (lease, session
 * limit) → replace it, so no key stays in its memory, and say why.
 */
function watchLifecycle(c: WorkerClient): void {
  c.on('wiped', ({ code }) => {
    c.terminate()
    void eraseOriginData().then(() => {
      broadcastWiped(code)
      if (client === c) mountApp(code)
    })
  })
  c.on('locked', ({ code }) => client === c && mountApp(code))
}

const tabLock = startTabLock({
  onActive: mountApp,
  onInactive() {
    active = false
    client?.terminate()
    client = null
    root.replaceChildren(document.createElement('wl-other-tab'))
  },
})

// An update reload of the active tab comes back as the active tab; another tab just reloads.
configureUpdates({
  reload: () => (active ? tabLock.takeOverAfterReload() : location.reload()),
  isActiveTab: () => active,
})
registerServiceWorker()

// Another tab erased this device: clear this tab's own storage and say what happened.
onWipedElsewhere((code) => {
  sessionStorage.clear()
  if (client) return mountApp(code)
  const notice = document.createElement('wl-other-tab')
  notice.notice = code
  root.replaceChildren(notice)
})

// Tell the worker when the browser's network state changes: it drops a socket the platform
// knows is dead at once, and retries at once when the network is back.
for (const type of ['online', 'offline'] as const) {
  globalThis.addEventListener(type, () => void client?.call('networkChanged', { online: type === 'online' }).catch(() => {}))
}

root.addEventListener('wl-use-here', () => (isBuildStale() ? tabLock.takeOverAfterReload() : tabLock.takeOver()))
root.addEventListener('wl-reload', () => tabLock.takeOverAfterReload())
root.addEventListener('wl-restart-worker', () => client && mountApp())
