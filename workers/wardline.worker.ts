/**
 * The Wardline worker: the only browser code that holds keys or opens IndexedDB (DESIGN §2). It
 * answers the typed requests of workers/protocol.ts, runs the client engine, and posts events.
 * Locking terminates nothing here: the UI terminates the whole worker, which drops every key.
 */
/// <reference lib="webworker" />
import { bytesToHex, randomBytes, wipe } from '../crypto/bytes.ts'
import { DEFAULT_KDF, unwrapLocalKey, unwrapLocalKeyWithPrf, wrapLocalKey, wrapLocalKeyWithPrf } from '../crypto/local-key.ts'
import { checkPin, DEFAULT_POLICY, type Policy, signPolicy } from '../crypto/policy.ts'
import { safetyNumber, safetyQrPayload } from '../crypto/safety-number.ts'
import { attemptsLeft, NO_FAILURES, remainingWaitMs } from './core/pin-attempts.ts'
import { WardlineClient } from './core/client.ts'
import {
  createEnrollment,
  describeComplianceKey,
  enrollDevice,
  formatFingerprint,
  type Identity,
  IdentityError,
  newUserId,
  restoreRootKey,
  setupOrganisation,
} from './core/identity.ts'
import { parseComplianceOfficers } from './core/compliance-setup.ts'
import { parsePatientContext } from './core/patient-context.ts'
import { parseRootHolders } from './core/root-shares.ts'
import { signedAuditEvent } from './core/audit.ts'
import { fetchDirectoryUsers, maybeSignCheckpoint, rememberCode } from './core/admin.ts'
import { adminHandlers } from './admin-handlers.ts'
import { assertAttachmentInput, MAX_ATTACHMENT_BYTES } from './core/attachments.ts'
import { prepareAttachment } from './prepare-attachment.ts'
import { DB_NAME, EncryptedStore, readWrappedKey, WardlineDb, writeWrappedKey } from './encrypted-store.ts'
import { type AppPhase, type DeviceView, type EventMessage, type EventName, type Events, type Methods, type Request, type Response, type StatusSnapshot } from './protocol.ts'
import { readFailures, readPolicy, readPrf, refreshPolicy, rootForEnrollment, storePolicy, wipeDatabase, writeFailures, writePrf, writeRootPublicKey } from './vault.ts'
import { acceptLease, checkLease, isSessionOver, type KeyValue, LEASE_KEYS, type LeaseView } from './core/lease-guard.ts'
import { fromBase64url } from '../crypto/bytes.ts'

declare const self: DedicatedWorkerGlobalScope

// The app's own origin serves the relay; tests (and a relay on a separate origin) pass
// `?relay=ORIGIN`, and tests isolate storage with `?db=NAME`. Shared-device mode (decision 0012):
// the page starts one worker per enrolled profile and names that profile's database in the
// worker's name (`wardline:wardline-user-…`); the worker opens no other database. Every profile's
// database holds its own PIN-wrapped local key, so a worker started on someone else's profile
// still needs that person's PIN (and counts wrong guesses against that profile).
const params = new URL(self.location.href).searchParams
const relayOrigin = params.get('relay') ?? self.location.origin
const PROFILE_DB = /^wardline(-user-[0-9a-f]{16,32})?$/
const namedDb = self.name.startsWith('wardline:') ? self.name.slice('wardline:'.length) : ''
const dbName = params.get('db') ?? (PROFILE_DB.test(namedDb) ? namedDb : undefined)
let db = new WardlineDb(dbName) // replaced after a wipe
// The wrong-PIN waits in ms per "second" of the schedule (workers/core/pin-attempts.ts). Fixed:
// nothing a page can pass shortens them (the schedule itself is unit-tested with its own clock).
const pinDelayUnitMs = 1000
const http = { baseUrl: relayOrigin, fetch: self.fetch.bind(self) }
const wsUrl = relayOrigin.replace(/^http/, 'ws') + '/ws'

let client: WardlineClient | null = null
let identity: Identity | null = null
let localKey: Uint8Array | null = null // dropped with the worker on lock (web/main.ts)
let corruptSeen = 0

