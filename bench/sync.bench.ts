/**
 * What end-to-end encryption costs the sync path, against plain Yjs on the same data in the same
 * run. Message bodies are the first 500 MTS-Dialog turns (test/fixtures/mts-dialog/validation.csv);
 * each message is a record in a Y.Map under its device's per-epoch Yjs client id, carried as
 * `sealEnvelope(header, payload, epochKey, deviceKey)` — what workers/core/client.ts and
 * conversation-state.ts do, without the store or the socket. The payload is the engine's
 * `encodePayload('yjs', update, chain)` (log-chain.ts: `T('yjs', update, seenSeq, seenHash)`, the
 * brief's `encodeTuple(['yjs', update])` plus the fork-detection commitment added since).
 *
 *   (a) send:      signRecord + Y.Map set + encode update + sealEnvelope   vs  Y.Map set + encode
 *   (b) receive:   parse header + verifyAndOpenEnvelope + decodePayload + checkClaim + extendChain
 *                  + isAuthoredBy + Y.applyUpdate + verifyRecord
 *                  vs  Y.applyUpdate of the same update (per message, each op timed alone)
 *   (c) catch-up:  (b) for 500 envelopes into an empty document, timed as one block
 *   (d) snapshot:  verifyAndOpenEnvelope + Y.applyUpdate of one sealed Y.encodeStateAsUpdate of the
 *                  500 messages  vs  Y.applyUpdate of the plain snapshot (and, as the engine does
 *                  on load, + verifying the 500 record signatures)
 *
 * Prints one JSON line: medians over rounds, per-message microseconds and ratios. Never asserts.
 *
 *   deno run -A bench/sync.bench.ts [rounds=7]
 */
import * as Y from 'yjs'
import * as c from '../crypto/mod.ts'
import { parseCsv, parseDialogue } from '../test/sim/corpus.ts'
import { clientIdFor, isAuthoredBy, type MessageRecord, recordId } from '../workers/core/conversation-state.ts'
import { checkClaim, decodePayload, emptyChain, encodePayload, extendChain, type LogChain } from '../workers/core/log-chain.ts'

const MESSAGES = 500
const ROUNDS = Number(Deno.args[0] ?? 7)
const SNAPSHOT_REPS = 25
const EPOCH = 3

// ---- data -------------------------------------------------------------------------------------

const csvPath = new URL('../test/fixtures/mts-dialog/validation.csv', import.meta.url)
const rows = parseCsv(await Deno.readTextFile(csvPath))
const header = rows[0]!
const col = header.indexOf('dialogue')
const turns = rows.slice(1).flatMap((r, i) => parseDialogue(String(i), r[col] ?? '').turns)
  .filter((t) => t.text.length > 0).slice(0, MESSAGES)
if (turns.length < MESSAGES) throw new Error(`expected ${MESSAGES} turns, got ${turns.length}`)

const conversationId = c.bytesToHex(c.randomBytes(16))
const epochKey = c.randomBytes(32)
/** Two sender devices: the dialogue's first speaker and everyone else. */
const devices = [0, 1].map(() => {
  const keys = c.generateSigningKeyPair()
  return { keys, deviceId: c.deviceIdFromKey(keys.publicKey), userId: c.bytesToHex(c.randomBytes(8)) }
})
const firstSpeaker = turns[0]!.speaker
const senderOf = (i: number) => devices[turns[i]!.speaker === firstSpeaker ? 0 : 1]!
const at = 1_700_000_000_000

function recordFor(i: number, n: number, sig: string): MessageRecord {
  const d = senderOf(i)
  return { id: recordId(d.deviceId, n), author: d.userId, device: d.deviceId, n, kind: 'text', body: turns[i]!.text, at: at + i, sig }
}
const contentOf = (r: MessageRecord) => ({ kind: r.kind, body: r.body, createdAt: r.at, authorUserId: r.author })

// ---- helpers -----------------------------------------------------------------------------------

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const round2 = (x: number) => Math.round(x * 100) / 100

type Writer = { doc: Y.Doc; map: Y.Map<unknown>; next: number }
function writers(): Writer[] {
  return devices.map((d) => {
    const doc = new Y.Doc()
    doc.clientID = clientIdFor(d.deviceId, EPOCH)
    return { doc, map: doc.getMap('messages'), next: 0 }
  })
}

/** Both writers hear each other's messages (outside the timed part), as devices in a conversation do. */
function deliver(ws: Writer[], from: number, update: Uint8Array): void {
  Y.applyUpdate(ws[1 - from]!.doc, update, 'remote')
}

