/**
 * Every resource bound of the relay as a named constant (DESIGN §5, issue 4), and the
 * environment variables an operator may use to change the ones that depend on the deployment.
 * Each has an over-the-limit test (relay/ws/limits.test.ts and the tests named below). Pure
 * data and parsing: no sockets, no storage.
 */
import { MAX_BLOB_BYTES, MAX_FRAME_BYTES } from './wire/frames.ts'

/**
 * Largest frame either side accepts; over it the relay closes with 1009 on receipt without
 * decoding (Deno's WebSocket cannot cap a message before reading it). Shared with clients
 * through wire/frames.ts, so it has no environment override.
 */
export { MAX_BLOB_BYTES, MAX_FRAME_BYTES }

/**
 * Outbound bytes a connection may have queued; a send past it drops the slow reader. At least
 * two frames (checked at start), so a catch-up paced below a quarter of it never trips it.
 */
export const MAX_BUFFERED_BYTES = 2 * MAX_FRAME_BYTES
/** How long a catch-up waits for a connection to drain below a quarter of the cap before dropping it. */
export const SLOW_READER_TIMEOUT_MS = 30_000
/** Received frames not yet handled, in bytes, per connection: a flood is closed with 1008. */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024
/**
 * WebSocket connections per address that have not logged in yet; more get HTTP 429 before the
 * upgrade. Generous because a ward's PCs may share one NAT address and all reconnect at once.
 */
export const MAX_UNAUTHENTICATED_PER_ADDRESS = 64
/** A connection that has not logged in by then is closed with 4008. */
export const LOGIN_TIMEOUT_MS = 10_000
/** Token bucket per device for `send` frames: refill rate and size (a reconnect's outbox flush). */
export const MESSAGES_PER_SECOND = 20
export const MESSAGE_BURST = 200
/** Live logged-in connections per device (tabs of one browser profile); more are closed 4029. */
export const MAX_CONNECTIONS_PER_DEVICE = 8
/**
 * Mailbox time-to-live: data entries covered by a member's compaction snapshot are deleted once
 * the snapshot is this old (decision 0008), so devices that are merely slow still read them
 * as they were; the job runs every COMPACTION_INTERVAL_MS. Entries no snapshot covers are kept
 * whatever their age: without one, a device behind the pruned point could not catch up.
 */
export const COMPACTION_GRACE_MS = 7 * 24 * 60 * 60 * 1000
export const COMPACTION_INTERVAL_MS = 60 * 60 * 1000
/**
 * Deno's WebSocket `idleTimeout`: a socket silent for half of it gets a protocol ping, and is
 * closed when no pong came by the end, so a half-open socket is gone within 40 s (< 1 minute).
 */
export const IDLE_TIMEOUT_MS = 40_000
/**
 * Attachment blobs (decision 0018): bytes of incomplete uploads one device may have at a time
 * (four largest files; more is `blob/quota-exceeded`), and how long an incomplete upload is kept
 * before the pruning job deletes it with its chunks (a device offline longer starts again).
 */
export const MAX_PENDING_BLOB_BYTES = 4 * MAX_BLOB_BYTES
export const BLOB_UPLOAD_TTL_MS = 24 * 60 * 60 * 1000
/** Graceful shutdown: how long in-flight frame handlers may take before storage is closed. */
export const SHUTDOWN_DRAIN_MS = 10_000

export type Limits = {
  maxBufferedBytes: number
  slowReaderTimeoutMs: number
  maxQueuedBytes: number
  maxUnauthenticatedPerAddress: number
  loginTimeoutMs: number
  messagesPerSecond: number
  messageBurst: number
  maxConnectionsPerDevice: number
  compactionGraceMs: number
  compactionIntervalMs: number
  idleTimeoutMs: number
  shutdownDrainMs: number
  maxPendingBlobBytes: number
  blobUploadTtlMs: number
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxBufferedBytes: MAX_BUFFERED_BYTES,
  slowReaderTimeoutMs: SLOW_READER_TIMEOUT_MS,
  maxQueuedBytes: MAX_QUEUED_BYTES,
  maxUnauthenticatedPerAddress: MAX_UNAUTHENTICATED_PER_ADDRESS,
  loginTimeoutMs: LOGIN_TIMEOUT_MS,
  messagesPerSecond: MESSAGES_PER_SECOND,
  messageBurst: MESSAGE_BURST,
  maxConnectionsPerDevice: MAX_CONNECTIONS_PER_DEVICE,
  compactionGraceMs: COMPACTION_GRACE_MS,
  compactionIntervalMs: COMPACTION_INTERVAL_MS,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  shutdownDrainMs: SHUTDOWN_DRAIN_MS,
  maxPendingBlobBytes: MAX_PENDING_BLOB_BYTES,
  blobUploadTtlMs: BLOB_UPLOAD_TTL_MS,
}

/** Environment variable → limit, and the factor from the variable's unit to the limit's. */
export const LIMIT_ENV: Record<string, { key: keyof Limits; unit: number }> = {
  WARDLINE_MAX_BUFFERED_BYTES: { key: 'maxBufferedBytes', unit: 1 },
  WARDLINE_MAX_UNAUTHENTICATED_PER_ADDRESS: { key: 'maxUnauthenticatedPerAddress', unit: 1 },
  WARDLINE_LOGIN_TIMEOUT_SECONDS: { key: 'loginTimeoutMs', unit: 1000 },
  WARDLINE_MESSAGES_PER_SECOND: { key: 'messagesPerSecond', unit: 1 },
  WARDLINE_MESSAGE_BURST: { key: 'messageBurst', unit: 1 },
  WARDLINE_MAX_CONNECTIONS_PER_DEVICE: { key: 'maxConnectionsPerDevice', unit: 1 },
  WARDLINE_COMPACTION_GRACE_HOURS: { key: 'compactionGraceMs', unit: 60 * 60 * 1000 },
  WARDLINE_IDLE_TIMEOUT_SECONDS: { key: 'idleTimeoutMs', unit: 1000 },
  WARDLINE_MAX_PENDING_BLOB_BYTES: { key: 'maxPendingBlobBytes', unit: 1 },
  WARDLINE_BLOB_UPLOAD_TTL_HOURS: { key: 'blobUploadTtlMs', unit: 60 * 60 * 1000 },
}

/** Throws when limits contradict each other (a configuration error should stop the start). */
export function assertLimits(l: Limits): void {
  if (l.maxBufferedBytes < 2 * MAX_FRAME_BYTES) {
    throw new RangeError(`expected maxBufferedBytes ≥ ${2 * MAX_FRAME_BYTES} (two frames), got ${l.maxBufferedBytes}`)
  }
}

/** Reads the overrides present in `env`; a value that is not a number ≥ 0 throws (bad config). */
export function parseLimits(env: (name: string) => string | undefined): Partial<Limits> {
  const out: Partial<Limits> = {}
  for (const [name, { key, unit }] of Object.entries(LIMIT_ENV)) {
    const text = env(name)
    if (text === undefined || text.trim() === '') continue
    const value = Number(text)
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`expected ${name} to be a number ≥ 0, got ${text}`)
    }
    out[key] = value * unit
  }
  return out
}
