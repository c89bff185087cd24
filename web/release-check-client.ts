/**
 * Runs one release check in its own short-lived module worker (workers/release-check.worker.ts):
 * the UI never verifies signatures itself (crypto/ stays behind workers/). Resolves with the
 * worker's reply, or `release/unavailable` when the worker fails or takes too long.
 */
import type { ReleaseCheckReply, ReleaseCheckRequest } from '../workers/protocol.ts'

const CHECK_TIMEOUT_MS = 60_000

export function runReleaseCheck(request: ReleaseCheckRequest): Promise<ReleaseCheckReply> {
  const worker = new Worker(new URL('../workers/release-check.worker.ts', import.meta.url), {
    type: 'module',
    name: 'wardline-release-check',
  })
  return new Promise<ReleaseCheckReply>((resolve) => {
    const done = (reply: ReleaseCheckReply): void => {
      clearTimeout(timer)
      worker.terminate()
      resolve(reply)
    }
    const unavailable: ReleaseCheckReply = { v: 1, ok: false, code: 'release/unavailable', version: null }
    const timer = setTimeout(() => done(unavailable), CHECK_TIMEOUT_MS)
    worker.addEventListener('message', (e: MessageEvent<ReleaseCheckReply>) => done(e.data))
    worker.addEventListener('error', () => done(unavailable))
    worker.postMessage(request)
  })
}
