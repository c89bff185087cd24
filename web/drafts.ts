/**
 * Composer drafts per conversation in sessionStorage (this tab only, gone when it closes). Each
 * draft keeps the clientId of the message it will become, so a retried or double-tapped send
 * carries the same id and the worker never stores it twice.
 */
export type Draft = { body: string; clientId: string }

const PREFIX = 'wardline-draft:'

export function loadDraft(conversationId: string): Draft {
  try {
    const raw = sessionStorage.getItem(PREFIX + conversationId)
    const parsed: unknown = raw ? JSON.parse(raw) : null
    if (isDraft(parsed)) return parsed
  } catch {
    // Unreadable draft: start a fresh one.
  }
  return { body: '', clientId: crypto.randomUUID() }
}

export function saveDraft(conversationId: string, draft: Draft): void {
  try {
    if (draft.body) sessionStorage.setItem(PREFIX + conversationId, JSON.stringify(draft))
    else sessionStorage.removeItem(PREFIX + conversationId)
  } catch {
    // Storage full or blocked: the draft still lives in the textarea.
  }
}

function isDraft(value: unknown): value is Draft {
  return (
    typeof value === 'object' && value !== null &&
    typeof (value as Draft).body === 'string' && typeof (value as Draft).clientId === 'string'
  )
}
