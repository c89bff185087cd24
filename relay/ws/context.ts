/**
 * What a frame handler may use: the storage, the hub, the log, and the logged-in session it
 * serves. Handlers depend on this interface rather than on the Session class, so the session
 * and its handlers import each other in one direction only.
 */
import type { RelayBus } from '../bus/bus.ts'
import type { Limits } from '../limits.ts'
import type { Log } from '../log.ts'
import type { Metrics } from '../metrics.ts'
import type { AuditHook } from '../audit/hook.ts'
import type { RelayStorage } from '../storage/storage.ts'
import type { Frame } from '../wire/frames.ts'
import type { Hub, HubMember } from './hub.ts'
import type { RoleMap } from '../scim/roles.ts'
import type { NetworkBoundaries } from '../network-boundaries.ts'
import type { DeviceRateLimiter } from './rate-limit.ts'

/** `bus` reaches the other relays on the same store (none on SQLite). */
export type RelayDeps = {
  storage: RelayStorage
  hub: Hub
  log: Log
  bus: RelayBus
  metrics: Metrics
  limits: Limits
  /** The per-device `send` token buckets (limits.messagesPerSecond, messageBurst). */
  sendRate: DeviceRateLimiter
  lease?: LeaseIssuer
  /** Appends an event to the hash-chained audit log (relay/audit/hook.ts, issue 8). */
  audit: AuditHook
  /** WARDLINE_SCIM_ROLE_MAP: SCIM group names → the role the directory wishes for (issue 7). */
  scimRoleMap?: RoleMap
  /** WARDLINE_NETWORKS: per role, the address ranges it is admitted from (decision 0017). */
  networks?: NetworkBoundaries
}

/** Tells every logged-in session, on this relay and the others, to refetch the directory. */
export function announceDirectoryChanged(deps: RelayDeps): void {
  deps.hub.broadcastLoggedIn({ type: 'directoryChanged' })
  deps.bus.publish({ type: 'directoryChanged' })
}

/** The relay's offline-lease signer (relay/ws/lease.ts, decision 0012). */
export type LeaseIssuer = { secretKey: Uint8Array; publicKey: Uint8Array; durationMs: number }

export interface SessionContext extends HubMember {
  readonly deps: RelayDeps
  readonly userId: string
  readonly role: string
  sendFrame(frame: Frame): void
  sendError(code: string, ref: string): void
  /**
   * Resolves true once the socket's outbound queue is below a quarter of limits.maxBufferedBytes, so
   * a catch-up never queues more than the cap; false (and the socket dropped) when the reader
   * does not drain within limits.slowReaderTimeoutMs or the socket closed.
   */
  drain(): Promise<boolean>
}

/** Longest conversation id, ref or device id the relay accepts (keeps rows and logs small). */
export const MAX_ID_LENGTH = 128
export const isSaneId = (s: string): boolean => s.length > 0 && s.length <= MAX_ID_LENGTH
