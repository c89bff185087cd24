/**
 * Test helpers for the client engine: a real relay in process (with its storage reachable, as a
 * hostile operator would have it), an organisation, and enrolled devices with in-memory stores.
 */
import { type RelayOptions, startRelay } from '../../relay/server.ts'
import { openSqliteStorage } from '../../relay/storage/sqlite.ts'
import { type ClientOptions, WardlineClient } from './client.ts'
import { createEnrollment, enrollDevice, type Identity, newUserId, setupOrganisation } from './identity.ts'
import { MemoryStore } from './store.ts'

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await sleep(20)
  }
}

/**
 * A `createSocket` whose incoming messages pass through `incoming`, which calls `deliver` for each
 * copy the engine should see (now, later, twice or never): a link that drops, delays, reorders or
 * duplicates frames in front of a real WebSocket to the real relay.
 */
export function interceptedSocket(incoming: (ev: MessageEvent, deliver: (ev: MessageEvent) => void) => void) {
  return (url: string): WebSocket => {
    const ws = new WebSocket(url)
    ws.binaryType = 'arraybuffer'
    const wrapper = {
      binaryType: 'arraybuffer',
      onmessage: null as ((ev: MessageEvent) => void) | null,
      onclose: null as ((ev: CloseEvent) => void) | null,
      onerror: null as ((ev: Event) => void) | null,
      get readyState() {
        return ws.readyState
      },
      send: (data: Uint8Array) => ws.send(data),
      close: (code?: number) => ws.close(code),
    }
    ws.onmessage = (ev) => incoming(ev, (e) => wrapper.onmessage?.(e))
    ws.onclose = (ev) => wrapper.onclose?.(ev)
    ws.onerror = (ev) => wrapper.onerror?.(ev)
    return wrapper as unknown as WebSocket
  }
}

/** `relay` adds options (compaction timings, say) to the test relay's; `client` to every client's. */
export async function world(relay: Partial<RelayOptions> = {}, client: Partial<ClientOptions> = {}) {
  const dataDir = await Deno.makeTempDir({ prefix: 'wardline-client-' })
  const storage = await openSqliteStorage(dataDir)
  const server = await startRelay({ port: 0, hostname: '127.0.0.1', storage, staticDir: `${dataDir}/x`, setupCode: 'TESTCODE', log: () => {}, ...relay })
  const http = { baseUrl: server.url, fetch: globalThis.fetch.bind(globalThis) }
  const wsUrl = server.url.replace('http', 'ws') + '/ws'
  const alerts: string[] = []
  const clients: WardlineClient[] = []
  const makeWith = (o: Partial<ClientOptions> & { identity: Identity; store: ClientOptions['store'] }) => {
    const made = new WardlineClient({ wsUrl, emit: (e, d) => e === 'alert' && alerts.push((d as { code: string }).code), ...client, ...o })
    clients.push(made)
    return made
  }
  const make = (identity: Identity, store = new MemoryStore()) => makeWith({ identity, store })
  const { identity: adminId, complianceShares } = await setupOrganisation(http, 'TESTCODE', 'Ann Admin', { threshold: 2, officers: ['Officer 1', 'Officer 2'] })
  const admin = make(adminId)
  await admin.start()
  /** Enrolls a new person, or another device of `userId`. */
  const enroll = async (name: string, userId = newUserId()) => {
    const made = createEnrollment({ secretKey: adminId.rootSecretKey!, publicKey: adminId.rootPublicKey }, {
      userId, displayName: name, role: 'clinician', expiresAt: Date.now() + 60_000,
    })
    await admin.putAuthorization(made.authorization)
    return enrollDevice(http, made.code)
  }
  const close = async () => {
    for (const client of clients) client.stop()
    await server.close()
  }
  return { relay: server, storage, http, wsUrl, admin, adminId, complianceShares, make, makeWith, enroll, alerts, dataDir, close }
}

/** The admin and one enrolled nurse, both online with each other in their directories. */
export async function adminAndNurse(relay: Partial<RelayOptions> = {}, client: Partial<ClientOptions> = {}) {
  const w = await world(relay, client)
  const benId = await w.enroll('Ben Nurse')
  const ben = w.make(benId)
  await ben.start()
  await until(() => w.admin.people().length === 2 && ben.people().length === 2, 'directory')
  return { ...w, ben, benId }
}
