import assert from 'node:assert/strict'
import { bytesToHex, encodeTuple, randomBytes } from './bytes.ts'
import {
  backupKeyId,
  type BackupEntry,
  deriveBackupKey,
  formatRecoveryKey,
  MAX_BACKUP_KEYS,
  newRecoveryKey,
  openKeyBackup,
  parseKeyBackupHeader,
  parseRecoveryKey,
  RECOVERY_SECRET_BYTES,
  sealKeyBackup,
  splitKeyBackup,
} from './key-backup.ts'

const entries = (n: number): BackupEntry[] =>
  Array.from({ length: n }, (_, i) => ({ conversationId: `conv-${i % 3}`, epoch: i, key: randomBytes(32) }))

const header = { userId: 'u0123456789abcdef', createdAt: 1_764_000_000_000, version: 7 }

function backup(n = 3) {
  const { secret, text } = newRecoveryKey()
  const key = deriveBackupKey(secret)
  const list = entries(n)
  return { text, key, list, blob: sealKeyBackup(list, key, header) }
}

Deno.test('a recovery key is WLRK and 10 groups of 4 base32 characters and parses back to its secret', () => {
  for (let i = 0; i < 50; i++) {
    const { text, secret } = newRecoveryKey()
    assert.match(text, /^WLRK(-[0-9A-HJKMNP-TV-Z]{4}){10}$/)
    assert.equal(secret.length, RECOVERY_SECRET_BYTES)
    assert.deepEqual(parseRecoveryKey(text), { ok: true, value: secret })
  }
})

Deno.test('parseRecoveryKey tolerates case, spaces, missing dashes or prefix, and I/L/O look-alikes', () => {
  const secret = new Uint8Array(20).fill(0)
  const text = formatRecoveryKey(secret) // all zeros: many 0s to misread as O
  const body = text.slice(5)
  for (
    const variant of [
      text.toLowerCase(),
      ` ${text.replaceAll('-', ' ')} `,
      text.replaceAll('-', ''),
      body,
      body.replaceAll('0', 'O'),
      `wlrk ${body.toLowerCase().replaceAll('0', 'o')}`,
    ]
  ) assert.deepEqual(parseRecoveryKey(variant), { ok: true, value: secret }, variant)
})

Deno.test('parseRecoveryKey catches every single mistyped character with the checksum', () => {
  const { text } = newRecoveryKey()
  const chars = text.replaceAll('-', '').slice(4)
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
  for (let i = 0; i < chars.length; i++) {
    for (const ch of alphabet) {
      if (ch === chars[i]) continue
      const typo = chars.slice(0, i) + ch + chars.slice(i + 1)
      assert.equal(parseRecoveryKey(typo).ok, false, `position ${i} → ${ch}`)
    }
  }
  const swapped = chars.slice(0, 10) + chars[11] + chars[10] + chars.slice(12)
  if (swapped !== chars) assert.deepEqual(parseRecoveryKey(swapped), { ok: false, code: 'backup/recovery-key-typo' })
})

Deno.test('parseRecoveryKey refuses wrong lengths and characters as backup/bad-recovery-key', () => {
  const { text } = newRecoveryKey()
  for (const bad of ['', 'WLRK', text.slice(0, -1), `${text}A`, text.replace(/.$/, 'U'), text.replace(/.$/, '*'), 'x'.repeat(500)]) {
    assert.deepEqual(parseRecoveryKey(bad), { ok: false, code: 'backup/bad-recovery-key' }, bad)
  }
})

Deno.test('regression vector: the recovery key text, backup key id and key derivation are stable', () => {
  // Our own vector (computed once with this implementation) so a format change is noticed.
  const secret = Uint8Array.from({ length: 20 }, (_, i) => i)
  assert.equal(formatRecoveryKey(secret), 'WLRK-000G-40R4-0M30-E209-185G-R38E-1W81-24GK-CKBP-1X8G')
  const key = deriveBackupKey(secret)
  assert.equal(bytesToHex(key), '660257177ebcd597fdf4c8771d80d3b2101e3799418267b50aff26041801e9f4')
  assert.equal(backupKeyId(key), 'ba9fef5d4fe0bd2d')
  assert.notEqual(backupKeyId(key), backupKeyId(deriveBackupKey(new Uint8Array(20))))
})

Deno.test('sealKeyBackup and openKeyBackup round-trip 0, 1, 3 and MAX_BACKUP_KEYS entries with the header in clear', () => {
  const key = deriveBackupKey(randomBytes(20))
  for (const n of [0, 1, 3, MAX_BACKUP_KEYS]) {
    const list = entries(n)
    const blob = sealKeyBackup(list, key, header)
    const opened = openKeyBackup(blob, key, { userId: header.userId })
    assert.ok(opened.ok, `n = ${n}`)
    assert.deepEqual(opened.value.entries, list)
    assert.deepEqual(opened.value.header, { ...header, keyId: backupKeyId(key) })
    assert.deepEqual(parseKeyBackupHeader(blob), { ok: true, value: { ...header, keyId: backupKeyId(key) } })
  }
})

