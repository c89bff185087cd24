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
import './elements/wl-profile-picker.ts'
import { takeHashCodes } from './hash-codes.ts'
import { isBuildStale, registerServiceWorker } from './register-sw.ts'
import { configureUpdates, RUNNING_RELEASE } from './release-updates.ts'
import { startPrivacyScreen } from './privacy-screen.ts'
import { requestPersistence } from './storage-persistence.ts'
import { startTabLock } from './tab-lock.ts'
import { startWorkerClient, type WorkerClient } from './worker-client.ts'
import { broadcastWiped, eraseOriginData, onWipedElsewhere } from './device-wipe.ts'
import { deleteDatabase, isSaved, listProfiles, newProfile, type Profile, reconcileProfiles, removeProfile, saveProfile } from './profiles.ts'

const root = document.getElementById('app')
if (!root) throw new Error('expected #app in index.html')

const codes = takeHashCodes()
// Blur everything while the window is out of focus, hidden or being left (issue 9, rule 4).
startPrivacyScreen()
// Which build this page runs, for people and tests (`document.documentElement.dataset`).
document.documentElement.dataset.wardlineRelease = RUNNING_RELEASE.version

let client: WorkerClient | null = null
let active = false
/** The person whose database the running worker serves; not in the index until enrolled. */
let current: Profile | null = null
/** The lock-screen label typed on the enrollment form (saved once enrollment succeeds). */
let pendingLabel = ''

/** Starts the app for whoever uses this device: the only person, or the picker for several. */
function mountApp(notice: string | null = null): void {
  active = true
  // The old build's hashed worker file may be gone after an update: load the new build first.
  if (isBuildStale()) return tabLock.takeOverAfterReload()
  stopWorker()
  void reconcileProfiles().then(() => {
    if (!active) return
    const profiles = listProfiles()
    // An enrollment link opened on a device others already use enrolls one more person.
    if (codes.enroll && profiles.length) return startProfile(newProfile(), notice)
    if (profiles.length > 1) return showPicker(notice)
    startProfile(profiles[0] ?? newProfile(), notice)
  })
}

function stopWorker(): void {
  client?.terminate()
  client = null
}

/** One worker for one person's database: it still needs that person's PIN to open anything. */
function startProfile(profile: Profile, notice: string | null = null): void {
  stopWorker()
  current = profile
  pendingLabel = ''
  client = startWorkerClient(profile.db)
  const app = document.createElement('wl-app')
  app.client = client
  app.codes = codes
  app.notice = notice
  const saved = listProfiles()
  app.profileLabel = profile.label
  app.otherProfiles = saved.filter((p) => p.id !== profile.id).length
  watchLifecycle(client)
  root!.replaceChildren(app)
}

/** Shared-device mode: no worker runs (so no key is in memory) while the picker shows. */
function showPicker(notice: string | null = null): void {
  stopWorker()
  current = null
  const picker = document.createElement('wl-profile-picker')
  picker.profiles = listProfiles()
  picker.notice = notice
  root!.replaceChildren(picker)
}

/**
 * Decision 0012: the worker erased its person's database → drop them from the index; if nobody
 * is left, erase the rest of the origin, tell the other tabs and start over at enrollment with
 * the reason; otherwise the others stay and the picker says what happened. The worker locked
 * itself (lease, session limit) → replace it, so no key stays in its memory, and say why.
 */
function watchLifecycle(c: WorkerClient): void {
  c.on('wiped', ({ code }) => {
    c.terminate()
    const gone = current
    if (gone) removeProfile(gone.id)
    if (listProfiles().length > 0) {
      void (gone ? deleteDatabase(gone.db) : Promise.resolve()).then(() => client === c && showPicker(code))
      return
    }
    void eraseOriginData().then(() => {
      broadcastWiped(code)
      if (client === c) mountApp(code)
    })
  })
  c.on('locked', ({ code }) => client === c && current && startProfile(current, code))
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
root.addEventListener('wl-restart-worker', () => client && current && startProfile(current))

// Shared-device mode. The first enrollment (or setup) of a profile puts it in the index.
root.addEventListener('wl-profile-label', (e) => (pendingLabel = e.detail))
root.addEventListener('wl-status', (e) => {
  // A store worth keeping exists now: ask the browser not to evict it (its keys would go too).
  if (e.detail.phase === 'ready') void requestPersistence()
  if (e.detail.phase === 'ready' && current && !isSaved(current)) {
    current = { ...current, label: pendingLabel }
    saveProfile(current)
  }
})
// Quick switch: terminating the worker drops every key of this person, as locking does.
root.addEventListener('wl-switch-user', () => showPicker())
root.addEventListener('wl-pick-profile', (e) => {
  const p = listProfiles().find((x) => x.id === e.detail)
  if (p) startProfile(p)
})
root.addEventListener('wl-add-profile', () => startProfile(newProfile()))
// Too many wrong PINs erased this person's database: the others keep theirs.
root.addEventListener('wl-wiped', () => {
  if (!current || !isSaved(current)) return
  removeProfile(current.id)
  if (listProfiles().length > 0) showPicker('local/wiped')
})
