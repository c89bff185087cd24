/**
 * Privacy screen (DESIGN §1 rule 4, issue 9): the web cannot block screenshots, so the page blurs
 * everything it shows as soon as the window loses focus, the page is hidden (the phone's app
 * switcher takes its snapshot then) or is being left, and clears it when the person is back (focus,
 * visible again, restored from the back-forward cache). It deters; it cannot prevent a photo of the
 * screen (docs/decisions/0015-phi-and-privacy-screen.md). Touches only an attribute on <html> and
 * one adopted stylesheet (the CSP forbids inline styles); holds nothing, sends nothing.
 */

/** `<html data-wl-privacy>` while content is obscured; tests and styles key on it. */
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
`

export type PrivacyScreenOptions = {
  /** Defaults to the page's window and document; tests may pass their own. */
  win?: Window
  doc?: Document
  /** Told each time the screen is obscured (true) or revealed (false). */
  onChange?: (obscured: boolean) => void
}

/** Starts the privacy screen; returns a function that stops it and reveals the page. */
export function startPrivacyScreen(options: PrivacyScreenOptions = {}): () => void {
  const win = options.win ?? window
  const doc = options.doc ?? document
  const sheet = new CSSStyleSheet()
  sheet.replaceSync(STYLES)
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet]

  const set = (obscured: boolean): void => {
    const root = doc.documentElement
    if (root.hasAttribute(PRIVACY_ATTRIBUTE) === obscured) return
    // Synchronously, in the event itself: the app switcher's snapshot may be taken right after.
    root.toggleAttribute(PRIVACY_ATTRIBUTE, obscured)
    options.onChange?.(obscured)
  }
  // blur and focus do not bubble, but element blurs pass through window's capture phase: only the
  // window's own events count.
  const onBlur = (e: Event) => e.target === win && set(true)
  const onFocus = (e: Event) => e.target === win && set(false)
  const onVisibility = () => set(doc.visibilityState === 'hidden')
  const onPageHide = () => set(true)
  const onPageShow = () => doc.visibilityState === 'visible' && set(false)

  win.addEventListener('blur', onBlur)
  win.addEventListener('focus', onFocus)
  win.addEventListener('pagehide', onPageHide)
  win.addEventListener('pageshow', onPageShow)
  doc.addEventListener('visibilitychange', onVisibility)
  if (doc.visibilityState === 'hidden') set(true)

  return () => {
    win.removeEventListener('blur', onBlur)
    win.removeEventListener('focus', onFocus)
    win.removeEventListener('pagehide', onPageHide)
    win.removeEventListener('pageshow', onPageShow)
    doc.removeEventListener('visibilitychange', onVisibility)
    doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== sheet)
    set(false)
  }
}
