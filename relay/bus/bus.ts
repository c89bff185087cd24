/**
 * How relay processes that share one store tell each other what happened (issue 4): a live
 * entry, a receipt, a new conversation, a commit, a revocation, a directory change. Events carry
 * ids and seqs only, never content: the receiving relay reads what it needs from the shared
 * store. One relay on SQLite has no peers, so its bus publishes nowhere (`soloBus`); on Postgres
 * the bus is LISTEN/NOTIFY (postgres-bus.ts). Events come from the database, so they are parsed
 * like any untrusted input.
 */

/** Ids in events come from this relay's own checks (≤ MAX_ID_LENGTH of ws/context.ts) or junk. */
const MAX_EVENT_ID_LENGTH = 128

export type RelayEvent =
  /** A data entry was appended at `seq`. */
  | { type: 'entry'; conversationId: string; seq: number }
  /** A commit was appended at `seq`; `added` lists new member devices (null: too many to list). */
  | { type: 'commit'; conversationId: string; seq: number; added: string[] | null }
  | { type: 'receipt'; conversationId: string; deviceId: string }
  | { type: 'created'; conversationId: string; authorDeviceId: string }
  /** `announce`: the revocation was new, so members hear rotationPending. */
  | { type: 'revoked'; deviceId: string; announce: boolean }
  | { type: 'directoryChanged' }

export interface RelayBus {
  /** Tells the other relays; never comes back to this one. Fire and forget. */
  publish(event: RelayEvent): void
  /**
   * Starts handing other relays' events to `onEvent`; resolves once listening. `onResync` is
   * called when events may have been missed (the listening connection was lost and is back).
   */
  listen(onEvent: (event: RelayEvent) => void, onResync: () => void): Promise<void>
  close(): Promise<void>
}

/** The bus of a relay that is alone on its store. */
export const soloBus = (): RelayBus => ({
  publish() {},
  listen: () => Promise.resolve(),
  close: () => Promise.resolve(),
})

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0
const isId = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_EVENT_ID_LENGTH

/** The event in a parsed JSON value, or null when it is not one this relay understands. */
export function parseRelayEvent(value: unknown): RelayEvent | null {
  if (typeof value !== 'object' || value === null) return null
  const v = value as Record<string, unknown>
  const c = v.conversationId
  switch (v.type) {
    case 'entry':
      return isId(c) && isSeq(v.seq) ? { type: 'entry', conversationId: c, seq: v.seq } : null
    case 'commit': {
      const added = v.added === null
        ? null
        : Array.isArray(v.added) && v.added.every(isId)
        ? v.added as string[]
        : undefined
      return isId(c) && isSeq(v.seq) && added !== undefined
        ? { type: 'commit', conversationId: c, seq: v.seq, added }
        : null
    }
    case 'receipt':
      return isId(c) && isId(v.deviceId)
        ? { type: 'receipt', conversationId: c, deviceId: v.deviceId }
        : null
    case 'created':
      return isId(c) && isId(v.authorDeviceId)
        ? { type: 'created', conversationId: c, authorDeviceId: v.authorDeviceId }
        : null
    case 'revoked':
      return isId(v.deviceId) && typeof v.announce === 'boolean'
        ? { type: 'revoked', deviceId: v.deviceId, announce: v.announce }
        : null
    case 'directoryChanged':
      return { type: 'directoryChanged' }
    default:
      return null
  }
}
