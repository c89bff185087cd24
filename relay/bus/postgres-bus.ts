/**
 * The relay bus over Postgres LISTEN/NOTIFY (issue 4): every relay on one database listens on one
 * channel (named after the schema, so deployments sharing a database do not hear each other) and
 * NOTIFYs its events as small JSON texts with its own origin id, which it skips when they come
 * back. Payloads carry ids and seqs only (bus.ts). A notification lost while a listener
 * reconnects costs no data: the next entry of that conversation finds the gap and the hub reads
 * it from the log, and a reconnecting client catches up anyway.
 */
import type { Log } from '../log.ts'
import type { Sql } from '../storage/postgres-base.ts'
import { parseRelayEvent, type RelayBus, type RelayEvent } from './bus.ts'

/** Postgres refuses NOTIFY payloads of 8000 bytes or more. */
export const MAX_NOTIFY_BYTES = 7900

/** Fits a commit's added-device list in one payload, or says "look it up" (added: null). */
function encodeEvent(origin: string, event: RelayEvent): string {
  const text = JSON.stringify({ origin, ...event })
  if (new TextEncoder().encode(text).length <= MAX_NOTIFY_BYTES) return text
  if (event.type === 'commit') return JSON.stringify({ origin, ...event, added: null })
  throw new RangeError(`expected a relay event under ${MAX_NOTIFY_BYTES} bytes, got a longer one`)
}

export async function createPostgresBus(sql: Sql, log: Log): Promise<RelayBus> {
  const [row] = await sql`SELECT current_schema() AS schema`
  const channel = `wardline_${String(row?.schema ?? 'public').replace(/[^a-z0-9_]/gi, '_')}`
    .slice(0, 63)
  const origin = crypto.randomUUID()
  let listening: { unlisten(): Promise<void> } | null = null
  // Events go out in the order they were published (pool connections would race), batched into
  // one statement while the previous one is in flight.
  let pending: string[] = []
  let flushing: Promise<void> | null = null
  const flush = async () => {
    while (pending.length > 0) {
      const batch = pending
      pending = []
      await sql`SELECT pg_notify(${channel}, p) FROM unnest(${sql.array(batch)}::text[]) AS t(p)`
        .catch((e: unknown) =>
          log('bus.notify-failed', { error: e instanceof Error ? e.name : 'unknown' })
        )
    }
    flushing = null
  }
  return {
    publish(event) {
      try {
        pending.push(encodeEvent(origin, event))
      } catch {
        return log('bus.event-too-large', { type: event.type })
      }
      flushing ??= flush()
    },
    async listen(onEvent) {
      listening = await sql.listen(channel, (payload) => {
        let value: unknown = null
        try {
          value = JSON.parse(payload)
        } catch { /* reported below as a bad event */ }
        if ((value as { origin?: unknown } | null)?.origin === origin) return
        const event = parseRelayEvent(value)
        if (event) onEvent(event)
        else log('bus.bad-event')
      })
    },
    async close() {
      await flushing
      await listening?.unlisten().catch(() => {})
      listening = null
    },
  }
}
