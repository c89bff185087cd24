/**
 * The simulator's scenario: creates the organisation, enrolls one device per (dialogue, speaker)
 * with real enrollment codes, opens one conversation per dialogue, sends every turn from its
 * speaker's device, and measures what each device ends up showing.
 */
import { type DefenceEvent, WardlineClient } from '../../workers/core/client.ts'
import { createEnrollment, enrollDevice, type Identity, newUserId, setupOrganisation } from '../../workers/core/identity.ts'
import { MemoryStore } from '../../workers/core/store.ts'
import { Adversary, type AdversaryReport, emptyAdversaryReport, type FaultKind } from './adversary.ts'
import type { Dialogue } from './corpus.ts'
import { seededRandom } from '../seeded-random.ts'
import type { FaultContext } from './faults.ts'

export type SimReport = {
  conversations: number
  devices: number
  sent: number
  delivered: number
  expected: number
  lost: number
  duplicates: number
  outOfOrder: number
  missingAtEnd: number
  p50Ms: number
  p99Ms: number
  seconds: number
  dataDir: string
  seed: number
  /** Pairs of messages shown, on some device, in another order than the relay's log. */
  visibleOrderChanges: number
  /**
   * Messages acknowledged at one seq and later at another: an acknowledged write the relay lost
   * (a restart that forgot it, so the outbox's retry was stored anew). Must be 0.
   */
  acksChanged: number
} & AdversaryReport

/** The heartbeat period T used when the relay is hostile. */
const ADVERSARY_HEARTBEAT_MS = 1_000

type Device = { identity: Identity; client: WardlineClient; dialogue: number; speaker: string }

const log = (s: string) => console.error(`sim: ${s}`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function pool<T>(items: T[], size: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      await fn(items[i]!, i)
    }
  }))
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10
}

