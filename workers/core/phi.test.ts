/**
 * The on-device PHI detector: what it must flag (dates of birth in many formats, MRNs, phone
 * numbers, national identifiers with valid check digits, names from the patient context), what it
 * must leave alone (ordinary clinical sentences, doses, blood pressures, recent dates), and its
 * false-positive rate on the MTS-Dialog validation corpus (test/fixtures/mts-dialog, CC BY 4.0 —
 * attribution in test/fixtures/README.md; the corpus is read from its file, no line is copied).
 */
import assert from 'node:assert/strict'
import { parseCsv } from '../../test/sim/corpus.ts'
import { detectPhi, isLuhn, isNhsNumber, phiKinds, type PhiOptions } from './phi.ts'

const YEAR = { year: 2026 }
const kinds = (text: string, o: PhiOptions = {}) =>
  detectPhi(text, { ...YEAR, ...o }).map((s) => s.kind)
const flagged = (text: string, o: PhiOptions = {}) =>
  detectPhi(text, { ...YEAR, ...o }).map((s) => text.slice(s.start, s.end))

Deno.test('dates of birth are flagged in numeric, ISO and written formats, and after a DOB cue', () => {
  for (
    const [text, date] of [
      ['Patient born 12/03/1958, on warfarin', '12/03/1958'],
      ['DOB: 1958-03-12', '1958-03-12'],
      ['dob 3 Mar 1958', '3 Mar 1958'],
      ['her birthday is the 3rd of March 1958', '3rd of March 1958'],
      ['D.O.B. March 3, 1958', 'March 3, 1958'],
      ['date of birth 03.12.58', '03.12.58'],
      ['seen by GP, 28-02-1961 is on the wristband', '28-02-1961'],
      ['Date of birth: 2019-07-01 (paediatric)', '2019-07-01'],
    ]
  ) {
    assert.deepEqual(flagged(text!), [date], text)
    assert.deepEqual(kinds(text!), ['dob'], text)
  }
})

Deno.test('a recent full date is flagged as a date, and impossible dates, years and fractions are not', () => {
  assert.deepEqual(kinds('Discharged on 14/11/2025, review in clinic'), ['date'])
  assert.deepEqual(kinds('Born 31/02/1958'), [], 'no 31 February')
  assert.deepEqual(kinds('She was born in 1958 and smoked since 1975'), [])
  assert.deepEqual(kinds('BP 120/80, pulse 72, sats 98%'), [])
  assert.deepEqual(kinds('give 1/2 tablet, then 2/3 of the dose'), [])
  assert.deepEqual(kinds('scores 12/03/58 on the scale'), [], 'two-digit year without a cue')
})

Deno.test('MRNs are flagged after a cue, from the patient context, and as bare 6–10 digit hospital numbers', () => {
  assert.deepEqual(flagged('MRN 4829113 bed 12'), ['4829113'])
  assert.deepEqual(flagged('Medical record number: RX-88213'), ['RX-88213'])
  assert.deepEqual(flagged('hosp no. K1234567 needs bloods'), ['K1234567'])
  assert.deepEqual(flagged('can you chase 00482911 results'), ['00482911'])
  assert.deepEqual(kinds('the one with AB12CD ward', { identifiers: ['AB12CD'] }), ['mrn'])
  assert.deepEqual(
    kinds('chase 00482911', { bareMrnDigits: null }),
    [],
    'bare rule can be turned off',
  )
  assert.deepEqual(kinds('patient ID 77-3310-2', { mrnCues: ['patient ID'] }), ['mrn'])
})

Deno.test('doses, counts and lab values are not taken for hospital numbers', () => {
  for (
    const text of [
      'heparin 100000 units',
      '1000000 IU vitamin D',
      'platelets 250000/mm3',
      'weight 72.5 kg',
      'step 3 of 10',
    ]
  ) {
    assert.deepEqual(kinds(text), [], text)
  }
})

Deno.test('phone numbers are flagged in international and national formats', () => {
  for (
    const [text, phone] of [
      ['ring the daughter on +44 20 7946 0958 tonight', '+44 20 7946 0958'],
      ['wife: +1 (212) 555-0187', '+1 (212) 555-0187'],
      ['mobile 07700 900123', '07700 900123'],
      ['GP surgery 020 7946 0958', '020 7946 0958'],
      ['call (212) 555-0187', '(212) 555-0187'],
      ['call me on 98765432', '98765432'],
      ['ring (02) 9876 5432 for the clinic', '(02) 9876 5432'],
      ['Praxis +49 30 901820', '+49 30 901820'],
      ['fille au 06 12 34 56 78', '06 12 34 56 78'],
      ['cabinet 01.23.45.67.89', '01.23.45.67.89'],
      ['AU mobile 0412 345 678', '0412 345 678'],
    ]
  ) {
    assert.deepEqual(flagged(text!), [phone], text)
    assert.deepEqual(kinds(text!), ['phone'], text)
  }
})

