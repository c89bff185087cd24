/**
 * Attachments on the device (issue 9, decision 0018): a file (and its thumbnail) is sealed in
 * chunks under a fresh key, the sealed chunks are kept in the encrypted local store, and the blob
 * is uploaded to the relay chunk by chunk — resumed from the relay's count after any reconnect —
 * before the message that names it leaves the outbox. Fetched blobs stay in the store (sealed
 * twice: by the file key and the local key), so a file opened once opens offline. Opening checks
 * the signed SHA-256 before decrypting. Runs in the browser worker and under Deno; holds the file
 * keys only inside signed records, never logs them.
 */
import * as c from '../../crypto/mod.ts'
import {
  BLOB_CHUNK_BYTES,
  type Frame,
  type FrameOf,
  MAX_ATTACHMENT_BYTES,
} from '../../relay/wire/frames.ts'
import type { ClientStore, Write } from './store.ts'
import { MAX_ATTACHMENT_BYTES as PROTOCOL_MAX } from '../protocol.ts'

export { MAX_ATTACHMENT_BYTES }

/** What the host hands in: the file as it will be sent (images already re-encoded) and a thumbnail. */
export type AttachmentInput = { bytes: Uint8Array; mime: string; name: string; thumb?: Uint8Array }

/** An upload the relay has not completed yet (`bu/<blobId>`). */
type Upload = { blobId: string; size: number; count: number }

/** How long one blob request waits for the relay's answer before the upload or fetch is retried. */
const REQUEST_TIMEOUT_MS = 30_000
const MAX_NAME = 200
const MAX_MIME = 100

const chunkKey = (blobId: string, index: number) => `bc/${blobId}/${String(index).padStart(6, '0')}`
const fail = (code: string, message = code) => Object.assign(new Error(message), { code })

if (c.SEALED_CHUNK_BYTES !== BLOB_CHUNK_BYTES || PROTOCOL_MAX !== MAX_ATTACHMENT_BYTES) {
  throw new Error('attachment sizes differ between crypto/, the wire frames and the UI protocol')
}

export type AttachmentSyncOptions = {
  store: ClientStore
  send: (frame: Frame) => boolean
  isOnline: () => boolean
  /** A blob finished uploading: messages waiting for it may leave the outbox. */
  onUploaded: () => void
}

/** Refuses what the relay would refuse, with words a person can act on. */
export function assertAttachmentInput(input: AttachmentInput): void {
  if (input.bytes.length > MAX_ATTACHMENT_BYTES) {
    const mib = (n: number) => (n / 1024 / 1024).toFixed(1)
    throw fail(
      'attachment/too-large',
      `Files are limited to ${mib(MAX_ATTACHMENT_BYTES)} MiB (this one is ${
        mib(input.bytes.length)
      } MiB)`,
    )
  }
  if (
    input.name.length > MAX_NAME || input.mime.length > MAX_MIME ||
    !/^[\w.+-]+\/[\w.+-]+$/.test(input.mime)
  ) {
    throw fail('attachment/bad-file', 'This file’s name or type cannot be sent')
  }
}

export class AttachmentSync {
  #pending = new Map<
    string,
    {
      resolve: (f: Frame) => void
      reject: (e: Error) => void
      timer: ReturnType<typeof setTimeout>
    }
  >()
  #uploads = new Set<string>()
  #running: Promise<void> | null = null
  #again = false
  #nextRef = 0

  constructor(private readonly o: AttachmentSyncOptions) {}

  async load(): Promise<void> {
    for (const [, u] of await this.o.store.list<Upload>('bu/')) this.#uploads.add(u.blobId)
  }