Deno.test('backup sizes are padded to 4 KiB blocks, so the key count shows only roughly', () => {
  const key = deriveBackupKey(randomBytes(20))
  const size = (n: number) => sealKeyBackup(entries(n), key, header).length
  assert.equal(size(0), size(1))
  assert.equal(size(1), size(40))
})

Deno.test('every flipped bit of a backup is refused; the unmodified one opens', () => {
  const { key, blob, list } = backup(2)
  const opened = openKeyBackup(blob, key, { userId: header.userId })
  assert.ok(opened.ok)
  assert.deepEqual(opened.value.entries, list)
  for (let bit = 0; bit < blob.length * 8; bit++) {
    const t = Uint8Array.from(blob)
    t[bit >> 3]! ^= 1 << (bit & 7)
    assert.equal(openKeyBackup(t, key, { userId: header.userId }).ok, false, `bit ${bit}`)
  }
})

Deno.test('another recovery key, another user, or a header relabelled with another key id opens nothing', () => {
  const { key, blob } = backup()
  const other = deriveBackupKey(randomBytes(20))
  assert.deepEqual(openKeyBackup(blob, other, { userId: header.userId }), { ok: false, code: 'backup/wrong-recovery-key' })
  assert.deepEqual(openKeyBackup(blob, key, { userId: 'u-someone-else' }), { ok: false, code: 'backup/wrong-user' })
  // The relay rewrites the clear key id (and version) to match another key: the AD no longer matches.
  const sealed = sealKeyBackup(entries(1), key, header)
  const parts = splitKeyBackup(sealed)
  assert.ok(parts.ok)
  const rest = parts.value.sealed
  const forgedHead = encodeTuple(['wardline/key-backup/v1', header.userId, String(header.createdAt), '99', backupKeyId(other)])
  const relabelled = encodeTuple([forgedHead, rest])
  assert.equal(parseKeyBackupHeader(relabelled).ok, true)
  assert.deepEqual(openKeyBackup(relabelled, other, { userId: header.userId }), { ok: false, code: 'backup/corrupt' })
  const bumped = encodeTuple([
    encodeTuple(['wardline/key-backup/v1', header.userId, String(header.createdAt), '99', backupKeyId(key)]),
    rest,
  ])
  assert.deepEqual(openKeyBackup(bumped, key, { userId: header.userId }), { ok: false, code: 'backup/corrupt' })
})

Deno.test('malformed, truncated and random backups give a Result error, never a throw (fuzz)', () => {
  const { key, blob } = backup(5)
  // Not seeded (crypto/ imports nothing outside itself); a failure prints the offending bytes.
  const rand = () => randomBytes(4).reduce((a, b) => a * 256 + b, 0) / 2 ** 32
  const tries: Uint8Array[] = [new Uint8Array(0), new Uint8Array(3), new Uint8Array(8)]
  for (let n = 0; n < blob.length; n += 7) tries.push(blob.subarray(0, n))
  for (let i = 0; i < 2000; i++) {
    const t = Uint8Array.from(blob.subarray(0, Math.floor(rand() * blob.length) + 1))
    for (let k = 0; k < 1 + Math.floor(rand() * 8); k++) t[Math.floor(rand() * t.length)] = Math.floor(rand() * 256)
    tries.push(t)
    tries.push(Uint8Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)))
  }
  tries.push(encodeTuple([encodeTuple(['wardline/key-backup/v2', 'u', '1', '1', '0123456789abcdef']), new Uint8Array(60)]))
  tries.push(encodeTuple([encodeTuple(['wardline/key-backup/v1', 'u', '01', '1', '0123456789abcdef']), new Uint8Array(60)]))
  tries.push(new Uint8Array(400 * 1024))
  for (const t of tries) {
    let result
    assert.doesNotThrow(() => (result = openKeyBackup(t, key, { userId: header.userId })), String(t))
    assert.equal(result!.ok, false)
    assert.doesNotThrow(() => parseKeyBackupHeader(t))
  }
  for (let i = 0; i < 2000; i++) {
    const s = Array.from({ length: Math.floor(rand() * 60) }, () => String.fromCharCode(32 + Math.floor(rand() * 90))).join('')
    assert.doesNotThrow(() => parseRecoveryKey(s))
  }
})

Deno.test('sealing refuses misuse: a key that is not 32 bytes, too many entries, a bad epoch or header', () => {
  const key = deriveBackupKey(randomBytes(20))
  assert.throws(() => sealKeyBackup([{ conversationId: 'c', epoch: 0, key: new Uint8Array(31) }], key, header), RangeError)
  assert.throws(() => sealKeyBackup([{ conversationId: 'c', epoch: -1, key: randomBytes(32) }], key, header), RangeError)
  assert.throws(() => sealKeyBackup(entries(MAX_BACKUP_KEYS + 1), key, header), RangeError)
  assert.throws(() => sealKeyBackup([], key, { ...header, version: 1.5 }), RangeError)
  assert.throws(() => sealKeyBackup([], randomBytes(16), header), RangeError)
  assert.throws(() => deriveBackupKey(new Uint8Array(16)), RangeError)
})