/** (a) sending: returns per-message µs for plain and protected, and what was produced. */
function send() {
  const plainW = writers()
  const wardW = writers()
  let plain = 0
  let ward = 0
  const updates: Uint8Array[] = []
  const envelopes: Uint8Array[] = []
  const counters = [0, 0]
  // Every device has seen the whole log so far (the relay orders message i at seq i + 1).
  const chain = emptyChain()
  for (let i = 0; i < MESSAGES; i++) {
    const who = senderOf(i) === devices[0] ? 0 : 1
    const d = devices[who]!
    // Plain: the same record (with a signature-sized field), written and encoded.
    const pw = plainW[who]!
    const pRecord = recordFor(i, pw.next++, 'A'.repeat(86))
    let t = performance.now()
    const pBefore = Y.encodeStateVector(pw.doc)
    pw.doc.transact(() => pw.map.set(pRecord.id, pRecord), 'local')
    const pUpdate = Y.encodeStateAsUpdate(pw.doc, pBefore)
    plain += performance.now() - t
    deliver(plainW, who, pUpdate)
    // Wardline: sign the record, write, encode, seal under the epoch key, sign the envelope.
    const ww = wardW[who]!
    t = performance.now()
    const n = ww.next++
    const unsigned = recordFor(i, n, '')
    const record = { ...unsigned, sig: c.signRecord(conversationId, d.deviceId, n, contentOf(unsigned), d.keys.secretKey) }
    ww.doc.clientID = clientIdFor(d.deviceId, EPOCH)
    const before = Y.encodeStateVector(ww.doc)
    ww.doc.transact(() => ww.map.set(record.id, record), 'local')
    const update = Y.encodeStateAsUpdate(ww.doc, before)
    const payload = encodePayload('yjs', update, chain)
    const envelope = c.sealEnvelope({ conversationId, epoch: EPOCH, senderDeviceId: d.deviceId, counter: counters[who]!++ }, payload, epochKey, d.keys.secretKey)
    ward += performance.now() - t
    deliver(wardW, who, update)
    extendChain(chain, i + 1, envelope)
    updates.push(update)
    envelopes.push(envelope)
  }
  return { plain: (plain * 1000) / MESSAGES, ward: (ward * 1000) / MESSAGES, updates, envelopes }
}

const byDevice = new Map(devices.map((d) => [d.deviceId, d]))

/** What the engine does with one data envelope (client.ts #verifyAndOpen + ConversationState.applyUpdate). */
function receiveOne(doc: Y.Doc, map: Y.Map<unknown>, chain: LogChain, envelope: Uint8Array): void {
  const h = c.parseEnvelopeHeader(envelope)
  if (!h.ok) throw new Error(h.code)
  const sender = byDevice.get(h.value.senderDeviceId)!
  const opened = c.verifyAndOpenEnvelope(envelope, sender.keys.publicKey, epochKey)
  if (!opened.ok) throw new Error(opened.code)
  const payload = decodePayload(opened.value.payload)
  if (!payload.ok || payload.value.kind !== 'yjs') throw new Error('payload')
  if (checkClaim(chain, payload.value.seenSeq, payload.value.seenHash) !== 'ok') throw new Error('fork')
  extendChain(chain, chain.seq + 1, envelope)
  const update = payload.value.update
  if (!isAuthoredBy(update, clientIdFor(sender.deviceId, EPOCH))) throw new Error('foreign')
  const changed: string[] = []
  const observer = (ev: Y.YMapEvent<unknown>) => ev.keysChanged.forEach((k) => changed.push(k))
  map.observe(observer)
  Y.applyUpdate(doc, update, 'remote')
  map.unobserve(observer)
  for (const key of changed) verifyStored(map, key)
}

function verifyStored(map: Y.Map<unknown>, key: string): void {
  const r = map.get(key) as MessageRecord
  const device = byDevice.get(r.device)!
  if (!c.verifyRecord(conversationId, r.device, r.n, contentOf(r), r.sig, device.keys.publicKey)) throw new Error('record')
}

/** (b) per message, each op timed alone; (c) the same 500 as one block. */
function receive(updates: Uint8Array[], envelopes: Uint8Array[]) {
  const fresh = () => {
    const doc = new Y.Doc()
    return { doc, map: doc.getMap<unknown>('messages'), chain: emptyChain() }
  }
  let plain = 0
  let ward = 0
  const p = fresh()
  for (const u of updates) {
    const t = performance.now()
    Y.applyUpdate(p.doc, u, 'remote')
    plain += performance.now() - t
  }
  const w = fresh()
  for (const e of envelopes) {
    const t = performance.now()
    receiveOne(w.doc, w.map, w.chain, e)
    ward += performance.now() - t
  }
  const cp = fresh()
  let t = performance.now()
  for (const u of updates) Y.applyUpdate(cp.doc, u, 'remote')
  const catchUpPlain = performance.now() - t
  const cw = fresh()
  t = performance.now()
  for (const e of envelopes) receiveOne(cw.doc, cw.map, cw.chain, e)
  const catchUpWard = performance.now() - t
  if (cw.map.size !== MESSAGES || cp.map.size !== MESSAGES) throw new Error('did not converge')
  return {
    plain: (plain * 1000) / MESSAGES,
    ward: (ward * 1000) / MESSAGES,
    catchUpPlainMs: catchUpPlain,
    catchUpWardMs: catchUpWard,
    doc: cw.doc,
  }
}

