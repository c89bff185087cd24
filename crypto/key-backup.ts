/**
 * Encrypted key backup (issue 3, "History on a new or restored device"; decision 0007): a user's
 * epoch keys, per conversation and epoch, sealed under a key derived from a recovery key that
 * only the user holds, so a new device can read history no other device can re-seal to it. The
 * recovery key is 160 random bits shown as grouped Crockford base32 with a 40-bit checksum
 * (`WLRK-XXXX-…`); it is never derived from the PIN. Pure functions over bytes, noble only.
 */
import { openAead, sealAead } from './aead.ts'
import {
  bytesToHex,
  decodeTextTuple,
  decodeTupleList,
  encodeTuple,
  equalBytes,
  fromBase32,
  parseCount,
  randomBytes,
  toBase32,
  utf8,
} from './bytes.ts'
import { deriveKey, sha256 } from './hkdf.ts'
import {
  encodeKeyBackupHeader,
  type KeyBackupHeader,
  MAX_BACKUP_KEYS,
  parseKeyBackupHeader,
  splitKeyBackup,
} from './key-backup-header.ts'
import { err, ok, type Result } from './result.ts'

export * from './key-backup-header.ts'

/** Bytes of randomness in a recovery key (160 bits: offline guessing is out of reach). */
export const RECOVERY_SECRET_BYTES = 20
const CHECK_BYTES = 5
const PREFIX = 'WLRK'
const PAD_BLOCK = 4096

/** One epoch key of one conversation. */
export type BackupEntry = { conversationId: string; epoch: number; key: Uint8Array }

function checksum(secret: Uint8Array): Uint8Array {
  return sha256(encodeTuple(['wardline/recovery-key/check/v1', secret])).subarray(0, CHECK_BYTES)
}

/** Formats 20 secret bytes as `WLRK-XXXX-…-XXXX` (10 groups: 32 secret + 8 checksum characters). */
export function formatRecoveryKey(secret: Uint8Array): string {
  if (secret.length !== RECOVERY_SECRET_BYTES) {
    throw new RangeError(`expected ${RECOVERY_SECRET_BYTES}-byte recovery secret, got ${secret.length}`)
  }
  const chars = toBase32(new Uint8Array([...secret, ...checksum(secret)]))
  return [PREFIX, ...(chars.match(/.{4}/g) ?? [])].join('-')
}

/** A new random recovery key: the text to show once, and the secret it stands for. */
export function newRecoveryKey(): { text: string; secret: Uint8Array } {
  const secret = randomBytes(RECOVERY_SECRET_BYTES)
  return { text: formatRecoveryKey(secret), secret }
}

/**
 * Reads a typed recovery key: case, spaces, dashes and the `WLRK` prefix are optional, and the
 * look-alikes I/L/O read as 1/1/0. `backup/bad-recovery-key` when it is not one (length or
 * characters); `backup/recovery-key-typo` when the checksum shows a mistyped character.
 */
export function parseRecoveryKey(text: string): Result<Uint8Array> {
  if (typeof text !== 'string' || text.length > 200) return err('backup/bad-recovery-key')
  let s = text.toUpperCase().replace(/[\s-]/g, '')
  if (s.length === 44 && s.startsWith(PREFIX)) s = s.slice(PREFIX.length)
  const bytes = fromBase32(s, RECOVERY_SECRET_BYTES + CHECK_BYTES)
  if (!bytes.ok) return err('backup/bad-recovery-key')
  const secret = bytes.value.slice(0, RECOVERY_SECRET_BYTES)
  if (!equalBytes(checksum(secret), bytes.value.subarray(RECOVERY_SECRET_BYTES))) {
    return err('backup/recovery-key-typo')
  }
  return ok(secret)
}

/** The key that seals the backup: HKDF of the recovery secret (what devices store, not the text). */
export function deriveBackupKey(secret: Uint8Array): Uint8Array {
  if (secret.length !== RECOVERY_SECRET_BYTES) {
    throw new RangeError(`expected ${RECOVERY_SECRET_BYTES}-byte recovery secret, got ${secret.length}`)
  }
  return deriveKey(secret, utf8('wardline/key-backup/salt/v1'), utf8('wardline/key-backup/key/v1'))
}

