/**
 * One-line structured logs on stderr (stdout is reserved for the startup contract). Callers pass
 * only event names, counts, error codes and device ids shortened by `shortId`; never envelope
 * bytes, keys, display names or tokens (DESIGN §5).
 */
export type LogFields = Record<string, string | number | boolean>
export type Log = (event: string, fields?: LogFields) => void

const encoder = new TextEncoder()

export const stderrLog: Log = (event, fields = {}) => {
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${String(v).replace(/\s+/g, '_')}`)
  const line = [new Date().toISOString(), event, ...parts].join(' ')
  Deno.stderr.writeSync(encoder.encode(line + '\n'))
}

export const silentLog: Log = () => {}

/** Device ids are routing data, but logs only need enough of one to correlate lines. */
export const shortId = (id: string): string => id.slice(0, 8)