Deno.test('NHS numbers are flagged only with a valid mod-11 check digit; SSNs and SINs only when well formed', () => {
  assert.ok(isNhsNumber('9434765919'))
  assert.ok(!isNhsNumber('9434765918'))
  assert.ok(isLuhn('046454286'))
  assert.deepEqual(kinds('NHS 943 476 5919'), ['national-id'])
  assert.deepEqual(kinds('his number is 943 476 5919'), ['national-id'])
  assert.deepEqual(kinds('his number is 9434765919'), ['national-id'])
  assert.notDeepEqual(kinds('ref 943 476 5918'), ['national-id'], 'wrong check digit')
  assert.deepEqual(kinds('SSN 123-45-6789'), ['national-id'])
  assert.deepEqual(kinds('ssn on file: 078-05-1120'), ['national-id'])
  assert.deepEqual(kinds('code 666-12-3456 in the audit'), [], 'area 666 is never issued')
  assert.deepEqual(kinds('SIN 046 454 286'), ['national-id'])
  assert.deepEqual(
    kinds('result 046 454 287 pending'),
    [],
    'Luhn fails and the 9 digits are no phone',
  )
})

Deno.test('names from the patient context are flagged whole and word by word, with honorifics', () => {
  const o = { names: ['Margaret Okafor'] }
  assert.deepEqual(flagged('Margaret Okafor in bay 3 is nauseous', o), ['Margaret Okafor'])
  assert.deepEqual(flagged('can someone see okafor?', o), ['okafor'])
  assert.deepEqual(kinds('Mrs Okafor asks for her glasses', o), ['name'])
  assert.deepEqual(flagged('Mr. Peterson is in bed 4'), ['Mr. Peterson'])
  assert.deepEqual(kinds('Margarets and Okaforian', o), [], 'whole words only')
  assert.deepEqual(
    kinds('Al is here', { names: ['Al'] }),
    ['name'],
    'a two-letter full name still matches',
  )
  assert.deepEqual(kinds('also see al', { names: ['Al B'] }), [], 'but not as a loose word')
})

Deno.test('one message with a DOB, an MRN and a phone gives three spans and three kinds', () => {
  const text = 'Jane Doe DOB 12/03/1958 MRN 4829113, daughter +44 7700 900123'
  const spans = detectPhi(text, { ...YEAR, names: ['Jane Doe'] })
  assert.deepEqual(spans.map((s) => text.slice(s.start, s.end)), [
    'Jane Doe',
    '12/03/1958',
    '4829113',
    '+44 7700 900123',
  ])
  assert.deepEqual(phiKinds(spans), ['dob', 'mrn', 'phone', 'name'])
})

Deno.test('misuse throws a TypeError', () => {
  assert.throws(() => detectPhi(42 as unknown as string), TypeError)
})

Deno.test('ordinary clinical sentences are left alone', () => {
  for (
    const text of [
      'Can you review the obs in bay 4? NEWS is 5, temp 38.4, HR 112.',
      'Started on amoxicillin 500 mg three times a day for 7 days.',
      'Patient is 67 years old, history of type 2 diabetes since 2010.',
      'Hb 98 g/L, WCC 14.2, CRP 120. Repeat bloods at 06:00.',
      'Family meeting at 14:30 in the relatives room.',
      'Dr Patel is the on-call registrar tonight.',
    ]
  ) assert.deepEqual(kinds(text), [], text)
})

/** The share of corpus turns flagged: real clinical language with no identifiers in it. */
function corpusFalsePositives(): {
  turns: number
  flagged: number
  byKind: Record<string, number>
  examples: string[]
} {
  const text = Deno.readTextFileSync(
    new URL('../../test/fixtures/mts-dialog/validation.csv', import.meta.url),
  )
  const [header, ...rows] = parseCsv(text)
  const col = header!.indexOf('dialogue')
  const note = header!.indexOf('section_text')
  const turns = rows.flatMap((r) => [...(r[col] ?? '').split(/\r?\n/), r[note] ?? ''])
    .map((t) =>
      t.replace(/^\s*(Doctor|Patient|Guest_family|Guest_clinician)[_\d]*\s*:/i, '').trim()
    ).filter(Boolean)
  const byKind: Record<string, number> = {}
  const examples: string[] = []
  let count = 0
  for (const t of turns) {
    const spans = detectPhi(t, YEAR)
    if (!spans.length) continue
    count++
    for (const k of phiKinds(spans)) byKind[k] = (byKind[k] ?? 0) + 1
    if (examples.length < 20) {
      examples.push(spans.map((s) => `${s.kind}:${t.slice(s.start, s.end)}`).join(' '))
    }
  }
  return { turns: turns.length, flagged: count, byKind, examples }
}

Deno.test('on the MTS-Dialog validation corpus fewer than 1% of turns and notes are flagged', () => {
  const r = corpusFalsePositives()
  const rate = r.flagged / r.turns
  console.log(
    `PHI detector on MTS-Dialog validation: ${r.flagged} of ${r.turns} turns flagged (${
      (rate * 100).toFixed(2)
    }%)`,
    r.byKind,
    r.examples,
  )
  assert.ok(r.turns > 800)
  assert.ok(rate < 0.01, `false-positive rate ${(rate * 100).toFixed(2)}%`)
})
