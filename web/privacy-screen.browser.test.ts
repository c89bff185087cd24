/**
 * The privacy screen in real Chromium: window blur, a hidden page and pagehide blur what the page
 * shows (checked on the computed style, as the browser would paint it) and focus, a visible page and
 * pageshow clear it.
 */
import { PRIVACY_ATTRIBUTE, PRIVACY_BLUR, startPrivacyScreen } from './privacy-screen.ts'

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message)
}

/** Makes document.visibilityState read `state` (the page cannot really be hidden from a test). */
function pretendVisibility(state: DocumentVisibilityState): void {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state })
  document.dispatchEvent(new Event('visibilitychange'))
}

describe('privacy screen', () => {
  let stop: () => void = () => {}
  let content: HTMLElement
  const filter = () => getComputedStyle(content).filter
  const blurred = () => filter() === `blur(${PRIVACY_BLUR})`

  beforeEach(() => {
    content = document.createElement('div')
    content.textContent = 'Margaret Okafor, MRN 4829113'
    document.body.append(content)
    stop = startPrivacyScreen()
  })

  afterEach(() => {
    stop()
    content.remove()
    delete (document as { visibilityState?: unknown }).visibilityState
  })

  it('starts clear', () => {
    assert(filter() === 'none', `expected no filter, got ${filter()}`)
    assert(!document.documentElement.hasAttribute(PRIVACY_ATTRIBUTE), 'attribute set at start')
  })

  it('blurs on window blur and clears on focus', () => {
    window.dispatchEvent(new FocusEvent('blur'))
    assert(blurred(), `expected blur(${PRIVACY_BLUR}), got ${filter()}`)
    window.dispatchEvent(new FocusEvent('focus'))
    assert(filter() === 'none', `expected none after focus, got ${filter()}`)
  })

  it('ignores an element losing focus inside the page', () => {
    const input = document.createElement('input')
    document.body.append(input)
    input.focus()
    input.blur()
    input.dispatchEvent(new FocusEvent('blur'))
    assert(filter() === 'none', `an element blur obscured the page: ${filter()}`)
    input.remove()
  })

  it('on window blur the cover is see-through; when hidden it is opaque, so a snapshot shows nothing', () => {
    const coverAlpha = () => {
      // rgb(r, g, b) / rgba(r, g, b, a) / color(srgb r g b / a): the alpha, 1 when none is given.
      const bg = getComputedStyle(document.body, '::after').backgroundColor
      const alpha = bg.match(/rgba\([^,]+,[^,]+,[^,]+,\s*([\d.]+)\)/) ?? bg.match(/\/\s*([\d.]+)\)/)
      return alpha ? Number(alpha[1]) : 1
    }
    window.dispatchEvent(new FocusEvent('blur'))
    assert(document.documentElement.getAttribute(PRIVACY_ATTRIBUTE) === 'away', 'away')
    assert(coverAlpha() < 1, `expected a see-through cover, got ${getComputedStyle(document.body, '::after').backgroundColor}`)
    pretendVisibility('hidden')
    assert(document.documentElement.getAttribute(PRIVACY_ATTRIBUTE) === 'hidden', 'hidden')
    assert(coverAlpha() === 1, `expected an opaque cover, got ${getComputedStyle(document.body, '::after').backgroundColor}`)
    assert(blurred(), `expected blur when hidden, got ${filter()}`)
    pretendVisibility('visible')
    assert(filter() === 'none', `expected none when visible, got ${filter()}`)
  })

  it('blurs when the page is hidden and clears when it is visible again', () => {
    pretendVisibility('hidden')
    assert(blurred(), `expected blur when hidden, got ${filter()}`)
    pretendVisibility('visible')
    assert(filter() === 'none', `expected none when visible, got ${filter()}`)
  })

  it('blurs on pagehide (leaving, or into the back-forward cache) and clears on pageshow', () => {
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }))
    assert(blurred(), `expected blur on pagehide, got ${filter()}`)
    const cover = getComputedStyle(document.body, '::after')
    assert(cover.position === 'fixed' && cover.content.includes('hidden'), `cover missing: ${cover.position} ${cover.content}`)
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))
    assert(filter() === 'none', `expected none on pageshow, got ${filter()}`)
  })

  it('stopping it removes the blur and its listeners', () => {
    window.dispatchEvent(new FocusEvent('blur'))
    stop()
    stop = () => {}
    assert(filter() === 'none', `expected none after stop, got ${filter()}`)
    window.dispatchEvent(new FocusEvent('blur'))
    assert(filter() === 'none', 'a stopped screen still reacted')
  })
})
