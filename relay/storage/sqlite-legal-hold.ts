/**
 * LegalHoldStorage on SQLite (schema 7 → 8, `legal_holds`). A hold and a prune never interleave:
 * both run in IMMEDIATE transactions, and `pruneCovered` skips held conversations inside its own.
 */
import type { DatabaseSync } from 'node:sqlite'
import type { LegalHoldRow, LegalHoldStorage } from './legal-hold.ts'
import { num, type Row, SqliteBase } from './sqlite-base.ts'

const toHold = (r: Row): LegalHoldRow => ({
  conversationId: r.conversation_id as string,
  setBy: r.set_by as string,
  setAt: num(r.set_at),
})

export class SqliteLegalHold extends SqliteBase implements LegalHoldStorage {
  constructor(db: DatabaseSync) {
    super(db)
  }

  setHold(conversationId: string, deviceId: string, at: number) {
    return Promise.resolve(this.tx(() => {
      if (!this.get('SELECT 1 FROM conversations WHERE conversation_id = ?', conversationId)) {
        return 'relay/unknown-conversation' as const
      }
      const r = this.run(
        `INSERT INTO legal_holds (conversation_id, set_by, set_at) VALUES (?, ?, ?)
         ON CONFLICT (conversation_id) DO NOTHING`,
        conversationId,
        deviceId,
        at,
      )
      return r.changes > 0 ? 'set' as const : 'already-held' as const
    }))
  }

  releaseHold(conversationId: string) {
    return Promise.resolve(this.tx(() => {
      const r = this.run('DELETE FROM legal_holds WHERE conversation_id = ?', conversationId)
      return r.changes > 0 ? 'released' as const : 'not-held' as const
    }))
  }

  holdOf(conversationId: string): Promise<LegalHoldRow | null> {
    const r = this.get('SELECT * FROM legal_holds WHERE conversation_id = ?', conversationId)
    return Promise.resolve(r ? toHold(r) : null)
  }

  listHolds(): Promise<LegalHoldRow[]> {
    return Promise.resolve(
      this.all('SELECT * FROM legal_holds ORDER BY set_at, conversation_id').map(toHold),
    )
  }
}
