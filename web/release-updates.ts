/**
 * Verified updates of the PWA (issue 5, DESIGN §6, decision 0010). A new service worker waits
 * (skipWaiting is off); this module has the release checked against the key pinned at install,
 * then offers "Update available — Reload" or applies it at a safe moment (no unsent draft, and
 * the PIN prompt right after launch or the page hidden). A release that fails is never activated:
 * the current build stays, a persistent warning shows and the relay is told
 * (`/api/release-alerts`). A tab left on an old build after another tab updated ("stale") reloads
 * at its next safe moment or shows the banner. At most one automatic reload per build per tab
 * session, so nothing loops. Touches no worker internals and no user data.
 */
import type { AppPhase, ReleaseCheckCode, ReleaseCheckReply } from '../workers/protocol.ts'
import { hasDrafts } from './drafts.ts'
import { runReleaseCheck } from './release-check-client.ts'

export const RUNNING_RELEASE = __WARDLINE_RELEASE__
/** The release key pinned by the first load (public, so Web Storage is fine). */
export const PIN_STORAGE_KEY = 'wardline-release-key'
/** Set before a reload for an update: the build we reloaded away from. */
const RELOADED_FROM_KEY = 'wardline-update-reloaded-from'
/** "At next launch": the PIN prompt within this long of the page loading is a safe moment. */
const LAUNCH_WINDOW_MS = 15_000

export type UpdateState =
  | { kind: 'none' }
  | { kind: 'ready'; version: string } // a verified waiting worker
  | { kind: 'applying'; version: string }
  | { kind: 'stale' } // another tab took a newer build; this page still runs the old one
  | { kind: 'refused'; of: 'update' | 'running'; code: ReleaseCheckCode; version: string | null }

export type UpdateDeps = {
  /** Reloads this page (the active tab keeps the active-tab lock across it). */
  reload: () => void
  /** This tab holds the active-tab lock (tab-lock.ts); only it knows about drafts. */
  isActiveTab: () => boolean
}

let state: UpdateState = { kind: 'none' }
const listeners = new Set<(s: UpdateState) => void>()
let deps: UpdateDeps = { reload: () => location.reload(), isActiveTab: () => true }
let phase: AppPhase | null = null
let registration: ServiceWorkerRegistration | null = null
let verifiedWorker: ServiceWorker | null = null
let checking: ServiceWorker | null = null
let refusedWorker: ServiceWorker | null = null
let accepting = false
const reported = new Set<string>()

// One automatic reload per build per session: if we reloaded for an update and still run the
// same build (the update did not take), only the banner remains.
const reloadedFrom = sessionStorage.getItem(RELOADED_FROM_KEY)
sessionStorage.removeItem(RELOADED_FROM_KEY)
const autoReloadAllowed = reloadedFrom !== RUNNING_RELEASE.version

export function getUpdateState(): UpdateState {
  return state
}

