/**
 * Private to phi.ts: the number patterns of the PHI detector — national identifiers with their
 * check digits (UK NHS mod 11, US SSN issued ranges, Canadian SIN Luhn) and phone numbers
 * (international, national with a trunk 0, North American, announced) — and the candidate type
 * and helpers both files share. Pure functions over a string.
 */
import type { PhiKind, PhiSpan } from '../protocol.ts'

/** Higher wins when two candidates overlap (a valid NHS number is not also a phone number). */
export const PRIORITY: Record<PhiKind, number> = {
  'national-id': 6,
  dob: 5,
  date: 4,
  mrn: 3,
  phone: 2,
  name: 1,
}

export type Candidate = PhiSpan & { rank: number }

export function span(kind: PhiKind, start: number, end: number, rank = PRIORITY[kind]): Candidate {
  return { kind, start, end, rank }
}

export function* matches(text: string, re: RegExp): Generator<RegExpExecArray> {
  for (const m of text.matchAll(re)) yield m as RegExpExecArray
}

// ---- national identifiers ---------------------------------------------------------------------

/** UK NHS number: 10 digits, the last a mod-11 check of the first nine (weights 10..2). */
export function isNhsNumber(digits: string): boolean {
  if (!/^\d{10}$/.test(digits)) return false
  let sum = 0
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i)
  const check = 11 - (sum % 11)
  if (check === 10) return false
  return (check === 11 ? 0 : check) === Number(digits[9])
}

/** US SSN as issued: area not 000, 666 or 9xx, group not 00, serial not 0000. */
export function isSsn(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000'
}

/** Luhn check (Canadian SIN). */
export function isLuhn(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2
    sum += d
  }
  return sum % 10 === 0
}

export function nationalIds(text: string): Candidate[] {
  const out: Candidate[] = []
  for (const m of matches(text, /(?<![\d+])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])/g)) {
    if (isNhsNumber(m[1]! + m[2]! + m[3]!)) {
      out.push(span('national-id', m.index, m.index + m[0].length))
    }
  }
  for (const m of matches(text, /(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])/g)) {
    if (isSsn(m[1]!, m[2]!, m[3]!)) out.push(span('national-id', m.index, m.index + m[0].length))
  }
  for (const m of matches(text, /(?<![\d-])(\d{3})([ -])(\d{3})\2(\d{3})(?![\d-])/g)) {
    if (isLuhn(m[1]! + m[3]! + m[4]!)) out.push(span('national-id', m.index, m.index + m[0].length))
  }
  // Announced identifiers, whatever their check digit (a mistyped one is still someone's).
  const cue =
    /\b(?:NHS (?:number|no\.?|#)|NHS|SSN|social security (?:number|no\.?)|SIN|CHI(?: number)?|national (?:id|insurance)(?: number| no\.?)?|NI number|BSN|PPSN|personnummer)\s{0,3}[:#.]?\s{0,3}([A-Z]{0,2}[\d][\d -]{5,14}\d[A-Z]?)/g
  for (const m of matches(text, cue)) {
    const start = m.index + m[0].length - m[1]!.length
    out.push(span('national-id', start, start + m[1]!.length))
  }
  return out
}

// ---- phone numbers ----------------------------------------------------------------------------

export function phones(text: string): Candidate[] {
  const out: Candidate[] = []
  // International: + and 8..15 digits (E.164), spaces, dots, hyphens and one bracketed group.
  for (const m of matches(text, /(?<![\w+])\+\d[\d ().-]{6,20}\d(?!\d)/g)) {
    const n = m[0].replace(/\D/g, '').length
    if (n >= 8 && n <= 15) out.push(span('phone', m.index, m.index + m[0].length))
  }
  // National with a trunk 0 (UK, AU, EU): 10-11 digits, e.g. 020 7946 0958, 07700 900123, (02) 9876 5432.
  for (
    const m of matches(
      text,
      /(?<![\w+/.-])(?:\(0\d{1,4}\)|0\d{1,4})[ -]?\d{3,4}[ -]?\d{3,4}(?![\w/-]|\.\d)/g,
    )
  ) {
    const n = m[0].replace(/\D/g, '').length
    if (n >= 10 && n <= 11) out.push(span('phone', m.index, m.index + m[0].length))
  }
  // Pairs after a trunk 0 (France, Belgium, Switzerland): 06 12 34 56 78, 01.23.45.67.89
  for (const m of matches(text, /(?<![\w+/.-])0\d(?:([ .-])\d{2})(?:\1\d{2}){3}(?![\w/-]|\.\d)/g)) {
    out.push(span('phone', m.index, m.index + m[0].length))
  }
  // North American: (212) 555-0187, 212-555-0187, 212.555.0187
  for (
    const m of matches(
      text,
      /(?<![\w+/.-])(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w/-]|\.\d)/g,
    )
  ) {
    out.push(span('phone', m.index, m.index + m[0].length))
  }
  // Announced ones in any shape: "tel 5550187", "call me on 98765432"
  for (
    const m of matches(
      text,
      /\b(?:tel|phone|mobile|mob|cell|ph|contact number|call (?:me |her |him |them )?(?:on|at))\.?\s{0,3}[:#]?\s{0,3}(\+?\d[\d ().-]{5,18}\d)/gi,
    )
  ) {
    const start = m.index + m[0].length - m[1]!.length
    if (m[1]!.replace(/\D/g, '').length >= 7) out.push(span('phone', start, start + m[1]!.length))
  }
  return out
}
