/**
 * The clear header of an encrypted key backup (crypto/key-backup.ts): whose backup it is, when it
 * was made, its version counter and the id of the key that sealed it. The relay reads it (to keep
 * one backup per user and only replace it with a higher version) without any key, so it lives
 * apart from the sealing code: the relay imports no decryption (DESIGN §2). The header is the
 * AEAD's associated data, so changing any field makes the backup fail to open.
 */
import { decodeTextTuple, decodeTuple, encodeTuple, parseCount } from './bytes.ts'
import { err, ok, type Result } from './result.ts'

export const KEY_BACKUP_TAG = 'wardline/key-backup/v1'
/** Most epoch keys one backup holds (about 80 bytes each before padding). */
export const MAX_BACKUP_KEYS = 4096
/** Largest backup blob either side accepts; fits one frame (MAX_FRAME_BYTES, 512 KiB). */
export const MAX_KEY_BACKUP_BYTES = 384 * 1024

export type KeyBackupHeader = {
  userId: string
  createdAt: number
  /** Grows with every upload; the relay replaces a stored backup only with a higher one. */
  version: number
  /** hex(SHA-256(tag ‖ backupKey)[0..8]): names the recovery key without revealing it. */
  keyId: string
}

export function encodeKeyBackupHeader(h: KeyBackupHeader): Uint8Array {
  for (const [name, n] of [['createdAt', h.createdAt], ['version', h.version]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`expected a non-negative integer ${name}, got ${n}`)
  }
  if (h.userId === '' || !/^[0-9a-f]{16}$/.test(h.keyId)) {
    throw new TypeError(`expected a user id and a 16-hex-digit key id, got ${JSON.stringify(h.keyId)}`)
  }
  return encodeTuple([KEY_BACKUP_TAG, h.userId, String(h.createdAt), String(h.version), h.keyId])
}

/** Splits a backup blob into its header bytes and the sealed contents. */
export function splitKeyBackup(blob: Uint8Array): Result<{ header: Uint8Array; sealed: Uint8Array }> {
  if (blob.length > MAX_KEY_BACKUP_BYTES) return err('backup/too-large')
  const outer = decodeTuple(blob, 2)
  if (!outer.ok) return err('backup/malformed')
  return ok({ header: outer.value[0]!, sealed: outer.value[1]! })
}

/** Reads the clear header of a backup blob (untrusted until the backup opens). */
export function parseKeyBackupHeader(blob: Uint8Array): Result<KeyBackupHeader> {
  const parts = splitKeyBackup(blob)
  if (!parts.ok) return parts
  const f = decodeTextTuple(parts.value.header, 5)
  if (!f.ok) return err('backup/malformed')
  const [tag, userId, created, version, keyId] = f.value.text as [string, string, string, string, string]
  const createdAt = parseCount(created)
  const v = parseCount(version)
  if (tag !== KEY_BACKUP_TAG) return err('backup/unknown-version')
  if (userId === '' || createdAt === null || v === null || !/^[0-9a-f]{16}$/.test(keyId)) {
    return err('backup/malformed')
  }
  return ok({ userId, createdAt, version: v, keyId })
}
