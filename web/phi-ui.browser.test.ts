/**
 * Issue 9's UI pieces in real Chromium: the hint's words for what the detector found, the
 * conversation list's local search by patient name and MRN, and the watermark (viewer's name and
 * time, drawn by CSS: no text node to select, copy or read out).
 */
import type { ConversationSummary } from '../workers/protocol.ts'
import { matchesSearch } from './elements/wl-conversation-list.ts'
import './elements/wl-watermark.ts'
import { describePhiKinds } from './phi-text.ts'

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message)
}

const summary = (title: string, patient: ConversationSummary['patient']): ConversationSummary => ({
  conversationId: 'c1', kind: 'direct', title, memberUserIds: [], lastMessage: null, unread: 0, removed: false,
  historyUnavailable: 0, patient,
})

describe('PHI hint words', () => {
  it('lists each kind once, in plain English', () => {
    assert(describePhiKinds(['dob', 'mrn', 'dob']) === 'Looks like it contains a date of birth and an MRN.', describePhiKinds(['dob', 'mrn', 'dob']))
    assert(describePhiKinds(['phone']) === 'Looks like it contains a phone number.', describePhiKinds(['phone']))
    assert(describePhiKinds(['name', 'dob', 'national-id']).endsWith('the patient’s name, a date of birth and a national ID number.'), 'three kinds')
    assert(describePhiKinds([]) === '', 'nothing found, nothing said')
  })
})

describe('conversation search', () => {
  const c = summary('Ben Nurse', { name: 'Margaret Ókafor', mrn: 'RX-88213', ward: '7B', bed: '4' })
  it('finds a conversation by title, patient name (any case, accents ignored) or MRN (with or without the hyphen)', () => {
    for (const q of ['ben', 'okafor', 'MARGARET', 'margaret okafor', 'rx-88213', 'rx88213', '88213', '  7b ']) assert(matchesSearch(c, q), q)
  })
  it('leaves out conversations that do not match every word', () => {
    for (const q of ['smith', 'okafor smith', '99999']) assert(!matchesSearch(c, q), q)
    assert(matchesSearch(summary('Ann Admin', null), 'ann'), 'no patient context')
    assert(!matchesSearch(summary('Ann Admin', null), 'okafor'), 'no patient context, no patient match')
  })
})

describe('wl-watermark', () => {
  it('shows the viewer and the time as decoration only', async () => {
    const box = document.createElement('div')
    box.className = 'box'
    const sheet = new CSSStyleSheet()
    sheet.replaceSync('.box { position: relative; width: 320px; height: 80px; }')
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]
    const mark = document.createElement('wl-watermark')
    mark.viewer = 'Ann Admin'
    mark.at = new Date(2026, 11, 4, 9, 30).getTime()
    box.append(mark)
    document.body.append(box)
    await mark.updateComplete
    const text = mark.getAttribute('data-mark') ?? ''
    assert(text.startsWith('Ann Admin · ') && /30/.test(text), `data-mark: ${text}`)
    const tiles = mark.shadowRoot!.querySelector('.tiles')!
    assert(tiles.getAttribute('aria-hidden') === 'true', 'hidden from assistive technology')
    assert((tiles.textContent ?? '').trim() === '', `no text nodes: ${tiles.textContent}`)
    const span = tiles.querySelector('span')!
    assert(getComputedStyle(span, '::before').content === JSON.stringify(text), getComputedStyle(span, '::before').content)
    const host = getComputedStyle(mark)
    assert(host.position === 'absolute' && host.pointerEvents === 'none', `${host.position} ${host.pointerEvents}`)
    const r = mark.getBoundingClientRect()
    assert(r.width === 320 && r.height === 80, `covers its parent: ${r.width}×${r.height}`)
    box.remove()
  })
})
