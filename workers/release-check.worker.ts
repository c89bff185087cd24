/**
 * Module worker entry of the release check (workers/release-check.ts): answers one
 * `ReleaseCheckRequest` per message. Separate from the Wardline worker so that every tab — also
 * one that does not hold the active-tab lock — can verify an update, and so no user key is near.
 */
import { checkRelease } from './release-check.ts'
import type { ReleaseCheckReply, ReleaseCheckRequest } from './protocol.ts'

self.addEventListener('message', (e: MessageEvent<ReleaseCheckRequest>) => {
  void checkRelease(e.data).then(
    (reply) => self.postMessage(reply),
    () => self.postMessage({ v: 1, ok: false, code: 'release/unavailable', version: null } satisfies ReleaseCheckReply),
  )
})
