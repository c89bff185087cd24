/**
 * One active tab per device (DESIGN §6): only the tab holding the Web Lock `wardline-active`
 * runs the worker. Another tab shows "Wardline is open in another tab"; its "Use here" posts
 * `{type:'take-over'}` on the BroadcastChannel `wardline-tabs`, the holder stops its worker and
 * releases the lock, and the waiting request here is granted. Touches no worker internals.
 */
const LOCK_NAME = 'wardline-active'
const CHANNEL_NAME = 'wardline-tabs'
/** A frozen background tab (mobile) cannot answer the broadcast: steal the lock after this. */
const STEAL_AFTER_MS = 5000
/** Set before a reload that must come back as the active tab (see `takeOverAfterReload`). */
const RELOAD_FLAG = 'wardline-take-over'

export type TabLockHandlers = {
  /** This tab now holds the lock: start the worker. */
  onActive: () => void
  /** Another tab holds or took the lock: stop the worker (if any) and show the notice. */
  onInactive: () => void
}

export type TabLock = {
  takeOver: () => void
  /** For a stale build: reload the page and take over as it comes back. */
  takeOverAfterReload: () => void
}

type TakeOverMessage = { type: 'take-over' }

export function startTabLock(handlers: TabLockHandlers): TabLock {
  const channel = new BroadcastChannel(CHANNEL_NAME)
  let release: (() => void) | null = null
  let waiting = false

  const hold = (): Promise<void> => {
    waiting = false
    handlers.onActive()
    return new Promise<void>((resolve) => (release = resolve))
  }

  const stepDown = (): void => {
    if (!release) return
    const done = release
    release = null
    handlers.onInactive() // stops the worker before the lock is free
    done()
  }

  channel.addEventListener('message', (e: MessageEvent<TakeOverMessage>) => {
    if (e.data?.type === 'take-over') stepDown()
  })

  const takeOver = (): void => {
    if (waiting || release) return
    waiting = true
    const abort = new AbortController()
    const timer = setTimeout(() => abort.abort(), STEAL_AFTER_MS)
    navigator.locks
      .request(LOCK_NAME, { signal: abort.signal }, () => {
        clearTimeout(timer)
        return hold()
      })
      .catch((error: unknown) => {
        if (!abort.signal.aborted) throw error
        // The holder did not answer in time: steal; its own request then rejects (below).
        return navigator.locks.request(LOCK_NAME, { steal: true }, hold)
      })
      .catch(lostLock)
    channel.postMessage({ type: 'take-over' } satisfies TakeOverMessage)
  }

  // A stolen lock rejects the holder's request with AbortError: behave as if asked to step down.
  const lostLock = (error: unknown): void => {
    if (error instanceof DOMException && error.name === 'AbortError') {
      release = null
      waiting = false
      handlers.onInactive()
    } else {
      console.error('wardline: tab lock failed', error)
    }
  }

  const takeOverAfterReload = (): void => {
    sessionStorage.setItem(RELOAD_FLAG, '1')
    location.reload()
  }

  if (sessionStorage.getItem(RELOAD_FLAG)) {
    sessionStorage.removeItem(RELOAD_FLAG)
    takeOver()
  } else {
    navigator.locks
      .request(LOCK_NAME, { ifAvailable: true }, (lock) => {
        if (lock) return hold()
        handlers.onInactive()
        return undefined
      })
      .catch(lostLock)
  }
  return { takeOver, takeOverAfterReload }
}