function post<E extends EventName>(event: E, data: Events[E]): void {
  self.postMessage({ v: 1, event, data } satisfies EventMessage<E>)
}

async function phase(): Promise<AppPhase> {
  if (client && !renewingLease) return 'ready'
  if (await hasDatabase() && await readWrappedKey(db)) {
    // Past the lease's second limit the device erases itself, even if it never reconnects.
    if ((await leaseView()).state === 'wipe') await eraseDevice('local/lease-wiped')
    else return 'locked'
  }
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
    ...(identity ? { hasRootKey: identity.rootSecretKey !== undefined } : {}),
    ...(await vaultStatus()),
    ...(await lifecycleStatus()),
  }
}

async function vaultStatus(): Promise<Pick<StatusSnapshot, 'idleLockMinutes' | 'pinAttemptsLeft' | 'pinWaitMs' | 'prfCredentialId'>> {
  // An erased (or never enrolled) device is not re-created just to answer "status".
  if (!(await hasDatabase())) return { idleLockMinutes: DEFAULT_POLICY.idleLockMinutes, pinAttemptsLeft: DEFAULT_POLICY.maxPinAttempts, pinWaitMs: 0, prfCredentialId: null }
  const policy = await readPolicy(db)
  const failures = await readFailures(db)
  return {
    idleLockMinutes: policy.idleLockMinutes,
    pinAttemptsLeft: attemptsLeft(failures, policy.maxPinAttempts),
    pinWaitMs: remainingWaitMs(failures, Date.now(), pinDelayUnitMs),
    prfCredentialId: (await readPrf(db))?.credentialId ?? null,
  }
}

