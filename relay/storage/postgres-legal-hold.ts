/**
 * LegalHoldStorage on Postgres (`legal_holds`, appended schema step). Setting a hold locks the
 * conversation's row, as `pruneCovered` does before it deletes and re-checks the hold, so a prune
 * on another relay either finishes before the hold or sees it.
 */
import type { LegalHoldRow, LegalHoldStorage } from './legal-hold.ts'
import { num, type Row, type Sql, transaction } from './postgres-base.ts'

const toHold = (r: Row): LegalHoldRow => ({
  conversationId: r.conversation_id as string,
  setBy: r.set_by as string,
  setAt: num(r.set_at),
})

export class PostgresLegalHold implements LegalHoldStorage {
  constructor(private readonly sql: Sql) {}

  setHold(conversationId: string, deviceId: string, at: number) {
    return transaction(this.sql, async (tx) => {
      const [conv] =
        await tx`SELECT 1 FROM conversations WHERE conversation_id = ${conversationId} FOR UPDATE`
      if (!conv) return 'relay/unknown-conversation' as const
      const r = await tx`INSERT INTO legal_holds (conversation_id, set_by, set_at)
        VALUES (${conversationId}, ${deviceId}, ${at}) ON CONFLICT (conversation_id) DO NOTHING`
      return r.count > 0 ? 'set' as const : 'already-held' as const
    })
  }

  async releaseHold(conversationId: string) {
    const r = await this.sql`DELETE FROM legal_holds WHERE conversation_id = ${conversationId}`
    return r.count > 0 ? 'released' as const : 'not-held' as const
  }

  async holdOf(conversationId: string): Promise<LegalHoldRow | null> {
    const [r] = await this.sql`SELECT * FROM legal_holds WHERE conversation_id = ${conversationId}`
    return r ? toHold(r) : null
  }

  async listHolds(): Promise<LegalHoldRow[]> {
    return (await this.sql`SELECT * FROM legal_holds ORDER BY set_at, conversation_id`).map(toHold)
  }
}
