/**
 * The install prompt (issue 5): Chromium fires `beforeinstallprompt` when Wardline is
 * installable; we keep the event instead of letting the browser show its mini-infobar, and
 * wl-install-button offers "Install Wardline" until it is used or the app is installed. Must be
 * imported early (main.ts) so the event is not missed. iOS has no such event: its home-screen
 * metadata lives in index.html.
 */
type InstallPromptEvent = Event & {
  prompt: () => Promise<void>
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>
}

let deferred: InstallPromptEvent | null = null
const listeners = new Set<() => void>()
const notify = (): void => listeners.forEach((l) => l())

globalThis.addEventListener('beforeinstallprompt', (e) => {
  e.preventDefault()
  deferred = e as InstallPromptEvent
  notify()
})
globalThis.addEventListener('appinstalled', () => {
  deferred = null
  notify()
})

export function canInstall(): boolean {
  return deferred !== null
}

export function onInstallAvailability(listener: () => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** Shows the browser's install dialog; an event can prompt only once. */
export async function promptInstall(): Promise<'accepted' | 'dismissed' | 'unavailable'> {
  const event = deferred
  if (!event) return 'unavailable'
  deferred = null
  notify()
  await event.prompt()
  return (await event.userChoice).outcome
}
