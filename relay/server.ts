/**
 * Starts one relay process: storage, the HTTP routes (static PWA, JSON API, operations
 * endpoints, /ws) and the WebSocket sessions, over TLS when given a certificate. It returns the
 * real port and, while the organisation is not set up, the setup code; printing is left to
 * main.ts so tests can start many relays quietly. `close` drains (DESIGN §5, issue 4). With a
 * Postgres URL, several relays share one store and hear each other's events on its bus.
 * Slightly past the ~250-line norm: startup, routing and the draining close share their state.
 */
import { generateSetupCode, hashSetupCode, normalizeSetupCode } from './setup-code.ts'
import { handleApi } from './http/api.ts'
import { handleOps, OPS_PATHS } from './http/ops.ts'
import { handlePolicyApi, POLICY_PATH } from './http/policy.ts'
import { handleReleaseAlert, RELEASE_ALERTS_PATH } from './http/release-alerts.ts'
import { jsonError, withSecurityHeaders } from './http/respond.ts'
import { createStaticHandler } from './http/static-files.ts'
import { isOriginAllowed, type OriginPolicy, relayOrigin, withCors } from './http/origins.ts'
import { assertLimits, DEFAULT_LIMITS, type Limits } from './limits.ts'
import { type Log, stderrLog } from './log.ts'
import { startMailboxPruner } from './mailbox-pruner.ts'
import { Metrics } from './metrics.ts'
import { type RelayBus, soloBus } from './bus/bus.ts'
import { createPostgresBus } from './bus/postgres-bus.ts'
import { openPostgresStorage } from './storage/postgres.ts'
import { openSqliteStorage } from './storage/sqlite.ts'
import type { RelayStorage } from './storage/storage.ts'
import { AddressGate } from './ws/address-gate.ts'
import type { RelayDeps } from './ws/context.ts'
import { Hub } from './ws/hub.ts'
import { DeviceRateLimiter } from './ws/rate-limit.ts'
import { createRemoteEventQueue } from './ws/remote-events.ts'
import { CLOSE, Session } from './ws/session.ts'
import { openLeaseIssuer } from './ws/lease.ts'
import { createAuditHook } from './audit/hook.ts'
import { createScimHandler, isScimPath } from './scim/handler.ts'
import type { RoleMap } from './scim/roles.ts'
import type { NetworkBoundaries } from './network-boundaries.ts'

export type RelayOptions = {
  /** 0 picks any free port. */
  port?: number
  hostname?: string
  /** Directory of the SQLite file; ignored when `storage` or `databaseUrl` is given. */
  dataDir?: string
  /** Postgres instead of SQLite (WARDLINE_DATABASE_URL): relays on one database scale out. */
  databaseUrl?: string
  staticDir?: string
  /** Use this setup code instead of a random one (WARDLINE_SETUP_CODE). */
  setupCode?: string
  storage?: RelayStorage
  /** How this relay hears the others on `storage` (default: none, it is alone). */
  bus?: RelayBus
  log?: Log
  /** Shorthand for limits.loginTimeoutMs. */
  loginTimeoutMs?: number
  limits?: Partial<Limits>
  /** PEM certificate chain and private key: the relay serves https and wss itself. */
  tls?: { cert: string; key: string }
  /** The origin browsers see when the relay sits behind a TLS proxy (WARDLINE_PUBLIC_ORIGIN). */
  publicOrigin?: string
  /** Other origins allowed to use the WebSocket and the JSON API (WARDLINE_ALLOWED_ORIGINS). */
  allowedOrigins?: ReadonlySet<string>
  /** Take the client address from the last X-Forwarded-For entry (WARDLINE_TRUST_PROXY). */
  trustProxy?: boolean
  /** Per role, the address ranges it is admitted from (WARDLINE_NETWORKS, decision 0017). */
  networks?: NetworkBoundaries
  /** Bearer token GET /metrics requires (WARDLINE_METRICS_TOKEN); open when absent. */
  metricsToken?: string
  /** The clock of the mailbox time-to-live job (tests age the mailbox with it). */
  now?: () => number
  /**
   * Shorthands for limits.compactionGraceMs (WARDLINE_COMPACTION_GRACE_HOURS: how long a
   * snapshot waits before the entries it covers are pruned) and limits.compactionIntervalMs.
   */
  compactionGraceMs?: number
  compactionIntervalMs?: number
  /** Offline lease length the relay signs at each login (WARDLINE_LEASE_SECONDS; default 72 h). */
  leaseMs?: number
  /** Serves SCIM 2.0 under /scim/v2 with this bearer token (WARDLINE_SCIM_TOKEN); 404 without. */
  scimToken?: string
  /** SCIM group names → the role they wish for (WARDLINE_SCIM_ROLE_MAP, scim/roles.ts). */
  scimRoleMap?: RoleMap
}

