/**
 * The blob storage contract (decision 0018): one suite both backends run, beside contract.ts.
 * `sqlite-blobs.test.ts` and `postgres-blobs.test.ts` call it. Chunks are arbitrary bytes here:
 * storage never reads them.
 */
import { assert, assertEquals } from './_assert.ts'
import type { RelayStorage } from './storage.ts'
import type { NewBlobChunk } from './blob-storage.ts'

type Open = () => Promise<RelayStorage>
const QUOTA = { maxPendingBytes: 1000 }

async function withStorage(open: Open, fn: (s: RelayStorage) => Promise<void>): Promise<void> {
  const s = await open()
  try {
    await fn(s)
  } finally {
    await s.close()
  }
}

/** Chunk `index` of a 3-chunk, 25-byte blob: 10 + 10 + 5 bytes, each filled with its index. */
const part = (blobId: string, index: number, extra: Partial<NewBlobChunk> = {}): NewBlobChunk => ({
  blobId,
  deviceId: 'dev-a',
  size: 25,
  count: 3,
  index,
  chunk: new Uint8Array(index === 2 ? 5 : 10).fill(index + 1),
  now: 1000,
  ...extra,
})

export function runBlobStorageContract(name: string, open: Open): void {
  Deno.test(`${name} blobs: an upload stops half-way, resumes from blobStatus and completes`, () =>
    withStorage(open, async (s) => {
      assertEquals(await s.blobs.blobStatus('blob-1'), null)
      assertEquals(await s.blobs.putBlobChunk(part('blob-1', 0), QUOTA), {
        size: 25,
        count: 3,
        stored: 1,
        complete: false,
      })
      // Nothing of an incomplete blob is served.
      assertEquals(await s.blobs.getBlobChunk('blob-1', 0), null)
      // The device reconnects and asks where to resume.
      const status = await s.blobs.blobStatus('blob-1')
      assertEquals(status, { deviceId: 'dev-a', size: 25, count: 3, stored: 1, complete: false })
      // A retried chunk replaces the stored one; a chunk beyond the next is refused.
      assertEquals(
        (await s.blobs.putBlobChunk(part('blob-1', 0), QUOTA) as { stored: number }).stored,
        1,
      )
      assertEquals(await s.blobs.putBlobChunk(part('blob-1', 2), QUOTA), {
        refused: 'blob/out-of-order',
      })
      await s.blobs.putBlobChunk(part('blob-1', 1), QUOTA)
      assertEquals(await s.blobs.putBlobChunk(part('blob-1', 2), QUOTA), {
        size: 25,
        count: 3,
        stored: 3,
        complete: true,
      })
      for (const i of [0, 1, 2]) {
        assertEquals(await s.blobs.getBlobChunk('blob-1', i), part('blob-1', i).chunk)
      }
      assertEquals(await s.blobs.getBlobChunk('blob-1', 3), null)
      // A complete blob never changes: a late retry answers its status and leaves the bytes.
      const late = part('blob-1', 0, { chunk: new Uint8Array(10).fill(9) })
      assertEquals(await s.blobs.putBlobChunk(late, QUOTA), {
        size: 25,
        count: 3,
        stored: 3,
        complete: true,
      })
      assertEquals(await s.blobs.getBlobChunk('blob-1', 0), part('blob-1', 0).chunk)
    }))

  Deno.test(`${name} blobs: another device cannot write to a blob, and sizes must agree`, () =>
    withStorage(open, async (s) => {
      await s.blobs.putBlobChunk(part('blob-2', 0), QUOTA)
      assertEquals(await s.blobs.putBlobChunk(part('blob-2', 1, { deviceId: 'dev-b' }), QUOTA), {
        refused: 'blob/not-owner',
      })
      assertEquals(await s.blobs.putBlobChunk(part('blob-2', 1, { size: 26 }), QUOTA), {
        refused: 'blob/mismatch',
      })
      assertEquals(await s.blobs.putBlobChunk(part('blob-2', 1, { count: 4 }), QUOTA), {
        refused: 'blob/mismatch',
      })
      await s.blobs.putBlobChunk(part('blob-2', 1), QUOTA)
      // The last chunk must make the lengths add up to the declared size.
      const short = part('blob-2', 2, { chunk: new Uint8Array(4) })
      assertEquals(await s.blobs.putBlobChunk(short, QUOTA), { refused: 'blob/mismatch' })
      assertEquals((await s.blobs.blobStatus('blob-2'))?.complete, false)
    }))

  Deno.test(`${name} blobs: a device's incomplete uploads are bounded by its quota`, () =>
    withStorage(open, async (s) => {
      const big = (id: string, deviceId = 'dev-a') =>
        part(id, 0, { size: 400, count: 1, chunk: new Uint8Array(400), deviceId })
      const small = (id: string) => part(id, 0, { size: 400, count: 2, chunk: new Uint8Array(10) })
      assert(!('refused' in await s.blobs.putBlobChunk(small('q-1'), QUOTA)))
      assert(!('refused' in await s.blobs.putBlobChunk(small('q-2'), QUOTA)))
      // 800 bytes pending: a third upload of 400 would pass the 1000-byte quota.
      assertEquals(await s.blobs.putBlobChunk(big('q-3'), QUOTA), {
        refused: 'blob/quota-exceeded',
      })
      assertEquals(await s.blobs.blobStatus('q-3'), null)
      // Other devices have their own quota; completed uploads no longer count.
      assert(!('refused' in await s.blobs.putBlobChunk(big('q-4', 'dev-b'), QUOTA)))
      await s.blobs.putBlobChunk(
        part('q-1', 1, { size: 400, count: 2, chunk: new Uint8Array(390) }),
        QUOTA,
      )
      assertEquals(
        (await s.blobs.putBlobChunk(big('q-3'), QUOTA) as { complete: boolean }).complete,
        true,
      )
    }))

  Deno.test(`${name} blobs: incomplete uploads expire with their chunks; complete ones stay`, () =>
    withStorage(open, async (s) => {
      await s.blobs.putBlobChunk(part('old', 0, { now: 1000 }), QUOTA)
      await s.blobs.putBlobChunk(part('new', 0, { now: 5000 }), QUOTA)
      for (const i of [0, 1, 2]) await s.blobs.putBlobChunk(part('done', i, { now: 1000 }), QUOTA)
      assertEquals(await s.blobs.deleteIncompleteBlobs(2000), 1)
      assertEquals(await s.blobs.blobStatus('old'), null)
      assertEquals((await s.blobs.blobStatus('new'))?.stored, 1)
      assertEquals((await s.blobs.blobStatus('done'))?.complete, true)
      // The expired id starts afresh: nothing half-stored remains under it.
      assertEquals(await s.blobs.putBlobChunk(part('old', 1), QUOTA), {
        refused: 'blob/out-of-order',
      })
      assertEquals(
        (await s.blobs.putBlobChunk(part('old', 0), QUOTA) as { stored: number }).stored,
        1,
      )
    }))
}
