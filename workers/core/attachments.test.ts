/**
 * Attachments in the client engine against the real relay (issue 9, decision 0018): a file sent
 * offline waits in the outbox, uploads on reconnect and only then is its message sent; the other
 * member opens the same bytes after checking the signed hash; an upload cut off mid-way resumes
 * from the relay's count; a blob changed on the relay is refused; a file over the limit is
 * refused before anything is stored; a file opened once opens again offline.
 */
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { randomBytes } from '../../crypto/bytes.ts'
import { decodeFrame } from '../../relay/wire/frames.ts'
import { SQLITE_FILE } from '../../relay/storage/sqlite.ts'
import { MAX_ATTACHMENT_BYTES } from '../protocol.ts'
import { adminAndNurse, until } from './test-world.ts'

function fileOf(n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let at = 0; at < n; at += 65536) out.set(randomBytes(Math.min(65536, n - at)), at)
  return out
}

Deno.test('a file sent offline uploads on reconnect, then its message goes out; the other member opens the same bytes', async () => {
  const w = await adminAndNurse()
  const { ben, benId } = w
  try {
    const conv = await w.admin.createConversation([benId.userId])
    await until(() => ben.conversations.has(conv), 'conversation reaches ben')
    ben.connection.stop()
    const file = fileOf(600_000)
    const thumb = fileOf(2000)
    await ben.sendAttachment(
      conv,
      { bytes: file, mime: 'application/pdf', name: 'discharge.pdf', thumb },
      'letter',
      'a1',
    )
    const [queued] = ben.listMessages(conv)
    assert.equal(queued!.status, 'queued')
    assert.deepEqual(queued!.attachment, {
      name: 'discharge.pdf',
      mime: 'application/pdf',
      size: 600_000,
      hasThumb: true,
      uploading: true,
    })
    assert.equal(ben.uploadsWaiting(), 2)

    ben.connection.start()
    await until(() => w.admin.listMessages(conv).length === 1, 'message reaches admin', 20_000)
    assert.equal(ben.uploadsWaiting(), 0)
    const [got] = w.admin.listMessages(conv)
    assert.equal(got!.body, 'letter')
    assert.deepEqual(got!.attachment, {
      name: 'discharge.pdf',
      mime: 'application/pdf',
      size: 600_000,
      hasThumb: true,
      uploading: false,
    })
    const opened = await w.admin.openAttachment(conv, got!.id, 'file')
    assert.deepEqual(opened, { bytes: file, mime: 'application/pdf', name: 'discharge.pdf' })
    assert.deepEqual((await w.admin.openAttachment(conv, got!.id, 'thumb')).bytes, thumb)

    // Fetched once, it opens offline from the encrypted store.
    w.admin.connection.stop()
    assert.deepEqual((await w.admin.openAttachment(conv, got!.id, 'file')).bytes, file)
    w.admin.connection.start()

    // A blob changed on the relay no longer matches the signed hash: refused, never shown.
    const ben2 = w.make(benId)
    await ben2.start()
    await until(
      () => ben2.listMessages(conv).length === 1,
      'a fresh device of ben reads the message',
    )
    const db = new DatabaseSync(join(w.dataDir, SQLITE_FILE))
    db.exec('UPDATE blob_chunks SET chunk = zeroblob(length(chunk)) WHERE idx = 1')
    db.close()
    await assert.rejects(
      ben2.openAttachment(conv, got!.id, 'file'),
      (e: Error & { code: string }) => e.code === 'attachment/bad-hash',
    )
  } finally {
    await w.close()
  }
})

