/**
 * Structured logs: one JSON object per line on stderr (stdout is reserved for the startup
 * contract), `{"time","level","event",...fields}`. Callers pass only event names, counts, error
 * codes and device ids shortened by `shortId`; never envelope bytes, keys, display names or
 * tokens (DESIGN §5; relay/log-canary.test.ts scans logs and metrics for them).
 */
export type LogFields = Record<string, string | number | boolean>
export type Log = (event: string, fields?: LogFields) => void

const encoder = new TextEncoder()

/** Events that mean something an operator should look at; everything else is "info". */
const WARNINGS = /insecure|refused|failed|timeout|slow-reader|too-many|rate-limited/

export function formatLogLine(event: string, fields: LogFields = {}, time = new Date()): string {
  const level = WARNINGS.test(event) ? 'warn' : 'info'
  // Reserved keys come last so a field can never overwrite them.
  return JSON.stringify({ ...fields, time: time.toISOString(), level, event })
}

export const stderrLog: Log = (event, fields = {}) => {
  Deno.stderr.writeSync(encoder.encode(formatLogLine(event, fields) + '\n'))
}

export const silentLog: Log = () => {}

/** Device ids are routing data, but logs only need enough of one to correlate lines. */
export const shortId = (id: string): string => id.slice(0, 8)
