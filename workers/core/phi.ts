/**
 * Flags likely PHI in text a person is writing (DESIGN §1 rule 1, issue 9): dates of birth and
 * other full dates, MRNs and hospital numbers, phone numbers, national identifiers with their
 * check digits (UK NHS mod 11, US SSN ranges, Canadian SIN Luhn), and the names and MRN of the
 * conversation's patient context. Runs on the device only — pure functions over a string, no
 * network, no storage. Heuristics: it misses what it has no pattern or cue for (false negatives)
 * and flags some numbers that are not identifiers; the tag it feeds is a label, never a gate
 * (docs/decisions/0015-phi-and-privacy-screen.md). Every repetition in a pattern is bounded, so
 * a 64 KiB draft is checked in milliseconds whatever it holds (bench/phi-corpus.ts times the worst cases). The
 * number patterns (national ids, phones) are in _phi-numbers.ts.
 */
import type { PhiKind, PhiSpan } from '../protocol.ts'
import { type Candidate, matches, nationalIds, phones, PRIORITY, span } from './_phi-numbers.ts'

export { isLuhn, isNhsNumber, isSsn } from './_phi-numbers.ts'

export type PhiOptions = {
  /** Patient names from the conversation's context: each word of 3+ letters is matched alone too. */
  names?: readonly string[]
  /** Identifiers from the patient context (MRN), matched wherever they appear. */
  identifiers?: readonly string[]
  /** Words that announce an MRN (case-insensitive); an organisation may add its own. */
  mrnCues?: readonly string[]
  /** Digits in a bare hospital number; null turns the uncued rule off. */
  bareMrnDigits?: { min: number; max: number } | null
  /** The current year (dates of birth are told from recent dates by age). */
  year?: number
}

export const DEFAULT_MRN_CUES = [
  'MRN',
  'M.R.N.',
  'medical record number',
  'medical record no',
  'medical record #',
  'hospital number',
  'hospital no',
  'hosp no',
  'hosp. no',
  'patient number',
  'patient no',
  'patient ID',
  'unit number',
  'UR number',
  'URN',
  'NHI',
  'chart number',
  'chart #',
  'case number',
  'RXR',
  'K number',
] as const

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const MONTH_RE =
  '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?'
const DOB_CUE =
  /\b(?:d\.?o\.?b\.?|date of birth|birth ?date|born(?: on)?|birthday|geb\.?)\s{0,3}[:#-]?\s{0,3}$/i

/** The spans of `text` that look like PHI, in text order, never overlapping. */
export function detectPhi(text: string, options: PhiOptions = {}): PhiSpan[] {
  if (typeof text !== 'string') {
    throw new TypeError(`expected text to be a string, got ${typeof text}`)
  }
  const year = options.year ?? new Date().getFullYear()
  const found: Candidate[] = [
    ...nationalIds(text),
    ...dates(text, year),
    ...mrns(text, options),
    ...phones(text),
    ...names(text, options.names ?? []),
  ]
  found.sort((a, b) => b.rank - a.rank || a.start - b.start)
  // Kept spans never overlap, so sorted by start they are sorted by end too: a binary search
  // finds the only neighbours a candidate could overlap.
  const kept: Candidate[] = []
  for (const c of found) {
    let lo = 0
    let hi = kept.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (kept[mid]!.start < c.start) lo = mid + 1
      else hi = mid
    }
    const before = kept[lo - 1]
    const after = kept[lo]
    if ((before && before.end > c.start) || (after && after.start < c.end)) continue
    kept.splice(lo, 0, c)
  }
  return kept.map(({ start, end, kind }) => ({ start, end, kind }))
}

/** The distinct kinds of a detection, in a stable order (what a message record is tagged with). */
export function phiKinds(spans: readonly PhiSpan[]): PhiKind[] {
  return (Object.keys(PRIORITY) as PhiKind[]).filter((k) => spans.some((s) => s.kind === k))
}

// ---- dates ------------------------------------------------------------------------------------

