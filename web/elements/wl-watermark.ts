/**
 * A visible watermark over PHI (DESIGN §1 rule 4): the viewer's name and the time, repeated across
 * its positioned parent, faint enough to read through and impossible to crop out of a screenshot
 * of the content (drawn by CSS from an attribute: no text to select). It deters sharing a screenshot; it cannot stop one
 * (docs/decisions/0015-phi-and-privacy-screen.md). Used on PHI-tagged messages and patient
 * notices; images should use it the same way. Text only, hidden from assistive technology.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property } from 'lit/decorators.js'

/** Copies of the mark laid out across the parent: enough for a long message bubble. */
const COPIES = 12

@customElement('wl-watermark')
export class WlWatermark extends LitElement {
  static override styles = css`
    :host {
      position: absolute; inset: 0; overflow: hidden; pointer-events: none; user-select: none; border-radius: inherit;
      display: block; z-index: 1;
    }
    .tiles {
      position: absolute; inset: -60% -10%; display: flex; flex-wrap: wrap; align-content: center; justify-content: center;
      gap: 0.35rem 1.6rem; transform: rotate(-7deg); color: var(--wl-text); opacity: 0.12;
      font: 700 0.78rem/1.2 var(--wl-font); letter-spacing: 0.02em; white-space: nowrap;
    }
    /* Drawn from an attribute, not text nodes: decoration with no text to select, copy, read out
       or check for contrast (WCAG 1.4.3 exempts incidental text). */
    .tiles span::before { content: attr(data-mark); }
    @media (prefers-color-scheme: dark) { .tiles { opacity: 0.17; } }
    @media print { .tiles { opacity: 0.35; } }
  `

  /** Who is looking (status().me.displayName). */
  @property() viewer = ''
  /** When (ms): the current time, refreshed by the conversation view. */
  @property({ type: Number }) at = 0
  /** Copies of the mark: the default fills a message bubble; a full-screen image needs more. */
  @property({ type: Number }) copies = COPIES

  /** The mark's text, also on the host as `data-mark` (for tests and the accessibility tree's absence). */
  get mark(): string {
    const when = new Date(this.at || Date.now()).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' })
    return `${this.viewer} · ${when}`
  }

  protected override willUpdate(): void {
    this.setAttribute('data-mark', this.mark)
  }

  override render() {
    const mark = this.mark
    return html`<div class="tiles" aria-hidden="true">${Array.from({ length: this.copies }, () => html`<span data-mark=${mark}></span>`)}</div>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-watermark': WlWatermark
  }
}
