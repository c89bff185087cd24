/**
 * What the UI shows, computed from the engine's verified state: people, conversation summaries and
 * message lists with their honest statuses. Pure functions; no keys leave here, only the texts
 * the user is about to see.
 */
import type { VerifiedDevice } from '../../crypto/trust.ts'
import type { AttachmentRef } from '../../crypto/record.ts'
import type { AttachmentView, ConversationSummary, MessageView, Person, PhiKind, SearchHit } from '../protocol.ts'
import { describePatientContext, PATIENT_KIND, parsePatientContext, patientContextOf } from './patient-context.ts'
import type { ConversationState, IndexedRecord } from './conversation-state.ts'
import type { Identity } from './identity.ts'

export type Receipts = ReadonlyMap<string, { delivered: number; read: number }>

export type ViewState = {
  id: Identity
  devices: ReadonlyMap<string, VerifiedDevice>
  revoked: ReadonlySet<string>
  notSent: ReadonlySet<string>
  /** Whether a file of an own queued message still waits for its upload. */
  uploading: (a: AttachmentRef) => boolean
}

export function people(v: ViewState): Person[] {
  const byUser = new Map<string, Person>()
  for (const d of v.devices.values()) {
    if (v.revoked.has(d.deviceId)) continue
    const p = byUser.get(d.userId)
    if (p) p.deviceCount++
    else byUser.set(d.userId, { userId: d.userId, displayName: d.displayName, role: d.role, deviceCount: 1, isMe: d.userId === v.id.userId })
  }
  return [...byUser.values()].sort((a, b) => a.displayName.localeCompare(b.displayName))
}

export function nameOf(v: ViewState, userId: string): string {
  for (const d of v.devices.values()) if (d.userId === userId) return d.displayName
  return userId === v.id.userId ? v.id.displayName : 'Unknown'
}

export function summarise(v: ViewState, conversations: Iterable<ConversationState>): ConversationSummary[] {
  return [...conversations].map((conv) => {
    const m = conv.meta
    const ordered = conv.ordered()
    const last = ordered.findLast((e) => e.record.kind !== PATIENT_KIND)
    const others = m.memberUserIds.filter((u) => u !== v.id.userId)
    return {
      conversationId: m.conversationId,
      kind: m.kind,
      title: others.map((u) => nameOf(v, u)).join(', ') || 'Notes to self',
      memberUserIds: m.memberUserIds,
      lastMessage: last ? { body: last.record.body || (last.record.attachment ? `File: ${last.record.attachment.name}` : ''), authorName: nameOf(v, last.record.author), at: last.record.at } : null,
      // A patient-context change shows in the list's patient line, not as an unread message.
      unread: ordered.filter((e) => e.seq !== null && e.seq > m.readSeq && e.record.device !== v.id.deviceId && e.record.kind !== PATIENT_KIND).length,
      removed: m.removed,
      historyUnavailable: m.unavailable,
      patient: patientContextOf(conv, ordered),
    }
  }).sort((a, b) => (b.lastMessage?.at ?? 0) - (a.lastMessage?.at ?? 0))
}

