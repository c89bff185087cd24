/**
 * Command-line entry of the relay: reads the environment, starts the relay and prints the
 * startup contract on stdout (other tools parse these exact lines). Everything else is logged
 * on stderr by the relay itself.
 */
import { parseOriginList } from './http/origins.ts'
import { startRelay } from './server.ts'

const env = (name: string): string | undefined => Deno.env.get(name) || undefined

const port = Number(env('PORT') ?? 8787)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`expected PORT to be 0..65535, got ${env('PORT')}`)
  Deno.exit(2)
}

const graceHours = env('WARDLINE_COMPACTION_GRACE_HOURS')
if (graceHours !== undefined && !(Number(graceHours) >= 0)) {
  console.error(`expected WARDLINE_COMPACTION_GRACE_HOURS to be a number of hours ≥ 0, got ${graceHours}`)
  Deno.exit(2)
}

const leaseSeconds = env('WARDLINE_LEASE_SECONDS')
if (leaseSeconds !== undefined && !(Number(leaseSeconds) >= 1)) {
  console.error(`expected WARDLINE_LEASE_SECONDS to be a number of seconds ≥ 1, got ${leaseSeconds}`)
  Deno.exit(2)
}

const relay = await startRelay({
  port,
  hostname: env('WARDLINE_HOST') ?? '0.0.0.0',
  dataDir: env('WARDLINE_DATA') ?? './data',
  staticDir: env('WARDLINE_STATIC') ?? './dist',
  ...(env('WARDLINE_SETUP_CODE') ? { setupCode: env('WARDLINE_SETUP_CODE')! } : {}),
  ...(env('WARDLINE_PUBLIC_ORIGIN') ? { publicOrigin: env('WARDLINE_PUBLIC_ORIGIN')! } : {}),
  allowedOrigins: parseOriginList(env('WARDLINE_ALLOWED_ORIGINS')),
  ...(graceHours !== undefined ? { compactionGraceMs: Number(graceHours) * 3600_000 } : {}),
  ...(leaseSeconds !== undefined ? { leaseMs: Number(leaseSeconds) * 1000 } : {}),
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
