/**
 * Compaction uploads (DESIGN §4): a member sends its encrypted snapshot in parts; the relay joins
 * them, checks that the snapshot is signed by that device and states this conversation and
 * position, and stores it. It cannot open it. Pruning the entries it covers happens later, after
 * the grace period (server.ts), so devices that are merely slow still read the entries themselves.
 */
import { joinSnapshot, MAX_SNAPSHOT_PARTS, parseDeviceBinding, verifySnapshot } from '../crypto-surface.ts'
import type { FrameOf } from '../wire/frames.ts'
import type { SessionContext } from './context.ts'

/** Snapshot uploads held in memory across all sessions at once (each ≤ MAX_SNAPSHOT_PARTS parts). */
export const MAX_CONCURRENT_SNAPSHOT_UPLOADS = 8

/** An upload with no part for this long gives up its slot to the next one that needs it. */
export const SNAPSHOT_UPLOAD_IDLE_MS = 30_000

type Upload = { conversationId: string; seq: number; count: number; parts: Uint8Array[]; lastPartAt: number }

// Per relay process; every entry is removed when its upload ends or its session closes.
const uploads = new Map<SessionContext, Upload>()

function end(s: SessionContext): void {
  uploads.delete(s)
}

/** Frees the slots of uploads that stalled (a member cannot hold every slot by going quiet). */
function evictStalled(now: number): void {
  for (const [s, up] of uploads) if (now - up.lastPartAt > SNAPSHOT_UPLOAD_IDLE_MS) uploads.delete(s)
}

/** Forgets a closed session's unfinished upload. */
export function dropSnapshotUpload(s: SessionContext): void {
  end(s)
}

export async function handlePutSnapshot(s: SessionContext, f: FrameOf<'putSnapshot'>): Promise<void> {
  const { storage, log } = s.deps
  const refuse = (code: string) => {
    end(s)
    s.sendError(code, f.ref)
  }
  if (f.count < 1 || f.count > MAX_SNAPSHOT_PARTS || f.index >= f.count) return refuse('relay/bad-snapshot')
  if (!(await storage.isMember(f.conversationId, s.deviceId))) return refuse('relay/not-member')
  let up = uploads.get(s)
  if (f.index === 0) {
    end(s)
    evictStalled(Date.now())
    if (uploads.size >= MAX_CONCURRENT_SNAPSHOT_UPLOADS) return s.sendError('relay/busy', f.ref)
    up = { conversationId: f.conversationId, seq: f.seq, count: f.count, parts: [], lastPartAt: Date.now() }
    uploads.set(s, up)
  }
  if (!up || up.conversationId !== f.conversationId || up.seq !== f.seq || up.count !== f.count || up.parts.length !== f.index) {
    return refuse('relay/bad-snapshot')
  }
  up.parts.push(f.part)
  up.lastPartAt = Date.now()
  if (up.parts.length < up.count) return s.sendFrame({ type: 'ack', ref: f.ref, conversationId: f.conversationId, seq: f.seq })
  end(s)
  const device = await storage.getDevice(s.deviceId)
  const binding = device ? parseDeviceBinding(device.binding) : null
  const snapshot = binding?.ok ? verifySnapshot(joinSnapshot(up.parts), binding.value.signingPublicKey) : null
  const head = snapshot?.ok ? snapshot.value.head : null
  if (!head || head.conversationId !== f.conversationId || head.seq !== f.seq || head.signerDeviceId !== s.deviceId) {
    return refuse('relay/bad-snapshot')
  }
  const stored = await storage.putSnapshot({ conversationId: f.conversationId, seq: f.seq, deviceId: s.deviceId, parts: up.parts, storedAt: Date.now() })
  if (stored !== 'ok') return refuse(stored)
  log('snapshot.stored', { seq: f.seq, parts: up.count })
  s.sendFrame({ type: 'ack', ref: f.ref, conversationId: f.conversationId, seq: f.seq })
}