/** Own messages: queued → sent → delivered (every other device) → read (every other member). */
export function messagesOf(v: ViewState, conv: ConversationState, receipts: Receipts, entries?: IndexedRecord[]): MessageView[] {
  const others = conv.meta.deviceIds.filter((d) => d !== v.id.deviceId)
  const otherUsers = conv.meta.memberUserIds.filter((u) => u !== v.id.userId)
  const userOf = (d: string) => v.devices.get(d)?.userId
  return (entries ?? conv.ordered()).map(({ record, seq }) => {
    const mine = record.author === v.id.userId
    let status: MessageView['status'] = null
    if (mine) {
      if (seq === null) status = v.notSent.has(record.id) ? 'not-sent' : 'queued'
      else {
        const delivered = others.length > 0 && others.every((d) => (receipts.get(d)?.delivered ?? 0) >= seq)
        const read = otherUsers.length > 0 && otherUsers.every((u) =>
          others.some((d) => userOf(d) === u && (receipts.get(d)?.read ?? 0) >= seq))
        status = read ? 'read' : delivered ? 'delivered' : 'sent'
      }
    }
    const patient = record.kind === PATIENT_KIND ? parsePatientContext(record.body) : null
    return {
      id: record.id,
      authorUserId: record.author,
      authorName: nameOf(v, record.author),
      mine,
      body: patient ? describePatientContext(patient) : record.body,
      createdAt: record.at,
      seq,
      status,
      ...(record.phi ? { phi: record.phi.filter(isPhiKind) } : {}),
      ...(patient ? { patient } : {}),
      ...(record.attachment ? { attachment: attachmentView(record.attachment, mine && seq === null && v.uploading(record.attachment)) } : {}),
    }
  })
}

const PHI_KINDS: readonly string[] = ['national-id', 'dob', 'date', 'mrn', 'phone', 'name'] satisfies PhiKind[]

/** A tag from another (newer) build may name a kind this one does not know: it is kept out of views. */
function isPhiKind(k: string): k is PhiKind {
  return PHI_KINDS.includes(k)
}

/** Case- and accent-insensitive text for matching, spaces collapsed. */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim()
}

/** Hits per search at most, newest first. */
export const MAX_SEARCH_HITS = 200
/** Characters of context shown around a hit. */
const SNIPPET_CHARS = 140

/**
 * Search across the messages this device holds, decrypted in memory only (issue 5): every word of
 * `query` must appear in a message's text (patient-context notices included). Newest first, at
 * most `limit`. Nothing is indexed or stored: the worker's in-memory state is read as it is.
 */
export function searchMessages(v: ViewState, conversations: Iterable<ConversationState>, query: string, limit = 50): SearchHit[] {
  const words = foldText(query).split(' ').filter(Boolean)
  if (words.length === 0) return []
  const hits: SearchHit[] = []
  for (const conv of conversations) {
    const m = conv.meta
    const others = m.memberUserIds.filter((u) => u !== v.id.userId)
    const title = others.map((u) => nameOf(v, u)).join(', ') || 'Notes to self'
    for (const { record, seq } of conv.ordered()) {
      const patient = record.kind === PATIENT_KIND ? parsePatientContext(record.body) : null
      const text = patient ? describePatientContext(patient) : record.body
      const folded = foldText(text)
      if (!words.every((w) => folded.includes(w))) continue
      hits.push({
        conversationId: m.conversationId,
        messageId: record.id,
        title,
        authorName: record.author === v.id.userId ? 'You' : nameOf(v, record.author),
        at: record.at,
        seq,
        snippet: snippetAround(text, words[0]!),
      })
    }
  }
  hits.sort((a, b) => b.at - a.at)
  return hits.slice(0, Math.max(1, Math.min(MAX_SEARCH_HITS, Math.floor(limit) || 1)))
}

/** Up to SNIPPET_CHARS of `text` around the first place `word` (folded) occurs, with ellipses. */
function snippetAround(text: string, word: string): string {
  const flat = text.replace(/\s+/g, ' ')
  if (flat.length <= SNIPPET_CHARS) return flat
  // Folding keeps one character per character for most scripts; where it does not, the start
  // of the text is shown instead.
  const at = Math.max(0, foldText(flat).indexOf(word))
  const start = Math.max(0, Math.min(at - 40, flat.length - SNIPPET_CHARS))
  return `${start > 0 ? '…' : ''}${flat.slice(start, start + SNIPPET_CHARS)}${start + SNIPPET_CHARS < flat.length ? '…' : ''}`
}

function attachmentView(a: AttachmentRef, uploading: boolean): AttachmentView {
  return { name: a.name, mime: a.mime, size: a.size, hasThumb: a.thumb !== undefined, uploading }
}
