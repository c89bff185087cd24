/**
 * The user's encrypted key backup (decision 0007): one opaque blob per user, which any logged-in
 * device of that user may replace with a higher version and read back. The relay reads only the
 * blob's clear header (user id and version counter, crypto/key-backup-header.ts); it has no key
 * to open it and logs nothing but the version.
 */
import { parseKeyBackupHeader } from '../crypto-surface.ts'
import type { FrameOf } from '../wire/frames.ts'
import { isSaneId, type SessionContext } from './context.ts'

/**
 * Largest step up from the stored version a new backup may take: versions count uploads, so a
 * jump to the top of the range (which would lock every later upload out) is refused.
 */
export const MAX_BACKUP_VERSION_STEP = 1000

export async function handlePutKeyBackup(s: SessionContext, f: FrameOf<'putKeyBackup'>): Promise<void> {
  if (!isSaneId(f.ref)) return s.sendError('relay/malformed-frame', '')
  const header = parseKeyBackupHeader(f.backup)
  if (!header.ok) return s.sendError('relay/malformed-backup', f.ref)
  // A device stores only its own user's backup, so one user cannot overwrite another's.
  if (header.value.userId !== s.userId) return s.sendError('relay/wrong-user', f.ref)
  const current = await s.deps.storage.getKeyBackup(s.userId)
  const was = current ? parseKeyBackupHeader(current) : null
  const ceiling = (was?.ok ? was.value.version : 0) + MAX_BACKUP_VERSION_STEP
  if (header.value.version > ceiling) return s.sendError('relay/stale-backup', f.ref)
  const stored = await s.deps.storage.putKeyBackup(s.userId, f.backup, header.value.version)
  if (stored !== 'ok') return s.sendError(stored, f.ref)
  s.deps.log('backup.stored', { version: header.value.version })
  s.sendFrame({ type: 'ack', ref: f.ref, conversationId: '', seq: header.value.version })
}

export async function handleGetKeyBackup(s: SessionContext, f: FrameOf<'getKeyBackup'>): Promise<void> {
  if (!isSaneId(f.ref)) return s.sendError('relay/malformed-frame', '')
  const blob = await s.deps.storage.getKeyBackup(s.userId)
  s.sendFrame({ type: 'keyBackup', ref: f.ref, backup: blob ?? new Uint8Array(0) })
}
