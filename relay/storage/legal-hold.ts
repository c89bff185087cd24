/**
 * Legal hold on a conversation (issue 8, docs/decisions/0019-compliance-export.md): while a
 * conversation is held, nothing of it is deleted — the mailbox pruner (`pruneCovered`) skips it
 * until an admin or compliance device releases the hold. One row per held conversation; its
 * history (who set and released it, when) is in the audit log, not here. Both backends run
 * `legal-hold-contract.ts`.
 */

export type LegalHoldRow = { conversationId: string; setBy: string; setAt: number }

export interface LegalHoldStorage {
  /** Holds the conversation: 'set', 'already-held' (the first hold is kept), or unknown. */
  setHold(
    conversationId: string,
    deviceId: string,
    at: number,
  ): Promise<'set' | 'already-held' | 'relay/unknown-conversation'>
  /** Releases the hold: 'released' or 'not-held'. */
  releaseHold(conversationId: string): Promise<'released' | 'not-held'>
  holdOf(conversationId: string): Promise<LegalHoldRow | null>
  /** Every held conversation, oldest hold first. */
  listHolds(): Promise<LegalHoldRow[]>
}

/** SQL shared by both backends: the table (schema step) and pruneCovered's filter. */
export const LEGAL_HOLD_TABLE = `CREATE TABLE IF NOT EXISTS legal_holds (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations (conversation_id),
    set_by TEXT NOT NULL,
    set_at BIGINT NOT NULL
  );`