/** Fetches the organisation's policy; one the pinned root did not sign is ignored and reported. */
async function updatePolicy(root: Uint8Array): Promise<Policy> {
  if (await refreshPolicy(db, http, root) === 'invalid') {
    post('alert', { code: 'trust/bad-policy', message: 'The server offered a device policy your organisation did not sign; it was ignored.' })
  }
  statusChanged()
  return readPolicy(db)
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

async function startClient(id: Identity, key: Uint8Array): Promise<unknown> {
  identity = id
  localKey = key
  const store = new EncryptedStore(db, key, () => corruptSeen++)
  // A directory change may come with a new policy (relay/ws/policy.ts broadcasts it).
  const emit: typeof post = (event, data) => {
    post(event, data)
    if (event === 'people') void updatePolicy(id.rootPublicKey)
  }
  client = new WardlineClient({
    store, identity: id, wsUrl, emit, onStatusChange: statusChanged,
    onRevoked: () => void eraseDevice('local/device-revoked'),
    onLease: (blob) => void takeLease(blob),
  })
  sessionStore = store
  const started = await client.start()
  void updatePolicy(id.rootPublicKey)
  setTimeout(() => void autoCheckpoint().catch(() => {}), 30_000)
  return started
}

/** How often an admin or compliance device looks whether a checkpoint of the audit log is due. */
const CHECKPOINT_CHECK_MS = 10 * 60_000

/** Admin and compliance devices countersign the audit head every few hours on their own (decision 0013). */
async function autoCheckpoint(): Promise<void> {
  const c = client
  const store = sessionStore
  if (!c || !store || !['admin', 'compliance'].includes(c.id.role) || c.connectionState !== 'online') return
  await maybeSignCheckpoint(store, c, Date.now())
}
setInterval(() => void autoCheckpoint().catch(() => {}), CHECKPOINT_CHECK_MS)

function assertPin(pin: string, policy: Policy): void {
  if (checkPin(pin, policy)) {
    const kind = { any: '', digits: ' (digits only)', mixed: ' with letters and digits' }[policy.pinKind]
    throw new IdentityError('local/weak-pin', `Choose a PIN or passphrase of at least ${policy.minPinLength} characters${kind}`)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let unlockQueue: Promise<unknown> = Promise.resolve()
/** One unlock attempt at a time, so parallel guesses cannot skip the counter or the wait. */
function serialUnlock<T>(task: () => Promise<T>): Promise<T> {
  const run = unlockQueue.then(task)
  unlockQueue = run.catch(() => {})
  return run
}

async function openVault(key: Uint8Array): Promise<StatusSnapshot> {
  const id = await new EncryptedStore(db, key).get<Identity>('identity')
  if (!id) {
    wipe(key)
    throw new IdentityError('local/corrupt-identity', 'This device’s identity could not be read')
  }
  await startClient(id, key)
  return status()
}

/** Too many wrong PINs (DESIGN §1 rule 6): erase the whole local database, keep the service worker. */
async function wipeAfterFailures(): Promise<never> {
  await wipeDatabase(db)
  db = new WardlineDb(dbName)
  throw new IdentityError('local/wiped', 'Too many wrong PINs: the local data was erased')
}

async function unlockWithPin(pin: string): Promise<StatusSnapshot> {
  if (client) return status()
  return openWithinLease(await checkPinAttempt(pin))
}

/**
 * Re-authentication before a destructive admin action (issue 7): the PIN is checked exactly like
 * an unlock — same counter, waits and wipe at the policy's limit — and the key it opens is dropped.
 */
async function confirmPin(pin: string): Promise<void> {
  const key = await serialUnlock(async () => {
    try {
      return await checkPinAttempt(pin)
    } catch (e) {
      if ((e as { code?: string }).code === 'local/wiped') {
        // The database is gone: stop syncing and drop every key like an erase does.
        client?.stop()
        client = null
        identity = null
        sessionStore = null
      }
      throw e
    }
  })
  wipe(key)
}

/** One counted PIN attempt against the wrapped local key; returns the key. */
async function checkPinAttempt(pin: string): Promise<Uint8Array> {
  const wrapped = await readWrappedKey(db)
  if (!wrapped) throw new IdentityError('local/not-enrolled')
  const policy = await readPolicy(db)
  const before = await readFailures(db)
  if (before.failures >= policy.maxPinAttempts) return wipeAfterFailures()
  await sleep(remainingWaitMs(before, Date.now(), pinDelayUnitMs))
  // Count the attempt before trying it: stopping the worker mid-scrypt cannot save a guess.
  const counted = { failures: before.failures + 1, lastFailureAt: Date.now() }
  await writeFailures(db, counted)
  const key = unwrapLocalKey(wrapped, typeof pin === 'string' ? pin : '')
  if (!key.ok) {
    if (counted.failures >= policy.maxPinAttempts) return wipeAfterFailures()
    // Answered at once; the wait this failure earns is served before the next attempt (above),
    // and `status` says how long it is, so the unlock screen can count it down.
    throw new IdentityError(key.code, 'Wrong PIN')
  }
  await writeFailures(db, NO_FAILURES)
  return key.value
}

/** Stores a new identity under a fresh local key wrapped by the PIN, then starts syncing. */
async function adopt(id: Identity, pin: string): Promise<StatusSnapshot> {
  const localKey = randomBytes(32)
  const wrapped = wrapLocalKey(localKey, pin, DEFAULT_KDF)
  const store = new EncryptedStore(db, localKey)
  await store.write([{ key: 'identity', value: id }])
  await writeRootPublicKey(db, id.rootPublicKey)
  await writeFailures(db, NO_FAILURES)
  await writeWrappedKey(db, wrapped)
  await startLeaseAtEnrollment(store)
  await startClient(id, localKey)
  return status()
}

/** A SCIM directory user the relay lists as awaiting enrollment (a hint: the root signs the code). */
async function awaitingDirectoryUser(c: WardlineClient, userId: string) {
  const users = await fetchDirectoryUsers(c).catch(() => [])
  return users.find((u) => u.userId === userId && u.state === 'awaiting-enrollment')
}

function requireClient(): WardlineClient {
  if (!client) throw new IdentityError('local/locked', 'Unlock first')
  return client
}

// A handler may answer at once or later; onmessage awaits both inside one try.
type Handler<M extends keyof Methods> = (p: Methods[M]['params']) => Methods[M]['result'] | Promise<Methods[M]['result']>
const handlers: { [M in keyof Methods]: Handler<M> } = {
  status: () => status(),
  async setupOrganisation({ setupCode, displayName, pin, complianceOfficers, complianceThreshold, rootHolders, rootThreshold }) {
    assertPin(pin, await readPolicy(db))
    if (!displayName.trim()) throw new IdentityError('setup/name-required', 'Enter your name')
    const compliance = parseComplianceOfficers(complianceOfficers, complianceThreshold)
    if (!compliance.ok) throw new IdentityError(compliance.code, 'Name 1 to 16 different compliance officers and how many are needed')
    // Without holders (older pages) the root stays on this device alone, as before decision 0016.
    const root = rootHolders === undefined ? null : parseRootHolders(rootHolders, rootThreshold)
    if (root && !root.ok) throw new IdentityError(root.code, 'Name 1 to 16 different key holders and how many are needed')
    // The shares go back to the admin's screen once and are kept nowhere (DESIGN §1 rule 2, §3).
    const made = await setupOrganisation(http, setupCode, displayName.trim(), compliance.value, root?.ok ? root.value : undefined)
    return { ...(await adopt(made.identity, pin)), complianceShares: made.complianceShares, rootShares: made.rootShares }
  },
  async restoreRootKey({ shares }) {
    requireClient()
    if (!identity || !sessionStore) throw new IdentityError('local/locked', 'Unlock first')
    const texts = Array.isArray(shares) ? shares.filter((t) => typeof t === 'string' && t.trim() !== '') : []
    const restored = await restoreRootKey(identity, texts)
    if (!restored.ok) throw new IdentityError(restored.code, 'The organisation key could not be restored from these shares')
    // Stored like the first admin's: inside the identity, under the PIN-wrapped local key.
    await sessionStore.write([{ key: 'identity', value: restored.value }])
    identity.rootSecretKey = restored.value.rootSecretKey! // the engine holds this same object
    // Signed by this device into the audit log (decision 0016); the restore stands without it.
    const event = signedAuditEvent(identity, 'admin.root-restored', { shares: texts.length }, Date.now())
    void requireClient().request({ type: 'putAuditEvent', ref: `ae/${bytesToHex(randomBytes(8))}`, ...event }).catch(() => {})
    return status()
  },
  async enroll({ code, pin }) {
    // The organisation's PIN policy applies before the code is used up: verify it against the
    // root the code's fingerprint names.
    const root = await rootForEnrollment(http, code)
    assertPin(pin, root ? await updatePolicy(root) : await readPolicy(db))
    if (await readWrappedKey(db)) throw new IdentityError('enroll/already-enrolled')
    return adopt(await enrollDevice(http, code), pin)
  },
  unlock: ({ pin }) => serialUnlock(() => unlockWithPin(pin)),
  unlockWithPrf: ({ prfOutput }) =>
    serialUnlock(async () => {
      if (client) return status()
      const record = await readPrf(db)
      if (!record || !(prfOutput instanceof Uint8Array)) throw new IdentityError('local/prf-failed')
      const key = unwrapLocalKeyWithPrf(record.wrapped, prfOutput)
      wipe(prfOutput)
      if (!key.ok) throw new IdentityError(key.code, 'Screen lock unlock failed')
      await writeFailures(db, NO_FAILURES)
      return openWithinLease(key.value)
    }),
  async enablePrfUnlock({ credentialId, prfOutput }) {
    requireClient()
    if (!localKey || !(prfOutput instanceof Uint8Array) || prfOutput.length !== 32 || typeof credentialId !== 'string') {
      throw new IdentityError('local/prf-failed')
    }
    const wrapped = wrapLocalKeyWithPrf(localKey, prfOutput)
    wipe(prfOutput)
    await writePrf(db, credentialId, wrapped)
    return status()
  },
  async setPolicy({ pin, ...settings }) {
    const c = requireClient()
    if (!identity?.rootSecretKey) throw new IdentityError('admin/no-root-key', 'Only the organisation’s admin device can set the policy')
    await confirmPin(String(pin ?? ''))
    const root = identity.rootPublicKey
    const current = await updatePolicy(root)
    const pick = <K extends 'minPinLength' | 'maxPinAttempts' | 'idleLockMinutes' | 'leaseHours' | 'leaseWipeDays' | 'maxSessionHours'>(k: K) => typeof settings[k] === 'number' ? settings[k] : current[k]
    const next: Policy = {
      minPinLength: pick('minPinLength'),
      pinKind: settings.pinKind ?? current.pinKind,
      maxPinAttempts: pick('maxPinAttempts'),
      idleLockMinutes: pick('idleLockMinutes'),
      leaseHours: pick('leaseHours'),
      leaseWipeDays: pick('leaseWipeDays'),
      maxSessionHours: pick('maxSessionHours'),
      allowFileExport: settings.allowFileExport ?? current.allowFileExport,
      version: current.version + 1,
      issuedAt: Date.now(),
    }
    let blob: Uint8Array
    try {
      blob = signPolicy(next, identity.rootSecretKey)
    } catch {
      throw new IdentityError('admin/bad-policy', 'A policy value is out of range')
    }
    await c.request({ type: 'putPolicy', ref: `pp/${bytesToHex(randomBytes(8))}`, policy: blob })
    await storePolicy(db, blob, root)
    statusChanged()
    return null
  },
  lock() {
    client?.stop()
    client = null
    identity = null
    sessionStore = null
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
  async sendAttachment({ conversationId, clientId, caption, name, mime, bytes }) {
    if (!(bytes instanceof ArrayBuffer) || typeof name !== 'string' || typeof mime !== 'string' || typeof caption !== 'string') {
      throw new IdentityError('attachment/bad-file', 'This file cannot be sent')
    }
    // The limit applies to the file as picked, so every way in refuses the same files.
    assertAttachmentInput({ bytes: new Uint8Array(0), mime: 'application/octet-stream', name })
    if (bytes.byteLength > MAX_ATTACHMENT_BYTES) assertAttachmentInput({ bytes: new Uint8Array(bytes), mime, name })
    const file = await prepareAttachment(new Uint8Array(bytes), mime, name)
    return { id: await requireClient().sendAttachment(conversationId, file, caption.trim(), clientId) }
  },
  async openAttachment({ conversationId, recordId, part }) {
    const opened = await requireClient().openAttachment(conversationId, recordId, part === 'thumb' ? 'thumb' : 'file')
    const bytes = opened.bytes.buffer.slice(opened.bytes.byteOffset, opened.bytes.byteOffset + opened.bytes.byteLength) as ArrayBuffer
    opened.bytes.fill(0)
    return { bytes, mime: opened.mime, name: opened.name }
  },
  checkPhi({ conversationId, text }) {
    if (typeof text !== 'string') throw new IdentityError('compose/bad-text')
    return requireClient().checkPhi(conversationId, text)
  },
  async setPatientContext({ conversationId, patient, clientId }) {
    const p = parsePatientContext(patient)
    if (!p) throw new IdentityError('compose/bad-patient-context', 'Each patient detail is limited to 120 characters')
    return { id: await requireClient().setPatientContext(conversationId, p, clientId) }
  },
  async addMembers({ conversationId, userIds, shareHistory }) {
    await requireClient().addMembers(conversationId, userIds, shareHistory)
    return null
  },
  async removeMembers({ conversationId, userIds }) {
    await requireClient().removeMembers(conversationId, userIds)
    return null
  },
  listDevices: () => {
    const c = requireClient()
    return [...c.devices.values()].map((d) => ({
      deviceId: d.deviceId,
      userId: d.userId,
      displayName: d.displayName,
      revoked: c.revoked.has(d.deviceId),
      isThisDevice: d.deviceId === c.id.deviceId,
      revokedBy: revokedBy(c, d.deviceId),
    }))
  },
  safetyNumber({ userId }) {
    const c = requireClient()
    // Only verified, non-revoked devices: the ones messages are actually encrypted to.
    const party = (u: string) => ({
      userId: u,
      signingKeys: [...c.devices.values()].filter((d) => d.userId === u && !c.revoked.has(d.deviceId)).map((d) => d.signingPublicKey),
    })
    const me = party(c.id.userId)
    const them = party(String(userId))
    if (them.userId === me.userId) throw new IdentityError('safety/self', 'Choose another person')
    if (them.signingKeys.length === 0 || me.signingKeys.length === 0) throw new IdentityError('trust/no-verified-device')
    return { digits: safetyNumber(me, them), qrPayload: safetyQrPayload(me, them) }
  },
  async revokeDevice({ deviceId, reason, pin }) {
    const c = requireClient()
    await confirmPin(String(pin ?? ''))
    await c.revokeDevice(deviceId, String(reason ?? '').slice(0, 200))
    return null
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
  async createEnrollmentCode({ displayName, role, validHours, userId }) {
    const c = requireClient()
    if (!identity?.rootSecretKey) throw new IdentityError('admin/no-root-key', 'Only the organisation’s admin device can add people')
    const hours = Math.min(Math.max(Number(validHours) || 72, 1), 24 * 30)
    const expiresAt = Date.now() + hours * 3600_000
    // Another device for an existing person keeps their id, name and role from the directory;
    // a directory (SCIM) user awaiting enrollment keeps the Wardline user id the relay gave them.
    const existing = userId ? c.people().find((p) => p.userId === userId) : undefined
    const awaiting = userId && !existing ? await awaitingDirectoryUser(c, userId) : undefined
    if (userId && !existing && !awaiting) throw new IdentityError('admin/unknown-person')
    if (!existing && !displayName.trim()) throw new IdentityError('admin/name-required', 'Enter the person’s name')
    // Admin, compliance and clinician, or a role the organisation names (it messages like a clinician).
    if (!existing && !/^[\p{L}\p{N}][\p{L}\p{N} -]{0,31}$/u.test(String(role ?? ''))) throw new IdentityError('admin/bad-role', 'Name the role in at most 32 letters, digits, spaces or hyphens')
    const made = createEnrollment(
      { secretKey: identity.rootSecretKey, publicKey: identity.rootPublicKey },
      existing
        ? { userId: existing.userId, displayName: existing.displayName, role: existing.role, expiresAt }
        : { userId: awaiting?.userId ?? newUserId(), displayName: displayName.trim(), role, expiresAt },
    )
    await c.putAuthorization(made.authorization)
    wipe(made.secret)
    if (sessionStore) await rememberCode(sessionStore, made.authorization, identity.rootPublicKey, Date.now())
    return { code: made.code, link: `${self.location.origin}/#enroll=${made.code}`, expiresAt }
  },
  // Encrypted key backup (decision 0007): the recovery key text goes to the screen once; the
  // worker keeps only the derived backup key in its encrypted store.
  createRecoveryKey: () => requireClient().createRecoveryKey(),
  restoreFromRecoveryKey: ({ recoveryKey }) => requireClient().restoreFromRecoveryKey(String(recoveryKey ?? '')),
  keyBackupStatus: () => requireClient().keyBackupStatus(),
  async removeThisDevice() {
    const c = requireClient()
    // Decision 0012: the relay must hear it, or peers would keep the device in their epochs.
    if (c.connectionState !== 'online') throw new IdentityError('local/offline-remove', 'Connect to the network to remove Wardline from this device')
    await c.revokeDevice(c.id.deviceId, 'removed from this device')
    await eraseDevice('local/device-removed')
    return null
  },
  async signOut() {
    // Shared-device mode: the same self-signed revocation, then this profile's database only.
    const c = requireClient()
    if (c.connectionState !== 'online') throw new IdentityError('local/offline-sign-out', 'Connect to the network to sign out')
    await c.revokeDevice(c.id.deviceId, 'signed out at the end of a shift')
    await eraseDevice('local/signed-out')
    return null
  },
  listMessagesPage: ({ conversationId, start, limit }) => requireClient().listMessagesPage(conversationId, start, limit),
  searchMessages: ({ query, limit }) => requireClient().searchMessages(String(query ?? ''), limit ?? 50),
  ...adminHandlers({
    requireAdmin() {
      const c = requireClient()
      if (!identity?.rootSecretKey || !sessionStore) throw new IdentityError('admin/no-root-key', 'Only the organisation’s admin device can do this')
      return { client: c, store: sessionStore }
    },
    confirmPin,
    readPolicy: () => readPolicy(db),
  }),
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

// ---- device lifecycle (decision 0012): erase, lease, session limit -------------------------

const HOUR = 3600_000
/** How often an open device checks its lease and session limit (and renews a lease half used). */
const LIFECYCLE_CHECK_MS = 15_000
/** How long an unlock past the lease waits for the relay's renewal. */
const LEASE_RENEW_WAIT_MS = 10_000
let sessionStore: EncryptedStore | null = null
let unlockedAt = 0
let erasing: Promise<void> | null = null
let renewingLease = false

async function hasDatabase(): Promise<boolean> {
  try {
    return (await indexedDB.databases()).some((d) => d.name === (dbName ?? DB_NAME))
  } catch {
    return true // cannot tell: assume it exists (opening it is what the worker did before)
  }
}

/**
 * Erases every key of this worker and its profile's database. Other profiles' databases stay
 * (shared-device mode); when no profile is left the page clears the rest of the origin.
 */
function eraseDevice(code: Events['wiped']['code']): Promise<void> {
  erasing ??= (async () => {
    client?.stop()
    if (localKey) wipe(localKey)
    if (identity) wipe(identity.signingSecretKey, identity.agreementSecretKey, ...(identity.rootSecretKey ? [identity.rootSecretKey] : []))
    client = null
    identity = null
    localKey = null
    sessionStore = null
    await wipeDatabase(db).catch(() => {})
    db = new WardlineDb(dbName)
    post('wiped', { code })
    erasing = null
  })()
  return erasing
}

const metaKv = (): KeyValue => ({
  get: async <T>(k: string) => (await db.meta.get(k))?.v as T | undefined,
  put: async (k, v) => void (await db.meta.put({ k, v })),
})
const sealedKv = (store: EncryptedStore): KeyValue => ({
  get: (k) => store.get(k),
  put: (k, v) => store.write([{ key: k, value: v }]),
})
const leaseStores = (): KeyValue[] => [metaKv(), ...(sessionStore ? [sealedKv(sessionStore)] : [])]

async function leaseView(store: EncryptedStore | null = sessionStore): Promise<LeaseView> {
  const policy = await readPolicy(db)
  const key = await metaKv().get<Uint8Array>(LEASE_KEYS.publicKey)
  const stores = [metaKv(), ...(store ? [sealedKv(store)] : [])]
  return checkLease(stores, policy, Date.now(), key, identity?.deviceId ?? (await metaKv().get<string>('device-id')))
}

async function lifecycleStatus(): Promise<Pick<StatusSnapshot, 'lease' | 'maxSessionHours' | 'allowFileExport'>> {
  if (!(await hasDatabase()) || !(await readWrappedKey(db))) return {}
  const v = await leaseView()
  const policy = await readPolicy(db)
  return {
    lease: { state: v.state, locksAt: v.locksAt, wipesAt: v.wipesAt },
    maxSessionHours: policy.maxSessionHours,
    allowFileExport: policy.allowFileExport,
  }
}

/** The relay's lease key, pinned the first time (enrollment, or first login after an update). */
async function pinnedLeaseKey(): Promise<Uint8Array | undefined> {
  const pinned = await metaKv().get<Uint8Array>(LEASE_KEYS.publicKey)
  if (pinned) return pinned
  try {
    const org = (await (await fetch(new URL('/api/org', relayOrigin))).json()) as { leasePublicKey?: string }
    if (!org.leasePublicKey) return undefined
    const key = fromBase64url(org.leasePublicKey)
    await metaKv().put(LEASE_KEYS.publicKey, key)
    return key
  } catch {
    return undefined
  }
}

let leaseArrived: (() => void) | null = null
async function takeLease(blob: Uint8Array): Promise<void> {
  const key = await pinnedLeaseKey()
  if (!key || !identity) return
  if (await acceptLease(leaseStores(), blob, key, identity.deviceId)) {
    leaseArrived?.()
    statusChanged()
  } else {
    post('alert', { code: 'lease/bad-signature', message: 'The server offered a lease this device could not verify; it was ignored.' })
  }
}

/** At enrollment: pin the relay's lease key and start a provisional lease from now. */
async function startLeaseAtEnrollment(store: EncryptedStore): Promise<void> {
  const policy = await readPolicy(db)
  await pinnedLeaseKey()
  const id = await store.get<Identity>('identity')
  if (id) await metaKv().put('device-id', id.deviceId)
  const now = Date.now()
  for (const kv of [metaKv(), sealedKv(store)]) await kv.put(LEASE_KEYS.lease, { issuedAt: now, expiresAt: now + policy.leaseHours * HOUR })
}

/**
 * Unlock within the lease: a device past its lease opens only after the relay renews it (the
 * PIN proved the user, the relay's lease proves the device is still wanted); otherwise it stays
 * locked and says so. A device without any lease (made before leases) starts one now.
 */
async function openWithinLease(key: Uint8Array): Promise<StatusSnapshot> {
  const store = new EncryptedStore(db, key)
  let view = await leaseView(store)
  if (view.state === 'wipe') {
    await eraseDevice('local/lease-wiped')
    throw new IdentityError('local/lease-wiped', 'The lease ran out long ago: the local data was erased')
  }
  if (view.state === 'none') await startLeaseAtEnrollment(store)
  // Past the lease, the app stays "locked" (status events included) until the relay renews it.
  renewingLease = view.state === 'expired'
  await openVault(key)
  unlockedAt = Date.now()
  view = await leaseView()
  if (view.state !== 'expired') {
    renewingLease = false
    return status()
  }
  await new Promise<void>((resolve) => {
    leaseArrived = resolve
    setTimeout(resolve, LEASE_RENEW_WAIT_MS)
  })
  leaseArrived = null
  renewingLease = false
  if ((await leaseView()).state === 'expired') {
    await handlers.lock({})
    post('status', await status())
    throw new IdentityError('local/lease-expired', 'This device must connect to renew its lease before it can be unlocked')
  }
  return status()
}

/** While open: lock past the lease or the session limit, erase past the second limit, renew early. */
async function checkLifecycle(): Promise<void> {
  if (!client || !identity) {
    // Locked but open (say, on the unlock screen for days): the second limit still applies.
    if (!erasing && await hasDatabase() && await readWrappedKey(db) && (await leaseView()).state === 'wipe') await eraseDevice('local/lease-wiped')
    return
  }
  const view = await leaseView()
  if (view.state === 'wipe') return eraseDevice('local/lease-wiped')
  const policy = await readPolicy(db)
  const sessionOver = isSessionOver(unlockedAt, view.now, policy.maxSessionHours)
  if (view.state === 'expired' || sessionOver) {
    handlers.lock({})
    post('locked', { code: sessionOver ? 'local/session-limit' : 'local/lease-expired' })
    return
  }
  // Renew once half the lease is used (the relay signs a fresh one on request).
  const lease = await metaKv().get<{ issuedAt: number }>(LEASE_KEYS.lease)
  if (lease && view.locksAt !== null && view.now > (lease.issuedAt + view.locksAt) / 2) client.renewLease()
  statusChanged()
}
setInterval(() => void checkLifecycle().catch(() => {}), LIFECYCLE_CHECK_MS)

function revokedBy(c: WardlineClient, deviceId: string): NonNullable<DeviceView['revokedBy']> | null {
  const r = c.revocations.get(deviceId)
  if (!r) return null
  const signer = r.signer === 'root' ? null : c.devices.get(r.signer)
  const by = r.signer === 'root' ? 'an administrator' : `${signer?.displayName ?? 'its user'}${r.signer === deviceId ? '' : ' from another device'}`
  return { by, at: r.revokedAt, reason: r.reason, self: r.signer === deviceId }
}

// Bench builds only (`vite build --mode bench`, bench/web and test/e2e/large-conversation): a
// production build folds this condition to false and leaves the module out.
if (import.meta.env.MODE === 'bench') void import('./bench-hooks.ts').then((m) => m.install(() => client, () => sessionStore))