export async function runScenario(o: {
  dialogues: Dialogue[]
  relayUrl: string
  setupCode: string
  seed: number
  dataDir: string
  /** Malicious-relay mode: these faults, on the first half of the turns (test/sim/adversary.ts). */
  adversary?: FaultKind[]
  /** WebSocket relays for the devices, spread round-robin (default: relayUrl alone); HTTP uses relayUrl. */
  relayUrls?: string[]
  /** Relay faults (test/sim/faults.ts), run while the turns are sent; awaited before delivery is measured. */
  faults?: (ctx: FaultContext) => Promise<unknown>
  /** Filled with the time of every socket a device opens (its reconnect attempts), by device id. */
  socketAttempts?: Map<string, number[]>
}): Promise<SimReport> {
  const started = performance.now()
  const random = seededRandom(o.seed)
  const http = { baseUrl: o.relayUrl, fetch: globalThis.fetch.bind(globalThis) }
  const wsUrls = (o.relayUrls?.length ? o.relayUrls : [o.relayUrl]).map((u) => u.replace(/^http/, 'ws') + '/ws')
  let placed = 0
  const sentAt = new Map<string, number>()
  const receipts = new Map<string, number>() // "recordId|deviceId" → count
  const latencies: number[] = []
  const relaySeq = new Map<string, number>() // record id → its position in the relay's log (acked)
  const totalTurns = o.dialogues.reduce((sum, d) => sum + d.turns.length, 0)
  let sending = false
  let sent = 0
  let acksChanged = 0
  let handed = 0 // turns handed to the engine (sendMessage called)
  const adversary = o.adversary?.length
    ? new Adversary({ kinds: o.adversary, seed: o.seed, active: () => sending && sent < totalTurns / 2 })
    : null

  const makeClient = (identity: Identity, attacked = true, wsUrl = wsUrls[0]!) => {
    const base = adversary && attacked ? adversary.socketFor(identity.deviceId) : (url: string) => new WebSocket(url)
    const createSocket = (url: string) => {
      if (o.socketAttempts) {
        const times = o.socketAttempts.get(identity.deviceId) ?? []
        times.push(Date.now())
        o.socketAttempts.set(identity.deviceId, times)
      }
      return base(url)
    }
    return new WardlineClient({
      createSocket,
      ...(adversary && attacked ? { onDefence: (event: DefenceEvent) => adversary.defence(identity.deviceId, event) } : {}),
      store: new MemoryStore(),
      identity,
      wsUrl,
      emit: () => {},
      // Under attack the policy's heartbeat period T is short, so a fork or a withheld entry at
      // the end of a dialogue is noticed within the run (DESIGN §4); otherwise the default.
      ...(adversary ? { heartbeatMs: ADVERSARY_HEARTBEAT_MS } : {}),
      onSent: (_conv, recordId, seq) => {
        const before = relaySeq.get(recordId)
        if (before !== undefined && before !== seq) acksChanged++
        relaySeq.set(recordId, seq)
      },
      onRecord: (_conv, record) => {
        const key = `${record.id}|${identity.deviceId}`
        receipts.set(key, (receipts.get(key) ?? 0) + 1)
        const t0 = sentAt.get(record.id)
        if (t0 !== undefined) latencies.push(performance.now() - t0)
      },
    })
  }

  log(`setting up the organisation on ${o.relayUrl}`)
  const { identity: adminIdentity } = await setupOrganisation(http, o.setupCode, 'Simulation admin', {
    threshold: 2,
    officers: ['Compliance officer 1', 'Compliance officer 2', 'Compliance officer 3'],
  })
  const admin = makeClient(adminIdentity, false)
  await admin.start()
  await waitFor(() => admin.connectionState === 'online', 10_000, 'admin online')
  const root = { secretKey: adminIdentity.rootSecretKey!, publicKey: adminIdentity.rootPublicKey }

  const wanted = o.dialogues.flatMap((d, dialogue) => d.speakers.map((speaker) => ({ dialogue, speaker })))
  log(`enrolling ${wanted.length} devices for ${o.dialogues.length} dialogues (seed ${o.seed})`)
  const devices: Device[] = []
  await pool(wanted, 8, async ({ dialogue, speaker }) => {
    const made = createEnrollment(root, {
      userId: newUserId(),
      displayName: `${speaker || 'Speaker'} ${o.dialogues[dialogue]!.id}`,
      role: 'clinician',
      expiresAt: Date.now() + 3600_000,
    })
    await admin.putAuthorization(made.authorization)
    const identity = await enrollDevice(http, made.code)
    devices.push({ identity, client: makeClient(identity, true, wsUrls[placed++ % wsUrls.length]!), dialogue, speaker })
  })
  const byDialogue = (i: number) => devices.filter((d) => d.dialogue === i)
  await pool(devices, 32, async (d) => {
    await d.client.start()
  })
  await waitFor(() => devices.every((d) => d.client.connectionState === 'online'), 60_000, 'devices online')
  await waitFor(() => devices.every((d) => d.client.people().length >= devices.length), 60_000, 'directory sync')

  log('creating conversations')
  const conversationOf = new Map<number, string>()
  await pool(o.dialogues.map((_, i) => i), 16, async (i) => {
    const members = byDialogue(i)
    const creator = members[0]!
    const id = await creator.client.createConversation(members.map((m) => m.identity.userId))
    conversationOf.set(i, id)
    const deviceOf = new Map(members.map((m) => [m.speaker, m.identity.deviceId]))
    adversary?.planConversation(id, members.map((m) => m.identity.deviceId), o.dialogues[i]!.turns.map((t) => deviceOf.get(t.speaker) ?? ''))
  })
  await waitFor(() =>
    devices.every((d) => d.client.conversations.has(conversationOf.get(d.dialogue)!)), 60_000, 'conversations everywhere')

  log(`sending turns${adversary ? ` (adversary: ${[...adversary.kinds].join(',')} on the first ${Math.ceil(totalTurns / 2)})` : ''}`)
  sending = true
  // Computed from the corpus alone: every turn reaches every other device of its conversation.
  const expected = o.dialogues.reduce((sum, d) => sum + d.turns.length * (d.speakers.length - 1), 0)
  const sentIds = new Map<number, string[]>()
  const faultContext: FaultContext = {
    sent: () => handed,
    totalTurns,
    allOnline: () => admin.connectionState === 'online' && devices.every((d) => d.client.connectionState === 'online'),
    holdAt: Infinity,
  }
  const faultRun = o.faults?.(faultContext)
  const sendingDone = pool(o.dialogues.map((_, i) => i), 24, async (i) => {
    const members = byDialogue(i)
    const conversationId = conversationOf.get(i)!
    const ids: string[] = []
    for (const turn of o.dialogues[i]!.turns) {
      while (handed >= faultContext.holdAt) await sleep(5)
      handed++ // counted before the await below, so parallel senders cannot overshoot a hold
      const device = members.find((m) => m.speaker === turn.speaker)!
      const t0 = performance.now()
      const id = await device.client.sendMessage(conversationId, turn.text, crypto.randomUUID())
      sentAt.set(id, t0)
      ids.push(id)
      sent++
      const deadline = Date.now() + 30_000
      while (!relaySeq.has(id) && Date.now() < deadline) await sleep(2)
      if (!relaySeq.has(id)) log(`${id} was not acknowledged within 30 s; sending on (it counts as lost if it never arrives)`)
      if (random() < 0.1) await sleep(Math.floor(random() * 5))
    }
    sentIds.set(i, ids)
  })
  await Promise.all([sendingDone, faultRun])

  const delivered = () => receipts.size
  log(`sent ${sent}; waiting for delivery (${delivered()}/${expected})`)
  let last = -1
  let stableSince = Date.now()
  while (delivered() < expected) {
    if (delivered() !== last) {
      last = delivered()
      stableSince = Date.now()
    } else if (Date.now() - stableSince > 15_000) break
    await sleep(50)
  }
  if (adversary) {
    // Let the engine's repairs (resubscribes, fork rebuilds) and any held frame finish: every
    // device shows every message of its conversation, or nothing changes for 15 s.
    const shown = () =>
      devices.reduce((n, d) => n + d.client.listMessages(conversationOf.get(d.dialogue)!).length, 0) + (adversary.busy() ? -1 : 0)
    const want = devices.reduce((n, d) => n + (sentIds.get(d.dialogue)?.length ?? 0), 0)
    let lastShown = -1
    let since = Date.now()
    while (shown() < want) {
      if (shown() !== lastShown) {
        lastShown = shown()
        since = Date.now()
      } else if (Date.now() - since > 15_000) break
      await sleep(50)
    }
  }
  if (adversary) {
    // Give heartbeats (period T) time to reveal forks and withheld entries at the ends of
    // dialogues, and the devices time to repair, before measuring.
    let quietSince = Date.now()
    let last = -1
    while (Date.now() - quietSince < ADVERSARY_HEARTBEAT_MS * 4) {
      const shown = devices.reduce((n, d) => n + d.client.listMessages(conversationOf.get(d.dialogue)!).filter((m) => m.seq !== null).length, 0)
      if (shown !== last) {
        last = shown
        quietSince = Date.now()
      }
      await sleep(200)
    }
  }
  for (const d of [...devices, { client: admin }]) await d.client.idle()

  // What each device shows at the end: every message of its conversation exactly once, in one order.
  let outOfOrder = 0
  let missingAtEnd = 0
  let shownTwice = 0
  for (let i = 0; i < o.dialogues.length; i++) {
    const conversationId = conversationOf.get(i)!
    const ids = sentIds.get(i) ?? []
    const views = byDialogue(i).map((d) => d.client.listMessages(conversationId).map((m) => m.id))
    for (const view of views) {
      shownTwice += view.length - new Set(view).size
      const missing = ids.filter((id) => !view.includes(id))
      missingAtEnd += missing.length
      if (missing.length && Deno.env.get('WARDLINE_SIM_ADVERSARY_LOG')) log(`missing on a device: ${missing.join(' ')} (shows ${view.length} of ${ids.length})`)
      // a sender's own order: counters ascend per device
      const lastN = new Map<string, number>()
      for (const id of view) {
        const [dev, n] = id.split('.') as [string, string]
        if ((lastN.get(dev) ?? -1) > Number(n)) outOfOrder++
        lastN.set(dev, Number(n))
      }
    }
    const reference = views[0] ?? []
    const position = new Map(reference.map((id, k) => [id, k]))
    for (const view of views.slice(1)) {
      for (let a = 0; a < view.length; a++) {
        for (let b = a + 1; b < view.length; b++) {
          const pa = position.get(view[a]!)
          const pb = position.get(view[b]!)
          if (pa !== undefined && pb !== undefined && pa > pb) outOfOrder++
        }
      }
    }
    // the order sent (turn order) must be the order shown
    const ref = reference.filter((id) => ids.includes(id))
    for (let k = 0; k < ref.length; k++) if (ref[k] !== ids[k]) outOfOrder++
  }
  // Pairs shown in another order than the relay's log, on any device (counted once per pair).
  let visibleOrderChanges = 0
  for (let i = 0; i < o.dialogues.length; i++) {
    const conversationId = conversationOf.get(i)!
    const inverted = new Set<string>()
    for (const d of byDialogue(i)) {
      const view = d.client.listMessages(conversationId).map((m) => m.id).filter((id) => relaySeq.has(id))
      for (let a = 0; a < view.length; a++) {
        for (let b = a + 1; b < view.length; b++) {
          if (relaySeq.get(view[a]!)! > relaySeq.get(view[b]!)!) {
            inverted.add(`${view[b]}|${view[a]}`)
            if (Deno.env.get('WARDLINE_SIM_ADVERSARY_LOG')) {
              log(`order changed on ${d.client.id.deviceId.slice(0, 8)} in ${conversationId.slice(0, 8)}: ${view[a]}@${relaySeq.get(view[a]!)} shown before ${view[b]}@${relaySeq.get(view[b]!)}`)
            }
          }
        }
      }
    }
    visibleOrderChanges += inverted.size
  }
  if (adversary) {
    for (const f of adversary.uncaught()) {
      log(`not caught: ${f.id} targets ${[...f.targets].map((t) => t.slice(0, 8)).join(',')} caught by ${[...f.caught].map((t) => t.slice(0, 8)).join(',') || 'none'}`)
    }
    const extra = [...adversary.unmatched].map(([k, n]) => `${k} ×${n}`).join(', ')
    if (extra) log(`defences with no injected fault of this device awaiting them: ${extra}`)
    if (adversary.silentRepairs) log(`faults withdrawn (the device's own next entry revealed them, or it read again of its own accord): ${adversary.silentRepairs}`)
  }
  let duplicates = shownTwice
  for (const n of receipts.values()) duplicates += n - 1

  for (const d of devices) d.client.stop()
  admin.stop()
  latencies.sort((a, b) => a - b)
  const deliveredCount = delivered()
  return {
    conversations: o.dialogues.length,
    devices: devices.length,
    sent,
    delivered: deliveredCount,
    expected,
    lost: expected - deliveredCount,
    duplicates,
    outOfOrder,
    missingAtEnd,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    dataDir: o.dataDir,
    seed: o.seed,
    visibleOrderChanges,
    acksChanged,
    ...(adversary ? adversary.report() : emptyAdversaryReport()),
  }
}
