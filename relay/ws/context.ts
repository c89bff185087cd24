/**
 * What a frame handler may use: the storage, the hub, the log, and the logged-in session it
 * serves. Handlers depend on this interface rather than on the Session class, so the session
 * and its handlers import each other in one direction only.
 */
import type { Log } from '../log.ts'
import type { RelayStorage } from '../storage/storage.ts'
import type { Frame } from '../wire/frames.ts'
import type { Hub, HubMember } from './hub.ts'

export type RelayDeps = { storage: RelayStorage; hub: Hub; log: Log; lease?: LeaseIssuer }
/** The relay's offline-lease signer (relay/ws/lease.ts, decision 0010). */
export type LeaseIssuer = { secretKey: Uint8Array; publicKey: Uint8Array; durationMs: number }

export interface SessionContext extends HubMember {
  readonly deps: RelayDeps
  readonly userId: string
  readonly role: string
  sendFrame(frame: Frame): void
  sendError(code: string, ref: string): void
}

/** Longest conversation id, ref or device id the relay accepts (keeps rows and logs small). */
export const MAX_ID_LENGTH = 128
export const isSaneId = (s: string): boolean => s.length > 0 && s.length <= MAX_ID_LENGTH