export function onUpdateState(listener: (s: UpdateState) => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

function setState(next: UpdateState): void {
  state = next
  for (const l of listeners) l(next)
  considerSafeMoment()
}

export function configureUpdates(given: UpdateDeps): void {
  deps = given
}

/** The first load pins the key it was built with; later builds never replace it. */
export function pinnedReleaseKey(): string {
  const pinned = localStorage.getItem(PIN_STORAGE_KEY)
  if (pinned && /^[0-9a-f]{64}$/.test(pinned)) return pinned
  localStorage.setItem(PIN_STORAGE_KEY, RUNNING_RELEASE.publicKey)
  return RUNNING_RELEASE.publicKey
}

/** wl-app reports the phase so an update can wait for a safe moment. */
export function reportAppPhase(next: AppPhase | null): void {
  phase = next
  considerSafeMoment()
}

function isSafeMoment(): boolean {
  if (hasDrafts()) return false
  if (phase === 'locked' && performance.now() < LAUNCH_WINDOW_MS) return true
  return document.visibilityState === 'hidden' && (phase === 'locked' || phase === 'ready')
}

function considerSafeMoment(): void {
  if (!autoReloadAllowed || accepting) return
  if (state.kind === 'ready' && deps.isActiveTab() && isSafeMoment()) acceptUpdate()
  // A tab without the lock has no drafts and no unlocked state: it can always reload.
  else if (state.kind === 'stale' && (!deps.isActiveTab() || isSafeMoment())) reloadForUpdate()
}

function reloadForUpdate(): void {
  sessionStorage.setItem(RELOADED_FROM_KEY, RUNNING_RELEASE.version)
  deps.reload()
}

/** "Reload" on the banner, or a safe moment: let the verified worker take over, then reload. */
export function acceptUpdate(): void {
  if (state.kind === 'stale') return reloadForUpdate()
  if (state.kind !== 'ready' || !registration || !verifiedWorker) return
  // Only the exact worker that was verified: a newer one may have replaced it meanwhile.
  if (registration.waiting !== verifiedWorker) return setState({ kind: 'none' })
  accepting = true
  setState({ kind: 'applying', version: state.version })
  verifiedWorker.postMessage({ type: 'SKIP_WAITING' })
}

/** The controller changed: ours if we accepted (reload once), else another tab's (stale). */
export function onControllerReplaced(): void {
  if (accepting) return reloadForUpdate()
  if (state.kind !== 'stale') setState({ kind: 'stale' })
}

export function isStale(): boolean {
  return state.kind === 'stale'
}

function report(of: 'update' | 'running', reply: Extract<ReleaseCheckReply, { ok: false }>): void {
  const key = `${of}:${reply.code}:${reply.version}`
  if (reported.has(key)) return
  reported.add(key)
  // No user content: the codes, the two versions and which check failed.
  const body = { code: reply.code, check: of, version: reply.version, running: RUNNING_RELEASE.version }
  void fetch(new URL('api/release-alerts', registration?.scope ?? location.origin), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    cache: 'no-store',
  }).catch(() => reported.delete(key)) // offline: report on the next check
}

/** A worker is waiting: verify its release before anything lets it take over. */
export async function verifyWaitingWorker(reg: ServiceWorkerRegistration, sw: ServiceWorker): Promise<void> {
  registration = reg
  if (checking === sw || verifiedWorker === sw || refusedWorker === sw || accepting) return
  checking = sw
  const reply = await runReleaseCheck({
    v: 1,
    kind: 'waiting',
    pinnedPublicKey: pinnedReleaseKey(),
    running: { version: RUNNING_RELEASE.version, releasedAt: RUNNING_RELEASE.releasedAt },
    scope: reg.scope,
  })
  checking = null
  if (reg.waiting !== sw) return // replaced meanwhile: the newer worker gets its own check
  if (reply.ok) {
    verifiedWorker = sw
    return setState({ kind: 'ready', version: reply.version })
  }
  if (reply.code === 'release/unavailable') return // offline: checked again on the next event
  refusedWorker = sw
  report('update', reply)
  setState({ kind: 'refused', of: 'update', code: reply.code, version: reply.version })
}

/** At launch: the build this page runs must verify against the pinned key too. */
export async function verifyRunningRelease(reg: ServiceWorkerRegistration): Promise<void> {
  registration = reg
  const reply = await runReleaseCheck({
    v: 1,
    kind: 'running',
    pinnedPublicKey: pinnedReleaseKey(),
    running: { version: RUNNING_RELEASE.version, releasedAt: RUNNING_RELEASE.releasedAt },
    scope: reg.scope,
  })
  if (reply.ok || reply.code === 'release/unavailable' || reply.code === 'release/other-version') return
  report('running', reply)
  if (state.kind === 'none') setState({ kind: 'refused', of: 'running', code: reply.code, version: reply.version })
}

document.addEventListener('visibilitychange', considerSafeMoment)