/** Names a backup key in the clear header; a one-way hash, so it reveals nothing of the key. */
export function backupKeyId(backupKey: Uint8Array): string {
  return bytesToHex(sha256(encodeTuple(['wardline/key-backup/key-id/v1', backupKey])).subarray(0, 8))
}

function encodeEntries(entries: readonly BackupEntry[]): Uint8Array {
  if (entries.length > MAX_BACKUP_KEYS) {
    throw new RangeError(`expected at most ${MAX_BACKUP_KEYS} keys, got ${entries.length}`)
  }
  const body = encodeTuple(entries.map((e) => {
    if (e.key.length !== 32 || !Number.isSafeInteger(e.epoch) || e.epoch < 0 || e.conversationId === '') {
      throw new RangeError('expected entries with a conversation id, an epoch ≥ 0 and a 32-byte key')
    }
    return encodeTuple([e.conversationId, String(e.epoch), e.key])
  }))
  // Padded to whole blocks so the relay learns the number of keys only roughly.
  const out = new Uint8Array(Math.ceil((body.length + 4) / PAD_BLOCK) * PAD_BLOCK)
  new DataView(out.buffer).setUint32(0, body.length)
  out.set(body, 4)
  return out
}

function decodeEntries(padded: Uint8Array): Result<BackupEntry[]> {
  if (padded.length < 4) return err('backup/malformed')
  const len = new DataView(padded.buffer, padded.byteOffset, padded.byteLength).getUint32(0)
  if (len > padded.length - 4) return err('backup/malformed')
  const list = decodeTupleList(padded.subarray(4, 4 + len), MAX_BACKUP_KEYS)
  if (!list.ok) return err('backup/malformed')
  const out: BackupEntry[] = []
  for (const item of list.value) {
    const f = decodeTextTuple(item, 3, 2)
    if (!f.ok) return err('backup/malformed')
    const [conversationId, epochText] = f.value.text as [string, string]
    const epoch = parseCount(epochText)
    const key = f.value.bytes[0]!
    if (conversationId === '' || epoch === null || key.length !== 32) return err('backup/malformed')
    out.push({ conversationId, epoch, key: key.slice() })
  }
  return ok(out)
}

/**
 * Seals the entries under the backup key: `T(header, nonce24 ‖ AEAD(backupKey, nonce,
 * pad(T(T(conversationId, epoch, key)*)), ad = header))`. The header's keyId is computed here.
 */
export function sealKeyBackup(
  entries: readonly BackupEntry[],
  backupKey: Uint8Array,
  header: Omit<KeyBackupHeader, 'keyId'>,
): Uint8Array {
  const head = encodeKeyBackupHeader({ ...header, keyId: backupKeyId(backupKey) })
  return encodeTuple([head, sealAead(backupKey, encodeEntries(entries), head)])
}

/**
 * Opens a backup with the backup key, in order: parse the header → it names `expect.userId` →
 * its keyId is this key's (`backup/wrong-recovery-key`) → the AEAD opens with the header as
 * associated data (`backup/corrupt`: altered) → the contents parse. Never throws on the blob.
 */
export function openKeyBackup(
  blob: Uint8Array,
  backupKey: Uint8Array,
  expect: { userId: string },
): Result<{ header: KeyBackupHeader; entries: BackupEntry[] }> {
  const header = parseKeyBackupHeader(blob)
  if (!header.ok) return header
  if (header.value.userId !== expect.userId) return err('backup/wrong-user')
  if (header.value.keyId !== backupKeyId(backupKey)) return err('backup/wrong-recovery-key')
  const parts = splitKeyBackup(blob)
  if (!parts.ok) return parts
  const opened = openAead(backupKey, parts.value.sealed, parts.value.header)
  if (!opened.ok) return err('backup/corrupt')
  const entries = decodeEntries(opened.value)
  return entries.ok ? ok({ header: header.value, entries: entries.value }) : entries
}
