/**
 * App entry: takes a code from the address, registers the service worker, and runs the worker
 * only while this tab holds the one-active-tab lock (tab-lock.ts). Mounts <wl-app> when active
 * and <wl-other-tab> when another tab has Wardline open.
 */
import './app.css'
import './elements/wl-app.ts'
import './elements/wl-other-tab.ts'
import { takeHashCodes } from './hash-codes.ts'
import { isBuildStale, registerServiceWorker } from './register-sw.ts'
import { startTabLock } from './tab-lock.ts'
import { startWorkerClient, type WorkerClient } from './worker-client.ts'
import { broadcastWiped, eraseOriginData, onWipedElsewhere } from './device-wipe.ts'

const root = document.getElementById('app')
if (!root) throw new Error('expected #app in index.html')

const codes = takeHashCodes()
registerServiceWorker()

let client: WorkerClient | null = null

function mountApp(notice: string | null = null): void {
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
 * Decision 0010: the worker erased the device → erase the rest of the origin, tell the other
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
    client?.terminate()
    client = null
    root.replaceChildren(document.createElement('wl-other-tab'))
  },
})

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