/** (d) one snapshot of the 500 messages, plain vs sealed (and vs sealed + record signatures). */
function snapshot(doc: Y.Doc) {
  const plainSnapshot = Y.encodeStateAsUpdate(doc)
  const payload = c.encodeTuple(['yjs', plainSnapshot])
  const d = devices[0]!
  const sealed = c.sealEnvelope({ conversationId, epoch: EPOCH, senderDeviceId: d.deviceId, counter: 1_000_000 }, payload, epochKey, d.keys.secretKey)
  const plain: number[] = []
  const ward: number[] = []
  const wardVerified: number[] = []
  for (let r = 0; r < SNAPSHOT_REPS; r++) {
    let t = performance.now()
    const a = new Y.Doc()
    Y.applyUpdate(a, plainSnapshot)
    plain.push(performance.now() - t)
    t = performance.now()
    const b = new Y.Doc()
    const opened = c.verifyAndOpenEnvelope(sealed, d.keys.publicKey, epochKey)
    if (!opened.ok) throw new Error(opened.code)
    const parts = c.decodeTuple(opened.value.payload, 2)
    if (!parts.ok) throw new Error(parts.code)
    Y.applyUpdate(b, parts.value[1]!)
    ward.push(performance.now() - t)
    if (r < 5) {
      t = performance.now()
      const cDoc = new Y.Doc()
      const o2 = c.verifyAndOpenEnvelope(sealed, d.keys.publicKey, epochKey)
      if (!o2.ok) throw new Error(o2.code)
      const p2 = c.decodeTuple(o2.value.payload, 2)
      if (!p2.ok) throw new Error(p2.code)
      Y.applyUpdate(cDoc, p2.value[1]!)
      const map = cDoc.getMap<unknown>('messages')
      for (const key of map.keys()) verifyStored(map, key)
      wardVerified.push(performance.now() - t)
    }
  }
  return { plainMs: median(plain), wardMs: median(ward), wardVerifiedMs: median(wardVerified), plainBytes: plainSnapshot.length, sealedBytes: sealed.length }
}

// ---- run ----------------------------------------------------------------------------------------

send() // warm-up (JIT, noble tables)
const rounds: Array<{ a: ReturnType<typeof send>; b: ReturnType<typeof receive> }> = []
for (let r = 0; r < ROUNDS; r++) {
  const a = send()
  rounds.push({ a, b: receive(a.updates, a.envelopes) })
}
const last = rounds[rounds.length - 1]!
const snap = snapshot(last.b.doc)

const m = {
  sendPlainUs: median(rounds.map((r) => r.a.plain)),
  sendWardlineUs: median(rounds.map((r) => r.a.ward)),
  receivePlainUs: median(rounds.map((r) => r.b.plain)),
  receiveWardlineUs: median(rounds.map((r) => r.b.ward)),
  catchUp500PlainMs: median(rounds.map((r) => r.b.catchUpPlainMs)),
  catchUp500WardlineMs: median(rounds.map((r) => r.b.catchUpWardMs)),
}
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length
console.log(JSON.stringify({
  bench: 'sync',
  runtime: `deno ${Deno.version.deno}`,
  rounds: ROUNDS,
  data: {
    corpus: 'test/fixtures/mts-dialog/validation.csv',
    messages: MESSAGES,
    meanBodyBytes: Math.round(mean(turns.map((t) => c.utf8(t.text).length))),
    meanUpdateBytes: Math.round(mean(last.a.updates.map((u) => u.length))),
    meanEnvelopeBytes: Math.round(mean(last.a.envelopes.map((e) => e.length))),
    snapshotPlainBytes: snap.plainBytes,
    snapshotSealedBytes: snap.sealedBytes,
  },
  perMessageMicros: {
    sendPlain: round2(m.sendPlainUs),
    sendWardline: round2(m.sendWardlineUs),
    receivePlain: round2(m.receivePlainUs),
    receiveWardline: round2(m.receiveWardlineUs),
  },
  catchUp500Ms: { plain: round2(m.catchUp500PlainMs), wardline: round2(m.catchUp500WardlineMs) },
  snapshotLoadMs: { plain: round2(snap.plainMs), wardline: round2(snap.wardMs), wardlineWithRecordSignatures: round2(snap.wardVerifiedMs) },
  ratios: {
    send: round2(m.sendWardlineUs / m.sendPlainUs),
    receive: round2(m.receiveWardlineUs / m.receivePlainUs),
    catchUp500: round2(m.catchUp500WardlineMs / m.catchUp500PlainMs),
    snapshotLoad: round2(snap.wardMs / snap.plainMs),
    snapshotLoadWithRecordSignatures: round2(snap.wardVerifiedMs / snap.plainMs),
  },
}))