Deno.test('an upload cut off after its second chunk resumes from the relay’s count and sends each chunk once', async () => {
  const sent: number[] = []
  let cut = false
  const w = await adminAndNurse({}, {})
  const { benId } = w
  const ben = w.makeWith({
    identity: benId,
    store: new (await import('./store.ts')).MemoryStore(),
    createSocket: (url) => {
      const ws = new WebSocket(url)
      const send = ws.send.bind(ws)
      // The link dies right after chunk 1: whatever this socket is asked to send later is lost
      // (never reaches the relay, so not counted), as on a dropped connection.
      let dead = false
      ws.send = (data) => {
        if (dead) return
        const d = decodeFrame(new Uint8Array(data as ArrayBuffer))
        if (d.ok && d.frame.type === 'putBlobChunk') {
          sent.push(d.frame.index)
          if (d.frame.index === 1 && !cut) {
            cut = true
            dead = true
            send(data)
            setTimeout(() => ws.close(), 50)
            return
          }
        }
        send(data)
      }
      return ws
    },
  })
  try {
    await ben.start()
    await until(() => ben.people().length === 2, 'directory')
    const conv = await w.admin.createConversation([benId.userId])
    await until(() => ben.conversations.has(conv), 'conversation reaches ben')
    const file = fileOf(4 * 256 * 1024 + 10)
    await ben.sendAttachment(conv, { bytes: file, mime: 'video/mp4', name: 'gait.mp4' }, '', 'v1')
    await until(() => w.admin.listMessages(conv).length === 1, 'message reaches admin', 30_000)
    assert(cut)
    assert.deepEqual(sent, [0, 1, 2, 3, 4], `each chunk sent once: ${sent}`)
    const [got] = w.admin.listMessages(conv)
    assert.deepEqual((await w.admin.openAttachment(conv, got!.id, 'file')).bytes, file)
  } finally {
    await w.close()
  }
})

Deno.test('a file over MAX_ATTACHMENT_BYTES is refused with a clear error before anything is stored', async () => {
  const w = await adminAndNurse()
  try {
    const conv = await w.admin.createConversation([w.benId.userId])
    const big = new Uint8Array(MAX_ATTACHMENT_BYTES + 1)
    await assert.rejects(
      w.admin.sendAttachment(conv, { bytes: big, mime: 'video/mp4', name: 'long.mp4' }, '', 'big'),
      (e: Error & { code: string }) =>
        e.code === 'attachment/too-large' && /limited to 25\.0 MiB/.test(e.message),
    )
    assert.equal(w.admin.listMessages(conv).length, 0)
    assert.equal(w.admin.uploadsWaiting(), 0)
  } finally {
    await w.close()
  }
})

Deno.test('a download cut off mid-way resumes at the first missing chunk and opens the signed bytes', async () => {
  const asked: number[] = []
  let cut = false
  const w = await adminAndNurse()
  const { benId } = w
  const { MemoryStore } = await import('./store.ts')
  const ben = w.makeWith({
    identity: benId,
    store: new MemoryStore(),
    createSocket: (url) => {
      const ws = new WebSocket(url)
      const send = ws.send.bind(ws)
      ws.send = (data) => {
        const d = decodeFrame(new Uint8Array(data as ArrayBuffer))
        if (d.ok && d.frame.type === 'getBlobChunk') {
          if (d.frame.index === 2 && !cut) {
            cut = true
            ws.close() // the link drops before chunk 2 is asked for
            return
          }
          asked.push(d.frame.index)
        }
        send(data)
      }
      return ws
    },
  })
  try {
    await ben.start()
    await until(() => ben.people().length === 2, 'directory')
    const conv = await w.admin.createConversation([benId.userId])
    await until(() => ben.conversations.has(conv), 'conversation reaches ben')
    const file = fileOf(4 * 256 * 1024 + 10)
    await w.admin.sendAttachment(conv, { bytes: file, mime: 'video/mp4', name: 'gait.mp4' }, '', 'v1')
    await until(() => ben.listMessages(conv).length === 1, 'message reaches ben', 30_000)
    const id = ben.listMessages(conv)[0]!.id
    await assert.rejects(ben.openAttachment(conv, id, 'file'))
    await until(() => ben.connectionState === 'online', 'ben reconnects', 30_000)
    assert.deepEqual((await ben.openAttachment(conv, id, 'file')).bytes, file)
    assert.deepEqual(asked, [0, 1, 2, 3, 4], `each chunk fetched once: ${asked}`)
  } finally {
    await w.close()
  }
})
