/**
 * Privacy screen (DESIGN §1 rule 4, issue 9): the web cannot block screenshots, so the page blurs
 * everything it shows as soon as the window loses focus, the page is hidden (the phone's app
 * switcher takes its snapshot then) or is being left, and clears it when the person is back (focus,
 * visible again, restored from the back-forward cache). It deters; it cannot prevent a photo of the
 * screen (docs/decisions/0015-phi-and-privacy-screen.md). Touches only an attribute on <html> and
 * one adopted stylesheet (the CSP forbids inline styles); holds nothing, sends nothing.
 */

/**
 * `<html data-wl-privacy="away">` while the window is out of focus (content blurred under a light
 * cover), `="hidden"` while the page is hidden or being left (the cover is opaque too: the app
 * switcher's snapshot shows only the notice). Tests and styles key on it.
 */
export const PRIVACY_ATTRIBUTE = 'data-wl-privacy'

/** How strongly content is blurred: enough that no word or face can be read back. */
export const PRIVACY_BLUR = '24px'

const STYLES = `
  html[${PRIVACY_ATTRIBUTE}] body > * { filter: blur(${PRIVACY_BLUR}) !important; transition: none !important; }
  html[${PRIVACY_ATTRIBUTE}] body::after {
    content: 'Wardline is hidden while you are away'; position: fixed; inset: 0; z-index: 2147483647;
    display: flex; align-items: center; justify-content: center; padding: 2rem; text-align: center;
    font: 600 1.05rem/1.4 var(--wl-font, system-ui, sans-serif); color: var(--wl-text, #15232d);
    background: color-mix(in srgb, var(--wl-bg, #f3f6f8) 70%, transparent); pointer-events: none;
  }
  html[${PRIVACY_ATTRIBUTE}='hidden'] body::after { background: var(--wl-bg, #f3f6f8); }
`

export type PrivacyState = 'away' | 'hidden' | null

export type PrivacyScreenOptions = {
  /** Defaults to the page's window and document; tests may pass their own. */
  win?: Window
  doc?: Document
  /** Told each time the state changes ('away', 'hidden', or null when revealed). */
  onChange?: (state: PrivacyState) => void
}

/** Starts the privacy screen; returns a function that stops it and reveals the page. */
export function startPrivacyScreen(options: PrivacyScreenOptions = {}): () => void {
  const win = options.win ?? window
  const doc = options.doc ?? document
  const sheet = new CSSStyleSheet()
  sheet.replaceSync(STYLES)
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet]

  const set = (state: PrivacyState): void => {
    const root = doc.documentElement
    if (root.getAttribute(PRIVACY_ATTRIBUTE) === state) return
    // Synchronously, in the event itself: the app switcher's snapshot may be taken right after.
    if (state) root.setAttribute(PRIVACY_ATTRIBUTE, state)
    else root.removeAttribute(PRIVACY_ATTRIBUTE)
    options.onChange?.(state)
  }
  const hidden = () => doc.visibilityState === 'hidden'
  // blur and focus do not bubble, but element blurs pass through window's capture phase: only the
  // window's own events count.
  // A blur while hidden keeps the opaque cover.
  const onBlur = (e: Event) => e.target === win && !hidden() && set('away')
  const onFocus = (e: Event) => e.target === win && set(null)
  const onVisibility = () => set(hidden() ? 'hidden' : null)
  const onPageHide = () => set('hidden')
  const onPageShow = () => !hidden() && set(null)

  win.addEventListener('blur', onBlur)
  win.addEventListener('focus', onFocus)
  win.addEventListener('pagehide', onPageHide)
  win.addEventListener('pageshow', onPageShow)
  doc.addEventListener('visibilitychange', onVisibility)
  if (hidden()) set('hidden')

  return () => {
    win.removeEventListener('blur', onBlur)
    win.removeEventListener('focus', onFocus)
    win.removeEventListener('pagehide', onPageHide)
    win.removeEventListener('pageshow', onPageShow)
    doc.removeEventListener('visibilitychange', onVisibility)
    doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== sheet)
    set(null)
  }
}