  /** True while a blob this record names has not been stored by the relay yet. */
  isWaiting(ref: c.AttachmentRef | undefined): boolean {
    return ref !== undefined &&
      (this.#uploads.has(ref.blobId) ||
        (ref.thumb !== undefined && this.#uploads.has(ref.thumb.blobId)))
  }

  get uploadsWaiting(): number {
    return this.#uploads.size
  }

  /** Seals the file and thumbnail; returns the record's reference and the store writes to commit with it. */
  seal(input: AttachmentInput): { ref: c.AttachmentRef; writes: Write[]; blobIds: string[] } {
    assertAttachmentInput(input)
    const writes: Write[] = []
    const file = this.#sealBlob(input.bytes, writes)
    const thumb = input.thumb ? this.#sealBlob(input.thumb, writes) : undefined
    const ref: c.AttachmentRef = {
      ...file,
      mime: input.mime,
      name: input.name,
      ...(thumb ? { thumb } : {}),
    }
    return { ref, writes, blobIds: thumb ? [file.blobId, thumb.blobId] : [file.blobId] }
  }

  #sealBlob(plaintext: Uint8Array, writes: Write[]): c.BlobRef {
    const key = c.newAttachmentKey()
    const chunks = c.sealAttachment(key, plaintext)
    const blobId = c.toBase64url(c.randomBytes(32))
    chunks.forEach((chunk, i) => writes.push({ key: chunkKey(blobId, i), value: chunk }))
    const size = chunks.reduce((n, ch) => n + ch.length, 0)
    writes.push({
      key: `bu/${blobId}`,
      value: { blobId, size, count: chunks.length } satisfies Upload,
    })
    writes.push({ key: `bd/${blobId}`, value: true })
    return {
      blobId,
      key: c.toBase64url(key),
      sha256: c.toBase64url(c.attachmentHash(chunks)),
      size: plaintext.length,
    }
  }

  /** Marks freshly sealed blobs as waiting (after their writes committed) and starts uploading. */
  queued(blobIds: string[]): void {
    for (const id of blobIds) this.#uploads.add(id)
    void this.resume()
  }

  /** Uploads every waiting blob, one chunk at a time, from where the relay says it stopped. */
  resume(): Promise<void> {
    if (!this.o.isOnline() || this.#uploads.size === 0) return Promise.resolve()
    if (this.#running) {
      this.#again = true // files sealed during a pass are taken by the next one
      return this.#running
    }
    this.#running = (async () => {
      do {
        this.#again = false
        await this.#uploadAll()
      } while (this.#again && this.o.isOnline())
    })().catch(() => {}).finally(() => (this.#running = null))
    return this.#running
  }

  async #uploadAll(): Promise<void> {
    for (const [key, u] of await this.o.store.list<Upload>('bu/')) {
      if (!this.o.isOnline()) return
      const status = await this.#request({
        type: 'getBlobStatus',
        ref: this.#ref(),
        blobId: u.blobId,
      }) as FrameOf<'blobAck'>
      let done = status.complete === 1
      for (let i = status.stored; !done && i < u.count; i++) {
        const chunk = await this.o.store.get<Uint8Array>(chunkKey(u.blobId, i))
        if (!chunk) throw fail('local/missing-chunk')
        const ack = await this.#request({
          type: 'putBlobChunk',
          ref: this.#ref(),
          blobId: u.blobId,
          size: u.size,
          count: u.count,
          index: i,
          chunk,
        }) as FrameOf<'blobAck'>
        done = ack.complete === 1
      }
      if (!done) continue
      await this.o.store.write([{ key, delete: true }])
      this.#uploads.delete(u.blobId)
      this.o.onUploaded()
    }
  }

  /**
   * The file's bytes: from the local store when fetched (or sent) before, else from the relay
   * (and kept); then the signed SHA-256 is checked and the chunks opened.
   */
  async open(ref: c.BlobRef): Promise<Uint8Array> {
    const local = await this.#localBlob(ref.blobId)
    const blob = local ?? await this.#fetch(ref)
    const opened = c.verifyAndOpenAttachment(
      c.fromBase64url(ref.key),
      blob,
      c.fromBase64url(ref.sha256),
    )
    if (!opened.ok) {
      // Not the signed blob: forget the fetched chunks, so the next open fetches it afresh.
      if (!local) await this.#forget(ref.blobId)
      throw fail(opened.code, 'This file was changed after it was sent, and is not shown')
    }
    if (!local) await this.o.store.write([{ key: `bd/${ref.blobId}`, value: true }])
    return opened.value
  }

  async #localBlob(blobId: string): Promise<Uint8Array | null> {
    if (!await this.o.store.get(`bd/${blobId}`)) return null
    const chunks = (await this.o.store.list<Uint8Array>(`bc/${blobId}/`)).map(([, v]) => v)
    return chunks.length > 0 ? join(chunks) : null
  }

  async #forget(blobId: string): Promise<void> {
    const keys = (await this.o.store.list(`bc/${blobId}/`)).map(([k]) => k)
    await this.o.store.write(keys.map((key) => ({ key, delete: true as const })))
  }

  /**
   * Fetches the chunks not yet here, storing each as it arrives: a download cut off by the
   * network resumes at the first missing chunk. The count follows from the signed plaintext size.
   */
  async #fetch(ref: c.BlobRef): Promise<Uint8Array> {
    const chunks = (await this.o.store.list<Uint8Array>(`bc/${ref.blobId}/`)).map(([, v]) => v)
    const count = c.attachmentChunkCount(ref.size)
    if (chunks.length < count && !this.o.isOnline()) {
      throw fail(
        'net/offline',
        'This file has not been downloaded yet; it opens once you are online',
      )
    }
    for (let i = chunks.length; i < count; i++) {
      const got = await this.#request({
        type: 'getBlobChunk',
        ref: this.#ref(),
        blobId: ref.blobId,
        index: i,
      }) as FrameOf<'blobChunk'>
      if (got.count !== count || got.index !== i) {
        throw fail(
          'attachment/bad-hash',
          'This file was changed after it was sent, and is not shown',
        )
      }
      await this.o.store.write([{ key: chunkKey(ref.blobId, i), value: got.chunk }])
      chunks.push(got.chunk)
    }
    return join(chunks.slice(0, count))
  }

  #ref(): string {
    return `bl/${this.#nextRef++}`
  }

  #request(frame: Frame & { ref: string }): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(frame.ref)
        reject(fail('net/timeout'))
      }, REQUEST_TIMEOUT_MS)
      this.#pending.set(frame.ref, { resolve, reject, timer })
      if (!this.o.send(frame)) this.#settle(frame.ref, null, fail('net/offline'))
    })
  }

  #settle(ref: string, frame: Frame | null, error?: Error): void {
    const p = this.#pending.get(ref)
    if (!p) return
    this.#pending.delete(ref)
    clearTimeout(p.timer)
    if (error) p.reject(error)
    else p.resolve(frame!)
  }

  /**
   * Takes the relay's answers to blob requests straight from the connection, ahead of the
   * engine's frame queue (an open or upload may be awaited inside it). False: not a blob answer.
   */
  takeFrame(frame: Frame): boolean {
    if (frame.type === 'blobAck' || frame.type === 'blobChunk') this.#settle(frame.ref, frame)
    else if (frame.type === 'error' && frame.ref.startsWith('bl/')) {
      this.#settle(frame.ref, null, fail(frame.code))
    } else return false
    return true
  }

  /** The link dropped: every request waiting fails now (uploads resume on the next `ready`). */
  offline(): void {
    for (const ref of [...this.#pending.keys()]) this.#settle(ref, null, fail('net/offline'))
  }
}

function join(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, ch) => n + ch.length, 0))
  let at = 0
  for (const ch of chunks) {
    out.set(ch, at)
    at += ch.length
  }
  return out
}