export { COMPACTION_GRACE_MS, COMPACTION_INTERVAL_MS } from './limits.ts'

export type Relay = {
  port: number
  url: string
  setupCode: string | null
  metrics: Metrics
  /** Runs the mailbox time-to-live (compaction) job now; resolves with the entries deleted. */
  pruneNow(): Promise<number>
  close(): Promise<void>
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

/** A new code on every start until setup happens, so an old printed code stops working. */
async function prepareSetupCode(
  storage: RelayStorage,
  given: string | undefined,
): Promise<string | null> {
  if ((await storage.getOrg()).rootPublicKey) return null
  if (given !== undefined && normalizeSetupCode(given) === '') {
    throw new RangeError('expected a setup code with letters or digits, got an empty one')
  }
  const code = given ?? generateSetupCode()
  await storage.setSetupCodeHash(hashSetupCode(code))
  return code
}

/**
 * Browsers give service workers, WebCrypto and WebAuthn only to secure origins (DESIGN §5): the
 * relay is insecure to them when neither it nor the configured public origin is https and it is
 * reachable on something other than localhost.
 */
export function isInsecureSetup(o: RelayOptions): boolean {
  if (o.tls) return false
  if (o.publicOrigin) {
    const u = new URL(o.publicOrigin)
    return u.protocol === 'http:' && !LOCAL_HOSTS.has(u.hostname)
  }
  return !LOCAL_HOSTS.has(o.hostname ?? '0.0.0.0')
}

function clientAddress(req: Request, info: Deno.ServeHandlerInfo, trustProxy: boolean): string {
  if (trustProxy) {
    const last = req.headers.get('x-forwarded-for')?.split(',').pop()?.trim()
    if (last) return last
  }
  const addr = info.remoteAddr as Deno.NetAddr
  return addr.hostname ?? 'unknown'
}

async function openBackend(
  options: RelayOptions,
  log: Log,
): Promise<{ storage: RelayStorage; bus: RelayBus }> {
  if (options.storage) return { storage: options.storage, bus: options.bus ?? soloBus() }
  if (options.databaseUrl) {
    const storage = await openPostgresStorage(options.databaseUrl)
    return { storage, bus: await createPostgresBus(storage.sql, { url: options.databaseUrl, log }) }
  }
  return { storage: await openSqliteStorage(options.dataDir ?? './data'), bus: soloBus() }
}

export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const log = options.log ?? stderrLog
  const limits: Limits = {
    ...DEFAULT_LIMITS,
    ...(options.loginTimeoutMs !== undefined ? { loginTimeoutMs: options.loginTimeoutMs } : {}),
    ...(options.compactionGraceMs !== undefined ? { compactionGraceMs: options.compactionGraceMs } : {}),
    ...(options.compactionIntervalMs !== undefined ? { compactionIntervalMs: options.compactionIntervalMs } : {}),
    ...options.limits,
  }
  assertLimits(limits)
  const { storage, bus } = await openBackend(options, log)
  const setupCode = await prepareSetupCode(storage, options.setupCode)
  const metrics = new Metrics()
  const deps: RelayDeps = {
    storage,
    hub: new Hub((id, since, limit) => storage.envelopesSince(id, since, limit)),
    log,
    bus,
    metrics,
    limits,
    sendRate: new DeviceRateLimiter(limits.messagesPerSecond, limits.messageBurst),
    lease: await openLeaseIssuer(storage, options.leaseMs),
    audit: createAuditHook(storage, log),
    ...(options.scimRoleMap ? { scimRoleMap: options.scimRoleMap } : {}),
    ...(options.networks?.size ? { networks: options.networks } : {}),
  }
  const remote = createRemoteEventQueue(deps)
  await bus.listen(remote.apply, remote.resync)
  const sessions = new Set<Session>()
  metrics.gauge('wardline_connections', () => sessions.size)
  metrics.gauge('wardline_connections_authenticated', () => deps.hub.connectionCount)
  metrics.gauge('wardline_buffered_bytes', () => {
    let total = 0
    for (const s of sessions) total += s.bufferedAmount
    return total
  })
  const gate = new AddressGate(limits.maxUnauthenticatedPerAddress)
  const serveStatic = createStaticHandler(options.staticDir ?? './dist')
  const origins: OriginPolicy = {
    publicOrigin: options.publicOrigin ? new URL(options.publicOrigin).origin : null,
    allowed: options.allowedOrigins ?? new Set(),
  }
  const scim = options.scimToken
    ? await createScimHandler(deps, { token: options.scimToken, publicOrigin: origins.publicOrigin })
    : null
  const hsts = options.tls !== undefined || origins.publicOrigin?.startsWith('https:') === true
  const secured = (res: Response) => {
    metrics.inc('wardline_http_responses_total', String(res.status))
    return withSecurityHeaders(res, hsts)
  }
  const refuse = (code: string, status: number) => {
    metrics.inc('wardline_errors_total', code)
    return secured(jsonError(code, status))
  }
  let warnedInsecure = false
  let closing: Promise<void> | null = null

  const upgrade = (req: Request, url: URL, info: Deno.ServeHandlerInfo): Response => {
    const refused = (code: string, status: number) => {
      metrics.inc('wardline_refused_upgrades_total', code)
      return refuse(code, status)
    }
    if (closing) return refused('relay/shutting-down', 503)
    if (!isOriginAllowed(origins, url, req.headers.get('origin'))) {
      log('ws.origin-refused')
      return refused('relay/origin-not-allowed', 403)
    }
    if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return refused('relay/expected-websocket', 426)
    }
    const address = clientAddress(req, info, options.trustProxy ?? false)
    const release = gate.tryEnter(address)
    if (!release) {
      log('ws.too-many-unauthenticated')
      return refused('relay/too-many-unauthenticated', 429)
    }
    let upgraded: ReturnType<typeof Deno.upgradeWebSocket>
    try {
      // Deno pings a socket idle for half of idleTimeout and closes it without a pong by the end.
      upgraded = Deno.upgradeWebSocket(req, { idleTimeout: limits.idleTimeoutMs / 1000 })
    } catch {
      release()
      return refused('relay/bad-upgrade', 400)
    }
    const { socket, response } = upgraded
    const session = new Session(socket, deps, {
      origin: relayOrigin(origins, url),
      loginTimeoutMs: limits.loginTimeoutMs,
      address,
      onAuthenticatedOrClosed: release,
    })
    sessions.add(session)
    socket.addEventListener('close', () => sessions.delete(session))
    return response
  }

  const handler = async (req: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const url = new URL(req.url)
    if (url.protocol === 'http:' && !LOCAL_HOSTS.has(url.hostname) && !warnedInsecure) {
      // Browsers withhold service workers, WebCrypto and WebAuthn from insecure origins (§5).
      warnedInsecure = true
      log('http.insecure-origin', { hint: 'serve over https' })
    }
    if (url.pathname === '/ws') return upgrade(req, url, info)
    try {
      if (OPS_PATHS.has(url.pathname)) {
        const ops = { storage, metrics, isClosing: () => closing !== null }
        return secured(await handleOps(req, url.pathname, { ...ops, metricsToken: options.metricsToken ?? null }))
      }
      if (isScimPath(url.pathname)) return secured(scim ? await scim.handle(req, url) : jsonError('api/not-found', 404))
      const origin = req.headers.get('origin')
      if (url.pathname.startsWith('/api/')) {
        if (req.method === 'OPTIONS') return secured(withCors(new Response(null, { status: 204 }), origin, origins))
        if (url.pathname === RELEASE_ALERTS_PATH) return secured(await handleReleaseAlert(req, log))
        const address = clientAddress(req, info, options.trustProxy ?? false)
        const res = url.pathname === POLICY_PATH ? await handlePolicyApi(req, deps) : await handleApi(req, deps, { address })
        return secured(withCors(res, origin, origins))
      }
      return secured(await serveStatic(req))
    } catch (e) {
      log('http.failed', { error: e instanceof Error ? e.name : 'unknown' })
      return refuse('api/internal', 500)
    }
  }

  const server = Deno.serve({
    port: options.port ?? 8787,
    hostname: options.hostname ?? '0.0.0.0',
    onListen: () => {},
    ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
  }, handler)
  const pruner = startMailboxPruner(storage, {
    graceMs: limits.compactionGraceMs,
    everyMs: limits.compactionIntervalMs,
    blobTtlMs: limits.blobUploadTtlMs,
    log,
    metrics,
    ...(options.now ? { now: options.now } : {}),
  })
  const port = server.addr.port
  log('relay.started', { port, initialized: setupCode === null, tls: options.tls !== undefined })
  if (isInsecureSetup(options)) {
    log('relay.insecure-origin', { hint: 'browsers need https (or localhost): set WARDLINE_TLS_CERT/KEY or a https WARDLINE_PUBLIC_ORIGIN' })
  }

  /** Stop accepting, close sockets with 1001, let in-flight frames finish, then close storage. */
  const drain = async () => {
    for (const s of sessions) s.close(CLOSE.goingAway)
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), limits.shutdownDrainMs)))
    const done = await Promise.race([Promise.all([...sessions].map((s) => s.idle())), late])
    clearTimeout(timer)
    if (done === 'late') log('relay.drain-timeout')
    await pruner.stop()
    scim?.close()
    await server.shutdown()
    await deps.audit.settled()
    await bus.close()
    await storage.close()
    log('relay.stopped')
  }
  return {
    port,
    url: `${options.tls ? 'https' : 'http'}://localhost:${port}`,
    setupCode,
    metrics,
    pruneNow: () => pruner.runOnce(),
    close() {
      closing ??= drain()
      return closing
    },
  }
}
