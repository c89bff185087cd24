/**
 * Composer drafts per conversation, kept in memory only: a draft is plaintext, and everything
 * Wardline stores must be encrypted at rest, so drafts are never written to sessionStorage or
 * localStorage (they survive moving between views, not a reload or a lock). Each draft keeps the
 * clientId of the message it will become, so a retried or double-tapped send carries the same id
 * and the worker never stores it twice.
 */
export type Draft = { body: string; clientId: string }

const drafts = new Map<string, Draft>()

export function loadDraft(conversationId: string): Draft {
  return drafts.get(conversationId) ?? { body: '', clientId: crypto.randomUUID() }
}

export function saveDraft(conversationId: string, draft: Draft): void {
  if (draft.body) drafts.set(conversationId, { ...draft })
  else drafts.delete(conversationId)
}

/** Forgets every draft (on lock: nothing decrypted stays behind). */
export function clearDrafts(): void {
  drafts.clear()
}

/** True while any conversation has an unsent draft (an update never reloads over one). */
export function hasDrafts(): boolean {
  return drafts.size > 0
}
