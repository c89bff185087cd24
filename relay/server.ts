/**
 * Starts one relay process: storage, the HTTP routes (static PWA, JSON API, /ws) and the
 * WebSocket sessions. It returns the real port and, while the organisation is not set up, the
 * setup code; printing is left to main.ts so tests can start many relays quietly.
 */
import { generateSetupCode, hashSetupCode, normalizeSetupCode } from './setup-code.ts'
import { handleApi } from './http/api.ts'
import { handlePolicyApi, POLICY_PATH } from './http/policy.ts'
import { jsonError, withSecurityHeaders } from './http/respond.ts'
import { createStaticHandler } from './http/static-files.ts'
import { isOriginAllowed, type OriginPolicy, relayOrigin, withCors } from './http/origins.ts'
import { type Log, stderrLog } from './log.ts'
import { openSqliteStorage } from './storage/sqlite.ts'
import type { RelayStorage } from './storage/storage.ts'
import type { RelayDeps } from './ws/context.ts'
import { Hub } from './ws/hub.ts'
import { LOGIN_TIMEOUT_MS, Session } from './ws/session.ts'
import { openLeaseIssuer } from './ws/lease.ts'

export type RelayOptions = {
  /** 0 picks any free port. */
  port?: number
  hostname?: string
  /** Directory of the SQLite file; ignored when `storage` is given. */
  dataDir?: string
  staticDir?: string
  /** Use this setup code instead of a random one (WARDLINE_SETUP_CODE). */
  setupCode?: string
  storage?: RelayStorage
  log?: Log
  loginTimeoutMs?: number
  /** The origin browsers see when the relay sits behind a TLS proxy (WARDLINE_PUBLIC_ORIGIN). */
  publicOrigin?: string
  /** Other origins allowed to use the WebSocket and the JSON API (WARDLINE_ALLOWED_ORIGINS). */
  allowedOrigins?: ReadonlySet<string>
  /**
   * How long a snapshot waits before the entries it covers are pruned
   * (WARDLINE_COMPACTION_GRACE_HOURS; default COMPACTION_GRACE_MS), and how often pruning runs.
   */
  compactionGraceMs?: number
  compactionIntervalMs?: number
  /** Offline lease length the relay signs at each login (WARDLINE_LEASE_SECONDS; default 72 h). */
  leaseMs?: number
}

/** Entries covered by a snapshot are kept this long before pruning: slow devices read them as they were. */
export const COMPACTION_GRACE_MS = 7 * 24 * 3600_000
export const COMPACTION_INTERVAL_MS = 3600_000

export type Relay = { port: number; url: string; setupCode: string | null; close(): Promise<void> }

const GOING_AWAY = 1001
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

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

export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const log = options.log ?? stderrLog
  const storage = options.storage ?? (await openSqliteStorage(options.dataDir ?? './data'))
  const setupCode = await prepareSetupCode(storage, options.setupCode)
  const deps: RelayDeps = { storage, hub: new Hub(), log, lease: await openLeaseIssuer(storage, options.leaseMs) }
  const sessions = new Set<Session>()
  const serveStatic = createStaticHandler(options.staticDir ?? './dist')
  let warnedInsecure = false
  const origins: OriginPolicy = {
    publicOrigin: options.publicOrigin ? new URL(options.publicOrigin).origin : null,
    allowed: options.allowedOrigins ?? new Set(),
  }

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url)
    if (url.protocol === 'http:' && !LOCAL_HOSTS.has(url.hostname) && !warnedInsecure) {
      // Browsers withhold service workers, WebCrypto and WebAuthn from insecure origins (§5).
      warnedInsecure = true
      log('http.insecure-origin', { hint: 'serve over https' })
    }
    const origin = req.headers.get('origin')
    if (url.pathname === '/ws') {
      if (!isOriginAllowed(origins, url, origin)) {
        log('ws.origin-refused')
        return withSecurityHeaders(jsonError('relay/origin-not-allowed', 403))
      }
      if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
        return withSecurityHeaders(jsonError('relay/expected-websocket', 426))
      }
      let upgraded: ReturnType<typeof Deno.upgradeWebSocket>
      try {
        upgraded = Deno.upgradeWebSocket(req)
      } catch {
        return withSecurityHeaders(jsonError('relay/bad-upgrade', 400))
      }
      const { socket, response } = upgraded
      const session = new Session(socket, deps, {
        origin: relayOrigin(origins, url),
        loginTimeoutMs: options.loginTimeoutMs ?? LOGIN_TIMEOUT_MS,
      })
      sessions.add(session)
      socket.addEventListener('close', () => sessions.delete(session))
      return response
    }
    try {
      if (url.pathname.startsWith('/api/')) {
        if (req.method === 'OPTIONS') return withSecurityHeaders(withCors(new Response(null, { status: 204 }), origin, origins))
        const api = url.pathname === POLICY_PATH ? handlePolicyApi : handleApi
        return withSecurityHeaders(withCors(await api(req, deps), origin, origins))
      }
      return withSecurityHeaders(await serveStatic(req))
    } catch (e) {
      log('http.failed', { error: e instanceof Error ? e.name : 'unknown' })
      return withSecurityHeaders(jsonError('api/internal', 500))
    }
  }

  const server = Deno.serve(
    { port: options.port ?? 8787, hostname: options.hostname ?? '0.0.0.0', onListen: () => {} },
    handler,
  )
  const port = server.addr.port
  log('relay.started', { port, initialized: setupCode === null })
  const grace = options.compactionGraceMs ?? COMPACTION_GRACE_MS
  let pruning: Promise<void> = Promise.resolve()
  const prune = () => {
    pruning = pruning.then(async () => {
      try {
        const pruned = await storage.pruneCovered(Date.now() - grace)
        if (pruned > 0) log('compaction.pruned', { entries: pruned })
      } catch (e) {
        log('compaction.failed', { error: e instanceof Error ? e.name : 'unknown' })
      }
    })
  }
  const pruneTimer = setInterval(prune, options.compactionIntervalMs ?? COMPACTION_INTERVAL_MS)
  prune()
  let closing: Promise<void> | null = null
  return {
    port,
    url: `http://localhost:${port}`,
    setupCode,
    close() {
      closing ??= (async () => {
        clearInterval(pruneTimer)
        for (const s of sessions) s.close(GOING_AWAY)
        await server.shutdown()
        await pruning
        await storage.close()
        log('relay.stopped')
      })()
      return closing
    },
  }
}
