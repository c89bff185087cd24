/**
 * Bench and test hooks, present only in a `vite build --mode bench` build (wardline.worker.ts
 * imports this file behind `import.meta.env.MODE === 'bench'`, which a production build folds to
 * false and drops together with this module; test/e2e/large-conversation.e2e.ts checks dist/).
 * Playwright reaches them through the worker's global scope (`self.__wardlineBench`).
 *
 * `seedMemory` puts `count` messages into an open conversation of the unlocked engine the way
 * unlock leaves them (its in-memory index, which `listMessagesPage` reads): fast, so a
 * 10,000-message conversation exists in seconds. It skips signing and the encrypted store, so
 * it says nothing about the cost of unlocking such a store (the bench reports that separately).
 * `plainOpen` is the bench's baseline: the same messages as one plain Yjs document, no crypto.
 */
import * as Y from 'yjs'
import { signRecord } from '../crypto/record.ts'
import type { WardlineClient } from './core/client.ts'
import { padSeq, type Write } from './core/store.ts'
import type { EncryptedStore } from './encrypted-store.ts'
import type { MessageRecord } from './core/conversation-state.ts'

declare const self: DedicatedWorkerGlobalScope & { __wardlineBench?: unknown }

const TEXTS = [
  'Obs round done, BP 128/82, HR 76, sats 97% on air',
  'Can someone review bed 12 before the evening round?',
  'Pharmacy confirmed the IV antibiotics for bay 3\nDose due 18:00',
  'Family asking for an update on discharge plans',
  'Fluid balance chart updated',
]

export function bodyFor(i: number): string {
  if (i % 97 === 0) return `Handover note ${i}\n` + 'Long handover text, everything from the shift. '.repeat(40)
  return `#${i} ${TEXTS[i % TEXTS.length]}`
}

function records(client: WardlineClient, conversationId: string, count: number): Array<{ record: MessageRecord; seq: number }> {
  const conv = client.conversations.get(conversationId)
  if (!conv) throw new Error('no such conversation')
  const me = client.id
  const other = conv.meta.deviceIds.map((d) => client.devices.get(d)).find((d) => d && d.userId !== me.userId)
  const out: Array<{ record: MessageRecord; seq: number }> = []
  for (let i = 0; i < count; i++) {
    const mine = i % 3 !== 1 || !other
    const device = mine ? me.deviceId : other.deviceId
    const n = 1_000_000 + i
    const record: MessageRecord = {
      id: `${device}.${n}`, author: mine ? me.userId : other.userId, device, n, kind: 'text',
      body: bodyFor(i), at: Date.now() - (count - i) * 60_000, sig: '',
    }
    // Before every real message (seq ≥ 1), in this order.
    out.push({ record, seq: -count + i })
  }
  return out
}

export function install(getClient: () => WardlineClient | null, getStore: () => EncryptedStore | null): void {
  self.__wardlineBench = {
    /**
     * Writes `count` messages of this device into the encrypted store the way the engine stores
     * sent ones (signed records in Yjs updates of the current epoch, `batch` to an update, with
     * their relay positions), so the next unlock reads, decrypts and verifies them all. Slow:
     * every record is signed. Positions are negative, before every real message.
     */
    async seedStored(conversationId: string, count: number, batch = 500): Promise<number> {
      const client = getClient()
      const store = getStore()
      if (!client || !store) throw new Error('locked')
      const conv = client.conversations.get(conversationId)
      if (!conv) throw new Error('no such conversation')
      const m = conv.meta
      const me = client.id
      for (let from = 0; from < count; from += batch) {
        const updates: Uint8Array[] = []
        const writes: Write[] = []
        for (let i = from; i < Math.min(count, from + batch); i++) {
          const n = m.nextRecordCounter++
          const body = bodyFor(i)
          const at = Date.now() - (count - i) * 60_000
          const record: MessageRecord = {
            id: `${me.deviceId}.${n}`, author: me.userId, device: me.deviceId, n, kind: 'text', body, at,
            sig: signRecord(conversationId, me.deviceId, n, { kind: 'text', body, createdAt: at, authorUserId: me.userId }, me.signingSecretKey),
          }
          updates.push(conv.addOwnRecord(m.epoch, record))
          const seq = -2 * count + i
          conv.index.set(record.id, { record, seq, queuedOrder: null })
          writes.push({ key: `rs/${conversationId}/${record.id}`, value: seq })
        }
        m.ownClocks = { ...m.ownClocks, [String(m.epoch)]: conv.ownClock(m.epoch) }
        writes.push({ key: `yu/${conversationId}/${padSeq(m.nextUpdateKey++)}`, value: { epoch: m.epoch, update: Y.mergeUpdates(updates) } })
        writes.push({ key: `conv/${conversationId}`, value: m })
        await store.write(writes)
      }
      self.postMessage({ v: 1, event: 'messages', data: { conversationId } })
      return conv.index.size
    },
    seedMemory(conversationId: string, count: number): number {
      const client = getClient()
      if (!client) throw new Error('locked')
      const conv = client.conversations.get(conversationId)!
      for (const { record, seq } of records(client, conversationId, count)) conv.index.set(record.id, { record, seq, queuedOrder: null })
      self.postMessage({ v: 1, event: 'messages', data: { conversationId } })
      self.postMessage({ v: 1, event: 'conversations', data: null })
      return conv.index.size
    },
    /** Worker-side cost of what opening a conversation asks for: its newest window and the summaries. */
    timeViews(conversationId: string, window: number, runs = 5): { page: number[]; summaries: number[] } {
      const client = getClient()
      if (!client) throw new Error('locked')
      const page: number[] = []
      const summaries: number[] = []
      for (let r = 0; r < runs; r++) {
        let t0 = performance.now()
        client.listMessagesPage(conversationId, undefined, window)
        page.push(performance.now() - t0)
        t0 = performance.now()
        client.listConversations()
        summaries.push(performance.now() - t0)
      }
      return { page, summaries }
    },
    /** Builds the plain document once, then times loading it and taking the newest `window`. */
    plainOpen(conversationId: string, count: number, window: number, runs = 5): { ms: number[]; total: number } {
      const client = getClient()
      if (!client) throw new Error('locked')
      const src = new Y.Doc()
      const map = src.getMap<unknown>('messages')
      const seqs = src.getMap<number>('seqs')
      src.transact(() => {
        for (const { record, seq } of records(client, conversationId, count)) {
          map.set(record.id, record)
          seqs.set(record.id, seq)
        }
      })
      const update = Y.encodeStateAsUpdate(src)
      const ms: number[] = []
      let total = 0
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now()
        const doc = new Y.Doc()
        Y.applyUpdate(doc, update)
        const m = doc.getMap<MessageRecord>('messages')
        const s = doc.getMap<number>('seqs')
        const all = [...m.values()].map((record) => ({ record, seq: s.get(record.id) ?? 0 }))
        all.sort((a, b) => a.seq - b.seq || a.record.n - b.record.n)
        const shown = all.slice(-window).map(({ record }) => ({ id: record.id, body: record.body, at: record.at }))
        ms.push(performance.now() - t0)
        total = all.length + shown.length * 0
        doc.destroy()
      }
      return { ms, total }
    },
  }
}
