/**
 * The Wardline worker: the only browser code that holds keys or opens IndexedDB (DESIGN §2). It
 * answers the typed requests of workers/protocol.ts, runs the client engine, and posts events.
 * Locking terminates nothing here: the UI terminates the whole worker, which drops every key.
 */
/// <reference lib="webworker" />
import { randomBytes, wipe } from '../crypto/bytes.ts'
import { DEFAULT_KDF, unwrapLocalKey, wrapLocalKey } from '../crypto/local-key.ts'
import { WardlineClient } from './core/client.ts'
import {
  createEnrollment,
  describeComplianceKey,
  enrollDevice,
  formatFingerprint,
  type Identity,
  IdentityError,
  newUserId,
  setupOrganisation,
} from './core/identity.ts'
import { parseComplianceOfficers } from './core/compliance-setup.ts'
import { EncryptedStore, readWrappedKey, WardlineDb, writeWrappedKey } from './encrypted-store.ts'
import { type AppPhase, type EventMessage, type EventName, type Events, type Methods, MIN_PIN_LENGTH, type Request, type Response, type StatusSnapshot } from './protocol.ts'

declare const self: DedicatedWorkerGlobalScope

// The app's own origin serves the relay; tests (and a relay on a separate origin) pass
// `?relay=ORIGIN`, and tests isolate storage with `?db=NAME`.
const params = new URL(self.location.href).searchParams
const relayOrigin = params.get('relay') ?? self.location.origin
const db = new WardlineDb(params.get('db') ?? undefined)
const http = { baseUrl: relayOrigin, fetch: self.fetch.bind(self) }
const wsUrl = relayOrigin.replace(/^http/, 'ws') + '/ws'

let client: WardlineClient | null = null
let identity: Identity | null = null
let corruptSeen = 0

function post<E extends EventName>(event: E, data: Events[E]): void {
  self.postMessage({ v: 1, event, data } satisfies EventMessage<E>)
}

async function phase(): Promise<AppPhase> {
  if (client) return 'ready'
  if (await readWrappedKey(db)) return 'locked'
  try {
    const res = await fetch(new URL('/api/org', relayOrigin))
    const org = await res.json() as { initialized?: boolean }
    return org.initialized === false ? 'needs-setup' : 'needs-enrollment'
  } catch {
    return 'needs-enrollment'
  }
}

async function status(): Promise<StatusSnapshot> {
  return {
    phase: await phase(),
    connection: client?.connectionState ?? 'offline',
    queued: client?.queuedCount() ?? 0,
    me: identity ? { userId: identity.userId, displayName: identity.displayName, role: identity.role, deviceId: identity.deviceId } : null,
    rootFingerprint: identity ? formatFingerprint(identity.rootPublicKey) : null,
    compliance: identity ? describeComplianceKey(identity) : null,
  }
}

let statusTimer: ReturnType<typeof setTimeout> | null = null
/** The engine signals "status changed"; coalesce and send one full snapshot. */
function statusChanged(): void {
  if (statusTimer) return
  statusTimer = setTimeout(async () => {
    statusTimer = null
    post('status', await status())
  }, 50)
}

function startClient(id: Identity, localKey: Uint8Array): Promise<unknown> {
  identity = id
  const store = new EncryptedStore(db, localKey, () => corruptSeen++)
  client = new WardlineClient({ store, identity: id, wsUrl, emit: post, onStatusChange: statusChanged })
  return client.start()
}

function assertPin(pin: string): void {
  if (typeof pin !== 'string' || pin.length < MIN_PIN_LENGTH) {
    throw new IdentityError('local/weak-pin', `Choose a PIN or passphrase of at least ${MIN_PIN_LENGTH} characters`)
  }
}

/** Stores a new identity under a fresh local key wrapped by the PIN, then starts syncing. */
async function adopt(id: Identity, pin: string): Promise<StatusSnapshot> {
  const localKey = randomBytes(32)
  const wrapped = wrapLocalKey(localKey, pin, DEFAULT_KDF)
  const store = new EncryptedStore(db, localKey)
  await store.write([{ key: 'identity', value: id }])
  await writeWrappedKey(db, wrapped)
  await startClient(id, localKey)
  return status()
}

