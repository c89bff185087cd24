/**
 * The patient context of a conversation (issue 9): name, MRN, ward and bed, set by any member as a
 * signed record of kind 'patient' inside the conversation's encrypted Yjs state, so every member
 * sees it and the relay never does. The latest one in display order is the conversation's context.
 * Its name and MRN feed the PHI detector (phi.ts). Pure functions; nothing here stores or sends.
 */
import type { PatientContext, PhiKind } from '../protocol.ts'
import { compareIndexed, type ConversationState, type IndexedRecord } from './conversation-state.ts'
import type { PhiOptions } from './phi.ts'

export const PATIENT_KIND = 'patient'
/** Longest value of one field, in characters. */
export const MAX_PATIENT_FIELD = 120
const FIELDS = ['name', 'mrn', 'ward', 'bed'] as const

/** Untrusted (a record body, a UI request) → a patient context, or null when it is not one. */
export function parsePatientContext(value: unknown): PatientContext | null {
  let v = value
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v)
    } catch {
      return null
    }
  }
  if (typeof v !== 'object' || v === null) return null
  const r = v as Record<string, unknown>
  const out = { name: '', mrn: '', ward: '', bed: '' }
  for (const f of FIELDS) {
    const x = r[f] ?? ''
    if (typeof x !== 'string' || x.length > MAX_PATIENT_FIELD) return null
    out[f] = x.trim()
  }
  return out
}

/** The record body: JSON with the four fields in a fixed order (what the author signs). */
export function encodePatientContext(p: PatientContext): string {
  return JSON.stringify({ name: p.name, mrn: p.mrn, ward: p.ward, bed: p.bed })
}

/** What a patient record is tagged with: it is PHI by definition. */
export function patientPhiKinds(p: PatientContext): PhiKind[] {
  const kinds: PhiKind[] = []
  if (p.mrn) kinds.push('mrn')
  if (p.name) kinds.push('name')
  return kinds
}

/** One line for lists and previews: "Margaret Okafor · MRN 4829113 · Ward 7B, bed 4". */
export function describePatientContext(p: PatientContext): string {
  const place = [p.ward && `Ward ${p.ward}`, p.bed && `bed ${p.bed}`].filter(Boolean).join(', ')
  return [p.name, p.mrn && `MRN ${p.mrn}`, place].filter(Boolean).join(' · ') || 'cleared'
}

/**
 * The conversation's current patient context: the last patient record in display order (pass
 * `ordered` when the caller already sorted the records).
 */
export function patientContextOf(
  conv: ConversationState,
  ordered?: IndexedRecord[],
): PatientContext | null {
  if (ordered) {
    for (let i = ordered.length - 1; i >= 0; i--) {
      const r = ordered[i]!.record
      if (r.kind === PATIENT_KIND) return parsePatientContext(r.body)
    }
    return null
  }
  // One pass without sorting every record: the composer asks on each pause in typing.
  let latest: IndexedRecord | null = null
  for (const e of conv.index.values()) {
    if (e.record.kind === PATIENT_KIND && (!latest || compareIndexed(e, latest) > 0)) latest = e
  }
  return latest ? parsePatientContext(latest.record.body) : null
}

/** The detector's options from a patient context. */
export function phiOptionsFor(p: PatientContext | null): PhiOptions {
  if (!p) return {}
  return { names: p.name ? [p.name] : [], identifiers: p.mrn ? [p.mrn] : [] }
}