function daysIn(month: number, year: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

function isDay(day: number, month: number, year: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(month, year)
}

function fullYear(y: string, now: number): number {
  if (y.length === 4) return Number(y)
  const n = Number(y)
  return 2000 + n > now ? 1900 + n : 2000 + n
}

function dates(text: string, now: number): Candidate[] {
  const out: Candidate[] = []
  const add = (
    start: number,
    end: number,
    day: number,
    month: number,
    year: number,
    twoDigitYear: boolean,
  ) => {
    const cued = DOB_CUE.test(text.slice(Math.max(0, start - 24), start))
    // A two-digit year is only a date when cued ("DOB 12/03/58"); otherwise "1/2/3" noise.
    if (!isDay(day, month, year) || (twoDigitYear && !cued) || year < 1890 || year > now + 1) return
    // A full date older than ten years, in a care message, is most likely someone's birth date.
    out.push(span(cued || year < now - 10 ? 'dob' : 'date', start, end))
  }
  // 12/03/1958, 3.12.58, 12-03-1958 (day-month or month-day: either reading that is a real day)
  for (
    const m of matches(text, /(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/-]|\.\d)/g)
  ) {
    const a = Number(m[1]), b = Number(m[3]), y = fullYear(m[4]!, now)
    const day = isDay(a, b, y) ? a : b
    const month = isDay(a, b, y) ? b : a
    add(m.index, m.index + m[0].length, day, month, y, m[4]!.length === 2)
  }
  // 1958-03-12, 1958/03/12
  for (const m of matches(text, /(?<![\d/.-])(\d{4})([/.-])(\d{1,2})\2(\d{1,2})(?![\d/-]|\.\d)/g)) {
    add(m.index, m.index + m[0].length, Number(m[4]), Number(m[3]), Number(m[1]), false)
  }
  // 3 Mar 1958, 3rd of March 1958, 03-Mar-1958
  const dmy = new RegExp(
    `\\b(\\d{1,2})(?:st|nd|rd|th)?(?:\\s+of)?[\\s-]+(${MONTH_RE})[\\s,-]+(\\d{4})\\b`,
    'gi',
  )
  for (const m of matches(text, dmy)) {
    add(m.index, m.index + m[0].length, Number(m[1]), monthOf(m[2]!), Number(m[3]), false)
  }
  // March 3, 1958 / Mar 3rd 1958
  const mdy = new RegExp(`\\b(${MONTH_RE})\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})\\b`, 'gi')
  for (const m of matches(text, mdy)) {
    add(m.index, m.index + m[0].length, Number(m[2]), monthOf(m[1]!), Number(m[3]), false)
  }
  return out
}

function monthOf(word: string): number {
  return MONTHS.indexOf(word.slice(0, 3).toLowerCase()) + 1
}

// ---- MRNs -------------------------------------------------------------------------------------

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Units and words after a number that make it a quantity, not an identifier. */
const QUANTITY_AFTER = /^\s{0,3}(?:%|[a-zµμ]{1,6}\b|\/|x\b|per\b|units?\b)/i

function mrns(text: string, o: PhiOptions): Candidate[] {
  const out: Candidate[] = []
  const cues = (o.mrnCues ?? DEFAULT_MRN_CUES).map(escapeRe).join('|')
  const cued = new RegExp(
    `(?<![\\p{L}\\d])(?:${cues})(?![\\p{L}])\\s{0,3}(?:[:#.=-]|is|no\\.?|number)?\\s{0,3}([A-Z]{0,3}[-]?\\d[\\d-]{2,14}[A-Z]?)\\b`,
    'giu',
  )
  for (const m of matches(text, cued)) {
    if ((m[1]!.match(/\d/g) ?? []).length < 4) continue
    const start = m.index + m[0].length - m[1]!.length
    out.push(span('mrn', start, start + m[1]!.length))
  }
  for (const id of o.identifiers ?? []) {
    const t = id.trim()
    if (t.length < 3) continue
    for (
      const m of matches(text, new RegExp(`(?<![\\p{L}\\d])${escapeRe(t)}(?![\\p{L}\\d])`, 'giu'))
    ) {
      out.push(span('mrn', m.index, m.index + m[0].length))
    }
  }
  const bare = o.bareMrnDigits === undefined ? { min: 6, max: 10 } : o.bareMrnDigits
  if (bare) {
    for (const m of matches(text, /(?<![\d.,:/+-])\d+(?![\d.,:/-]\d)/g)) {
      const digits = m[0].length
      if (
        digits < bare.min || digits > bare.max ||
        QUANTITY_AFTER.test(text.slice(m.index + digits, m.index + digits + 12))
      ) continue
      // Bare numbers rank below everything else: a phone number or a date takes the span.
      out.push(span('mrn', m.index, m.index + digits, 0))
    }
  }
  return out
}

// ---- names ------------------------------------------------------------------------------------

const HONORIFIC = /\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+\p{Lu}[\p{L}'’-]+(?:\s+\p{Lu}[\p{L}'’-]+)?/gu

function names(text: string, list: readonly string[]): Candidate[] {
  const out: Candidate[] = []
  const words = new Set<string>()
  for (const full of list) {
    const t = full.trim()
    if (t.length >= 2) words.add(t)
    for (const w of t.split(/[\s,]+/)) if ([...w].length >= 3) words.add(w)
  }
  // Longest first, so "Margaret Okafor" is one span rather than two.
  for (const w of [...words].sort((a, b) => b.length - a.length)) {
    const re = new RegExp(
      `(?<![\\p{L}\\p{N}])${escapeRe(w).replace(/\s+/g, '\\s+')}(?![\\p{L}\\p{N}])`,
      'giu',
    )
    for (const m of matches(text, re)) {
      out.push(span('name', m.index, m.index + m[0].length, 1 + w.length / 1000))
    }
  }
  for (const m of matches(text, HONORIFIC)) {
    out.push(span('name', m.index, m.index + m[0].length, 0.5))
  }
  return out
}