function requireClient(): WardlineClient {
  if (!client) throw new IdentityError('local/locked', 'Unlock first')
  return client
}

// A handler may answer at once or later; onmessage awaits both inside one try.
type Handler<M extends keyof Methods> = (p: Methods[M]['params']) => Methods[M]['result'] | Promise<Methods[M]['result']>
const handlers: { [M in keyof Methods]: Handler<M> } = {
  status: () => status(),
  async setupOrganisation({ setupCode, displayName, pin, complianceOfficers, complianceThreshold }) {
    assertPin(pin)
    if (!displayName.trim()) throw new IdentityError('setup/name-required', 'Enter your name')
    const compliance = parseComplianceOfficers(complianceOfficers, complianceThreshold)
    if (!compliance.ok) throw new IdentityError(compliance.code, 'Name 1 to 16 different compliance officers and how many are needed')
    // The shares go back to the admin's screen once and are kept nowhere (DESIGN §1 rule 2).
    const made = await setupOrganisation(http, setupCode, displayName.trim(), compliance.value)
    return { ...(await adopt(made.identity, pin)), complianceShares: made.complianceShares }
  },
  async enroll({ code, pin }) {
    assertPin(pin)
    if (await readWrappedKey(db)) throw new IdentityError('enroll/already-enrolled')
    return adopt(await enrollDevice(http, code), pin)
  },
  async unlock({ pin }) {
    if (client) return status()
    const wrapped = await readWrappedKey(db)
    if (!wrapped) throw new IdentityError('local/not-enrolled')
    const key = unwrapLocalKey(wrapped, pin)
    if (!key.ok) throw new IdentityError(key.code, 'Wrong PIN')
    const store = new EncryptedStore(db, key.value)
    const id = await store.get<Identity>('identity')
    if (!id) {
      wipe(key.value)
      throw new IdentityError('local/corrupt-identity', 'This device’s identity could not be read')
    }
    await startClient(id, key.value)
    return status()
  },
  lock() {
    client?.stop()
    client = null
    identity = null
    return status()
  },
  listPeople: () => requireClient().people(),
  listConversations: () => requireClient().listConversations(),
  async createConversation({ userIds }) {
    return { conversationId: await requireClient().createConversation(userIds) }
  },
  listMessages: ({ conversationId }) => requireClient().listMessages(conversationId),
  async sendMessage({ conversationId, body, clientId }) {
    if (typeof body !== 'string' || !body.trim()) throw new IdentityError('compose/empty')
    return { id: await requireClient().sendMessage(conversationId, body, clientId) }
  },
  async markRead({ conversationId }) {
    await requireClient().markRead(conversationId)
    return null
  },
  networkChanged({ online }) {
    if (online) client?.connection.retryNow()
    else client?.connection.dropNow()
    return null
  },
  async createEnrollmentCode({ displayName, role, validHours }) {
    const c = requireClient()
    if (!identity?.rootSecretKey) throw new IdentityError('admin/no-root-key', 'Only the organisation’s admin device can add people')
    const hours = Math.min(Math.max(Number(validHours) || 72, 1), 24 * 30)
    const expiresAt = Date.now() + hours * 3600_000
    const made = createEnrollment(
      { secretKey: identity.rootSecretKey, publicKey: identity.rootPublicKey },
      { userId: newUserId(), displayName: displayName.trim(), role, expiresAt },
    )
    await c.putAuthorization(made.authorization)
    wipe(made.secret)
    return { code: made.code, link: `${self.location.origin}/#enroll=${made.code}`, expiresAt }
  },
}

self.addEventListener('online', () => client?.connection.retryNow())
self.addEventListener('offline', () => client?.connection.dropNow())

self.onmessage = async (ev: MessageEvent<Request>) => {
  const req = ev.data
  if (!req || req.v !== 1 || typeof req.id !== 'number' || !(req.method in handlers)) return
  let response: Response
  try {
    const handler = handlers[req.method] as (p: unknown) => Promise<unknown>
    response = { v: 1, id: req.id, ok: true, result: await handler(req.params ?? {}) }
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'app/internal'
    response = { v: 1, id: req.id, ok: false, error: { code, message: e instanceof Error ? e.message : code } }
  }
  self.postMessage(response)
}
