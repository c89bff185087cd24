/**
 * Attachment blobs against the real relay (decision 0018): an upload that stops half-way resumes
 * on a new connection and completes; nothing of an incomplete blob is served; another device
 * cannot write into it; a blob over MAX_BLOB_BYTES and a device over its quota get clear errors;
 * an incomplete upload expires; a device that has not logged in gets nothing.
 */
import { randomBytes, toBase64url } from '../../crypto/bytes.ts'
import { assert, assertEquals } from '../storage/_assert.ts'
import { TestClient } from '../testing/test-client.ts'
import { startTestRelay } from '../testing/test-relay.ts'
import { BLOB_CHUNK_BYTES, MAX_BLOB_BYTES } from '../wire/frames.ts'

/** A fake sealed blob of three chunks (the relay never reads them). */
function fakeBlob() {
  const size = 2 * BLOB_CHUNK_BYTES + 1000
  const chunks = [0, 1, 2].map((i) => new Uint8Array(i === 2 ? 1000 : BLOB_CHUNK_BYTES).fill(i + 7))
  return { blobId: toBase64url(randomBytes(32)), size, count: 3, chunks }
}

const put = (c: TestClient, b: ReturnType<typeof fakeBlob>, index: number, ref = `p${index}`) =>
  c.send({
    type: 'putBlobChunk',
    ref,
    blobId: b.blobId,
    size: b.size,
    count: b.count,
    index,
    chunk: b.chunks[index]!,
  })

Deno.test('a blob upload stops half-way, resumes after a reconnect and completes; members fetch it chunk by chunk', async () => {
  const t = await startTestRelay()
  try {
    const nurse = await t.enroll('nurse')
    const doctor = await t.enroll('doctor')
    const b = fakeBlob()
    let a = await TestClient.loggedIn(t.url, nurse)
    put(a, b, 0)
    assertEquals(await a.waitFor('blobAck'), {
      type: 'blobAck',
      ref: 'p0',
      blobId: b.blobId,
      stored: 1,
      count: 3,
      complete: 0,
    })
    await a.close() // the link drops

    const d = await TestClient.loggedIn(t.url, doctor)
    d.send({ type: 'getBlobChunk', ref: 'g', blobId: b.blobId, index: 0 })
    assertEquals(await d.waitFor('error'), { type: 'error', code: 'blob/not-found', ref: 'g' })
    put(d, b, 1, 'steal')
    assertEquals(await d.waitFor('error'), { type: 'error', code: 'blob/not-owner', ref: 'steal' })

    a = await TestClient.loggedIn(t.url, nurse)
    a.send({ type: 'getBlobStatus', ref: 's', blobId: b.blobId })
    const status = await a.waitFor('blobAck')
    assertEquals(status.stored, 1)
    for (let i = status.stored; i < b.count; i++) put(a, b, i)
    assertEquals((await a.waitFor('blobAck')).complete, 0)
    assertEquals((await a.waitFor('blobAck')).complete, 1)

    for (let i = 0; i < b.count; i++) {
      d.send({ type: 'getBlobChunk', ref: `g${i}`, blobId: b.blobId, index: i })
      const got = await d.waitFor('blobChunk')
      assertEquals([got.index, got.count], [i, 3])
      assertEquals(got.chunk, b.chunks[i])
    }
    for (const c of [a, d]) await c.close()
  } finally {
    await t.close()
  }
})

Deno.test('a blob over MAX_BLOB_BYTES, wrong chunk lengths and a device over its quota are refused with clear codes', async () => {
  const t = await startTestRelay({ limits: { maxPendingBlobBytes: 3 * BLOB_CHUNK_BYTES } })
  try {
    const a = await TestClient.loggedIn(t.url, await t.enroll('nurse'))
    const huge = Math.floor(MAX_BLOB_BYTES / BLOB_CHUNK_BYTES) + 1
    const id = toBase64url(randomBytes(32))
    a.send({
      type: 'putBlobChunk',
      ref: 'big',
      blobId: id,
      size: MAX_BLOB_BYTES + 1,
      count: huge,
      index: 0,
      chunk: new Uint8Array(BLOB_CHUNK_BYTES),
    })
    assertEquals(await a.waitFor('error'), { type: 'error', code: 'blob/too-large', ref: 'big' })
    a.send({
      type: 'putBlobChunk',
      ref: 'short',
      blobId: id,
      size: 2 * BLOB_CHUNK_BYTES,
      count: 2,
      index: 0,
      chunk: new Uint8Array(10),
    })
    assertEquals(await a.waitFor('error'), { type: 'error', code: 'blob/mismatch', ref: 'short' })
    a.send({
      type: 'putBlobChunk',
      ref: 'bad-id',
      blobId: 'guessable',
      size: 10,
      count: 1,
      index: 0,
      chunk: new Uint8Array(10),
    })
    assertEquals((await a.waitFor('error')).code, 'relay/malformed-frame')
    const first = fakeBlob()
    put(a, first, 0)
    await a.waitFor('blobAck')
    // A second incomplete upload would pass the device's quota of three chunks.
    const second = fakeBlob()
    put(a, second, 0, 'over')
    assertEquals(await a.waitFor('error'), {
      type: 'error',
      code: 'blob/quota-exceeded',
      ref: 'over',
    })
    a.send({ type: 'ping', nonce: 1 })
    assertEquals(await a.waitFor('pong'), { type: 'pong', nonce: 1 }) // still connected
    await a.close()
  } finally {
    await t.close()
  }
})

Deno.test('an incomplete upload expires with its chunks; a device that has not logged in gets nothing', async () => {
  let now = Date.now()
  const t = await startTestRelay({ now: () => now, limits: { blobUploadTtlMs: 60_000 } })
  try {
    const a = await TestClient.loggedIn(t.url, await t.enroll('nurse'))
    const b = fakeBlob()
    put(a, b, 0)
    await a.waitFor('blobAck')
    now = Date.now() + 2 * 60_000
    await t.relay.pruneNow()
    a.send({ type: 'getBlobStatus', ref: 's', blobId: b.blobId })
    assertEquals(await a.waitFor('blobAck'), {
      type: 'blobAck',
      ref: 's',
      blobId: b.blobId,
      stored: 0,
      count: 0,
      complete: 0,
    })
    await a.close()

    const anon = await TestClient.connect(t.url)
    await anon.next('challenge')
    anon.send({ type: 'getBlobChunk', ref: 'g', blobId: b.blobId, index: 0 })
    assertEquals((await anon.waitFor('error')).code, 'relay/not-logged-in')
    assert((await anon.closed).code === 4001)
  } finally {
    await t.close()
  }
})
