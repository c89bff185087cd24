import assert from 'node:assert/strict'
import { randomBytes } from './bytes.ts'
import {
  ATTACHMENT_CHUNK_BYTES,
  attachmentChunkCount,
  attachmentHash,
  newAttachmentKey,
  openSealedAttachment,
  sealAttachment,
  SEALED_CHUNK_BYTES,
  sealedAttachmentSize,
  splitSealedAttachment,
  verifyAndOpenAttachment,
} from './attachment.ts'

const C = ATTACHMENT_CHUNK_BYTES

/** Random-looking bytes of any length (randomBytes caps one call at 64 KiB). */
function bytesOf(n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let at = 0; at < n; at += 65536) out.set(randomBytes(Math.min(65536, n - at)), at)
  return out
}

function join(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) (out.set(c, at), at += c.length)
  return out
}

Deno.test('sealAttachment and verifyAndOpenAttachment round-trip at and around chunk boundaries', () => {
  for (const size of [0, 1, C - 1, C, C + 1, 3 * C + 17]) {
    const key = newAttachmentKey()
    const file = bytesOf(size)
    const chunks = sealAttachment(key, file)
    assert.equal(chunks.length, attachmentChunkCount(size))
    const blob = join(chunks)
    assert.equal(blob.length, sealedAttachmentSize(size))
    assert.deepEqual(splitSealedAttachment(blob).map((c) => c.length), chunks.map((c) => c.length))
    assert.deepEqual(verifyAndOpenAttachment(key, blob, attachmentHash(chunks)), {
      ok: true,
      value: file,
    })
  }
})

Deno.test('openSealedAttachment refuses reordered, dropped, repeated and truncated chunks', () => {
  const key = newAttachmentKey()
  const chunks = sealAttachment(key, bytesOf(3 * C + 5))
  const [a, b, c, d] = chunks as [Uint8Array, Uint8Array, Uint8Array, Uint8Array]
  assert.equal(openSealedAttachment(key, chunks).ok, true)
  assert.deepEqual(openSealedAttachment(key, [b, a, c, d]), { ok: false, code: 'crypto/bad-tag' })
  assert.deepEqual(openSealedAttachment(key, [a, b, d]), { ok: false, code: 'crypto/bad-tag' })
  assert.deepEqual(openSealedAttachment(key, [a, a, c, d]), { ok: false, code: 'crypto/bad-tag' })
  // Cut at a chunk boundary: the new last chunk was not sealed as the last one.
  assert.deepEqual(openSealedAttachment(key, [a, b, c]), { ok: false, code: 'crypto/bad-tag' })
  assert.deepEqual(openSealedAttachment(key, []), { ok: false, code: 'crypto/bad-tag' })
  assert.deepEqual(openSealedAttachment(key, [a, b, c, d.subarray(0, d.length - 1)]), {
    ok: false,
    code: 'crypto/bad-tag',
  })
})

Deno.test("a flipped bit anywhere, another file's chunk or another key is refused", () => {
  const key = newAttachmentKey()
  const chunks = sealAttachment(key, bytesOf(C + 100))
  for (const at of [0, 23, 24, 1000, SEALED_CHUNK_BYTES - 1]) {
    const bad = chunks.map((c) => c.slice())
    bad[0]![at]! ^= 1
    assert.equal(openSealedAttachment(key, bad).ok, false, `bit at ${at}`)
  }
  const other = sealAttachment(key, bytesOf(C + 100))
  assert.equal(
    openSealedAttachment(key, [chunks[0]!, other[1]!]).ok,
    true,
    'same key: chunks are bound by position only',
  )
  assert.equal(openSealedAttachment(newAttachmentKey(), chunks).ok, false)
})

Deno.test('verifyAndOpenAttachment refuses a blob whose SHA-256 is not the signed one before opening it', () => {
  const key = newAttachmentKey()
  const chunks = sealAttachment(key, randomBytes(500))
  const blob = join(chunks)
  const hash = attachmentHash(chunks)
  const flipped = blob.slice()
  flipped[100]! ^= 1
  assert.deepEqual(verifyAndOpenAttachment(key, flipped, hash), {
    ok: false,
    code: 'attachment/bad-hash',
  })
  assert.deepEqual(verifyAndOpenAttachment(key, blob, randomBytes(32)), {
    ok: false,
    code: 'attachment/bad-hash',
  })
})
