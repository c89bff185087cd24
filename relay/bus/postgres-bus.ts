/**
 * The relay bus over Postgres LISTEN/NOTIFY (issue 4): every relay on one database listens on one
 * channel (named after the schema, so deployments sharing a database do not hear each other) and
 * NOTIFYs its events as small JSON texts with its own origin id, which it skips when they come
 * back. Payloads carry ids and seqs only (bus.ts).
 *
 * Listening has its own connection. Every `heartbeatMs` the relay NOTIFYs a ping to itself; when
 * two in a row do not come back (Postgres restarted and the client gave up listening), it drops
 * that connection and listens on a new one. Notifications sent while nobody listened are lost, so
 * whenever listening resumes it asks for a resync: their entries are in the log, and the hub reads
 * them from there.
 */
import postgres from 'postgres'
import type { Log } from '../log.ts'
import type { Sql } from '../storage/postgres-base.ts'
import { parseRelayEvent, type RelayBus, type RelayEvent } from './bus.ts'

/** Postgres refuses NOTIFY payloads of 8000 bytes or more. */
export const MAX_NOTIFY_BYTES = 7900
/** How often a relay checks that its own notifications still come back. */
export const BUS_HEARTBEAT_MS = 10_000

/** Fits a commit's added-device list in one payload, or says "look it up" (added: null). */
function encodeEvent(origin: string, event: RelayEvent): string {
  const text = JSON.stringify({ origin, ...event })
  if (new TextEncoder().encode(text).length <= MAX_NOTIFY_BYTES) return text
  if (event.type === 'commit') return JSON.stringify({ origin, ...event, added: null })
  throw new RangeError(`expected a relay event under ${MAX_NOTIFY_BYTES} bytes, got a longer one`)
}

export type PostgresBusOptions = {
  /** The database URL, for the listening connection (`sql` serves the NOTIFYs). */
  url: string
  log: Log
  heartbeatMs?: number
}

/** Sends events in publish order (pool connections would race), batched while one is in flight. */
function createNotifier(sql: Sql, channel: string, log: Log) {
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
    send(payload: string) {
      pending.push(payload)
      flushing ??= flush()
    },
    drained: () => flushing ?? Promise.resolve(),
  }
}

export async function createPostgresBus(sql: Sql, options: PostgresBusOptions): Promise<RelayBus> {
  const { log } = options
  const [row] = await sql`SELECT current_schema() AS schema`
  const channel = `wardline_${String(row?.schema ?? 'public').replace(/[^a-z0-9_]/gi, '_')}`
    .slice(0, 63)
  const origin = crypto.randomUUID()
  const ping = JSON.stringify({ origin, ping: true })
  const notifier = createNotifier(sql, channel, log)
  let listener: Sql | null = null
  let heartbeat: ReturnType<typeof setInterval> | undefined
  let unanswered = 0
  let closed = false

  const connectListener = () =>
    postgres(options.url, {
      max: 1,
      connect_timeout: 10,
      onnotice: () => {},
      connection: { application_name: 'wardline-relay-listen' },
    })

  return {
    publish(event) {
      try {
        notifier.send(encodeEvent(origin, event))
      } catch {
        log('bus.event-too-large', { type: event.type })
      }
    },
    async listen(onEvent, onResync) {
      const onNotify = (payload: string) => {
        let value: unknown = null
        try {
          value = JSON.parse(payload)
        } catch { /* reported below as a bad event */ }
        if ((value as { origin?: unknown } | null)?.origin === origin) {
          unanswered = 0 // our own ping (or event) came back: listening works
          return
        }
        const event = parseRelayEvent(value)
        if (event) onEvent(event)
        else log('bus.bad-event')
      }
      let first = true
      // Called each time listening (re)starts; after the first, something may have been missed.
      const onListen = () => {
        if (!first) {
          log('bus.resync')
          onResync()
        }
        first = false
      }
      const start = async () => {
        listener = connectListener()
        await listener.listen(channel, onNotify, onListen)
      }
      await start()
      heartbeat = setInterval(() => {
        if (closed) return
        if (++unanswered > 2) {
          log('bus.listen-lost')
          unanswered = 0
          const old = listener
          void old?.end({ timeout: 0 }).catch(() => {})
          start().catch(() => log('bus.listen-failed'))
        }
        notifier.send(ping)
      }, options.heartbeatMs ?? BUS_HEARTBEAT_MS)
    },
    async close() {
      closed = true
      clearInterval(heartbeat)
      await notifier.drained()
      await listener?.end({ timeout: 1 }).catch(() => {})
      listener = null
    },
  }
}
