/**
 * Compaction on Postgres (DESIGN §4), mirroring sqlite.ts: members' snapshots, the pruned point,
 * and pruning of the data entries a snapshot covers (never commits). A snapshot upload locks its
 * conversation's row, as appends do, so it cannot race the pruned point; pruning runs under an
 * advisory lock, so when every relay's timer fires at once only one of them deletes.
 */
import type { SnapshotRow } from './storage.ts'
import { bytes, num, type Sql, transaction } from './postgres-base.ts'

/** Any fixed number, distinct from the migration lock. */
const PRUNE_LOCK = 0x50524e45

export function putSnapshot(sql: Sql, p: SnapshotRow): Promise<'ok' | 'relay/stale-snapshot'> {
  return transaction(sql, async (tx) => {
    const [c] = await tx`SELECT head_seq, pruned_seq FROM conversations
      WHERE conversation_id = ${p.conversationId} FOR UPDATE`
    if (!c || p.seq > num(c.head_seq) || p.seq <= num(c.pruned_seq)) {
      return 'relay/stale-snapshot' as const
    }
    const rows = p.parts.map((part, index) => ({
      conversation_id: p.conversationId,
      seq: p.seq,
      device_id: p.deviceId,
      part_index: index,
      part_count: p.parts.length,
      part,
      stored_at: p.storedAt,
    }))
    // The first upload of (conversation, seq, device) is kept; a repeat stores nothing.
    const [have] = await tx`SELECT 1 FROM snapshots WHERE conversation_id = ${p.conversationId}
      AND seq = ${p.seq} AND device_id = ${p.deviceId} LIMIT 1`
    if (!have && rows.length > 0) await tx`INSERT INTO snapshots ${tx(rows)}`
    return 'ok' as const
  })
}

export async function prunedSnapshot(
  sql: Sql,
  conversationId: string,
): Promise<{ seq: number; parts: Uint8Array[] } | null> {
  const [c] = await sql`SELECT pruned_seq, pruned_device_id FROM conversations
    WHERE conversation_id = ${conversationId}`
  if (!c || num(c.pruned_seq) === 0) return null
  const rows = await sql`SELECT part FROM snapshots WHERE conversation_id = ${conversationId}
    AND seq = ${c.pruned_seq} AND device_id = ${c.pruned_device_id as string} ORDER BY part_index`
  return { seq: num(c.pruned_seq), parts: rows.map((r) => bytes(r.part)) }
}

export function pruneCovered(sql: Sql, storedBefore: number): Promise<number> {
  return transaction(sql, async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${PRUNE_LOCK})`
    // Per conversation, the newest snapshot past the grace period (all parts are stored at once).
    const ready =
      await tx`SELECT DISTINCT ON (s.conversation_id) s.conversation_id, s.seq, s.device_id
      FROM snapshots s JOIN conversations c ON c.conversation_id = s.conversation_id
      WHERE s.seq > c.pruned_seq
        AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.conversation_id = s.conversation_id)
      GROUP BY s.conversation_id, s.seq, s.device_id
      HAVING MAX(s.stored_at) <= ${storedBefore}
      ORDER BY s.conversation_id, s.seq DESC, MAX(s.stored_at)`
    let deleted = 0
    for (const r of ready) {
      const id = r.conversation_id as string
      const seq = num(r.seq)
      const device = r.device_id as string
      await tx`SELECT 1 FROM conversations WHERE conversation_id = ${id} FOR UPDATE`
      // A hold set on another relay after the select above: its transaction held this row's lock.
      const [held] = await tx`SELECT 1 FROM legal_holds WHERE conversation_id = ${id}`
      if (held) continue
      deleted += (await tx`DELETE FROM envelopes WHERE conversation_id = ${id} AND seq <= ${seq}
        AND kind = 'data'`).count
      await tx`DELETE FROM snapshots WHERE conversation_id = ${id}
        AND (seq < ${seq} OR (seq = ${seq} AND device_id <> ${device}))`
      await tx`UPDATE conversations SET pruned_seq = ${seq}, pruned_device_id = ${device}
        WHERE conversation_id = ${id}`
    }
    return deleted
  })
}
