/**
 * Command-line entry of the relay: reads the environment, starts the relay and prints the
 * startup contract on stdout (other tools parse these exact lines). Everything else is logged
 * on stderr by the relay itself, one JSON object per line. SIGTERM and SIGINT drain and exit 0.
 * Every variable is listed in README.md ("Self-host and configure").
 */
import { parseOriginList } from './http/origins.ts'
import { parseLimits } from './limits.ts'
import { startRelay } from './server.ts'
import { parseRoleMap } from './scim/roles.ts'
import { parseNetworkBoundaries } from './network-boundaries.ts'

const env = (name: string): string | undefined => Deno.env.get(name) || undefined

function fail(message: string): never {
  console.error(message)
  Deno.exit(2)
}

const port = Number(env('PORT') ?? 8787)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  fail(`expected PORT to be 0..65535, got ${env('PORT')}`)
}

/** Both TLS files or neither: half a TLS configuration is a mistake, not plain http. */
async function readTls(): Promise<{ cert: string; key: string } | undefined> {
  const certPath = env('WARDLINE_TLS_CERT')
  const keyPath = env('WARDLINE_TLS_KEY')
  if (!certPath && !keyPath) return undefined
  if (!certPath || !keyPath) fail('expected both WARDLINE_TLS_CERT and WARDLINE_TLS_KEY, got one')
  try {
    return { cert: await Deno.readTextFile(certPath), key: await Deno.readTextFile(keyPath) }
  } catch (e) {
    fail(`could not read the TLS files: ${e instanceof Error ? e.name : 'error'}`)
  }
}

let limits
try {
  limits = parseLimits(env)
} catch (e) {
  fail(e instanceof Error ? e.message : 'bad limits')
}
const tls = await readTls()

const leaseSeconds = env('WARDLINE_LEASE_SECONDS')
if (leaseSeconds !== undefined && !(Number(leaseSeconds) >= 1)) {
  console.error(`expected WARDLINE_LEASE_SECONDS to be a number of seconds ≥ 1, got ${leaseSeconds}`)
  Deno.exit(2)
}

let scimRoleMap
try {
  scimRoleMap = parseRoleMap(env('WARDLINE_SCIM_ROLE_MAP'))
} catch (e) {
  fail(e instanceof Error ? e.message : 'bad WARDLINE_SCIM_ROLE_MAP')
}

let networks
try {
  networks = parseNetworkBoundaries(env('WARDLINE_NETWORKS'))
} catch (e) {
  fail(e instanceof Error ? e.message : 'bad WARDLINE_NETWORKS')
}

const relay = await startRelay({
  port,
  hostname: env('WARDLINE_HOST') ?? '0.0.0.0',
  dataDir: env('WARDLINE_DATA') ?? './data',
  ...(env('WARDLINE_DATABASE_URL') ? { databaseUrl: env('WARDLINE_DATABASE_URL')! } : {}),
  staticDir: env('WARDLINE_STATIC') ?? './dist',
  ...(env('WARDLINE_SETUP_CODE') ? { setupCode: env('WARDLINE_SETUP_CODE')! } : {}),
  ...(env('WARDLINE_PUBLIC_ORIGIN') ? { publicOrigin: env('WARDLINE_PUBLIC_ORIGIN')! } : {}),
  ...(env('WARDLINE_METRICS_TOKEN') ? { metricsToken: env('WARDLINE_METRICS_TOKEN')! } : {}),
  ...(tls ? { tls } : {}),
  allowedOrigins: parseOriginList(env('WARDLINE_ALLOWED_ORIGINS')),
  trustProxy: env('WARDLINE_TRUST_PROXY') === '1',
  limits,
  ...(leaseSeconds !== undefined ? { leaseMs: Number(leaseSeconds) * 1000 } : {}),
  ...(env('WARDLINE_SCIM_TOKEN') ? { scimToken: env('WARDLINE_SCIM_TOKEN')! } : {}),
  scimRoleMap,
  networks,
}).catch((e: unknown) => {
  // A database that is down or refuses us is an operator's fix: one clear line, no stack trace.
  console.error(`Wardline relay could not start: ${e instanceof Error ? e.message : String(e)}`)
  Deno.exit(1)
})

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await relay.close()
  Deno.exit(0)
}
Deno.addSignalListener('SIGINT', stop)
Deno.addSignalListener('SIGTERM', stop)

// Printed only once the signal handlers are in place: whoever reads these lines may stop the
// relay at once, and a signal before the handlers would kill it without a clean close.
console.log(`Wardline relay listening on ${relay.url}`)
if (relay.setupCode) {
  console.log(`Setup code: ${relay.setupCode}`)
  console.log(`Open ${relay.url}/#setup=${relay.setupCode} to create the organisation`)
}
