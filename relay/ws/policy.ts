/**
 * Admins' uploads of the organisation's root-signed device policy (PIN strength, wrong-PIN limit,
 * idle lock; crypto/policy.ts). The relay checks the root signature so it never serves junk and
 * keeps only newer versions, but it cannot write a policy: it has no root key (DESIGN §3).
 * Clients verify again against their pinned root before applying it.
 */
import { verifyPolicy } from '../crypto-surface.ts'
import type { FrameOf } from '../wire/frames.ts'
import { announceDirectoryChanged, type SessionContext } from './context.ts'

export async function handlePutPolicy(s: SessionContext, f: FrameOf<'putPolicy'>): Promise<void> {
  if (s.role !== 'admin') return s.sendError('relay/forbidden', f.ref)
  const { storage, log } = s.deps
  const root = (await storage.getOrg()).rootPublicKey
  const policy = root ? verifyPolicy(f.policy, root) : null
  if (!policy?.ok) return s.sendError('relay/bad-policy', f.ref)
  const stored = await storage.putPolicy(f.policy, policy.value.version)
  if (stored !== 'ok') return s.sendError(stored, f.ref)
  log('policy.stored', { version: policy.value.version })
  await s.deps.audit('policy.changed', { version: policy.value.version }, s.deviceId)
  s.sendFrame({ type: 'ack', ref: f.ref, conversationId: '', seq: 0 })
  // Clients refetch GET /api/policy on directoryChanged (workers/wardline.worker.ts).
  announceDirectoryChanged(s.deps)
}
