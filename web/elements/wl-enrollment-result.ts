/**
 * A created enrollment code shown three ways — typed code, link (with "Copy link"), QR code of
 * the link — for "Add person" and "Add a device for this person". Shows only what it is given.
 */
import { LitElement, css, html, type PropertyValues } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { Methods } from '../../workers/protocol.ts'
import { groupCode } from '../group-code.ts'
import { baseStyles } from '../styles.ts'
import './wl-qr-code.ts'

export type EnrollmentResult = Methods['createEnrollmentCode']['result']

@customElement('wl-enrollment-result')
export class WlEnrollmentResult extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .code {
        font-family: var(--wl-mono); font-size: 1.5rem; font-weight: 700; letter-spacing: 0.05em;
        display: flex; flex-wrap: wrap; gap: 0.3rem 0.8rem; padding: 1rem; border-radius: var(--wl-radius);
        background: var(--wl-bg); border: 1px solid var(--wl-border); margin-bottom: 1rem;
      }
      .result { display: grid; gap: 1rem; grid-template-columns: 1fr; align-items: start; }
      wl-qr-code { width: min(100%, 16rem); aspect-ratio: 1; border: 1px solid var(--wl-border); border-radius: 8px; padding: 0.25rem; }
      .link { font-family: var(--wl-mono); font-size: 0.85rem; overflow-wrap: anywhere; padding: 0.5rem 0.75rem; background: var(--wl-bg); border-radius: var(--wl-radius); user-select: all; }
      .row { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: center; margin: 0.5rem 0 1rem; }
      .copied { color: var(--wl-ok); font-weight: 600; }
      @media (min-width: 700px) { .result { grid-template-columns: 1fr auto; } }
    `,
  ]

  @property({ attribute: false }) result: EnrollmentResult | null = null
  /** "Enrollment code for Ben Nurse", "New device for Ben Nurse"… */
  @property() heading = ''
  @state() private copied = false

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('result')) this.copied = false
  }

  override render() {
    const c = this.result
    if (!c) return null
    return html`<section data-testid="enrollment-result">
      <h3>${this.heading}</h3>
      <p class="muted">Valid until ${new Date(c.expiresAt).toLocaleString()}. It works once.</p>
      <div class="result">
        <div>
          <div class="code" data-testid="enrollment-code" aria-label="Enrollment code">
            ${groupCode(c.code).map((g) => html`<span>${g}</span>`)}
          </div>
          <div class="link" data-testid="enrollment-link">${c.link}</div>
          <div class="row">
            <button class="primary" data-testid="copy-link" @click=${() => void this.#copy(c.link)}>Copy link</button>
            ${this.copied ? html`<span class="copied" role="status">Copied</span>` : null}
          </div>
        </div>
        <wl-qr-code data-testid="enrollment-qr" .value=${c.link} label="QR code of the enrollment link"></wl-qr-code>
      </div>
    </section>`
  }

  async #copy(link: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(link)
      this.copied = true
    } catch {
      // Clipboard blocked (no permission, not focused): the link text is selectable instead.
      this.copied = false
      const el = this.renderRoot.querySelector('.link')
      if (el) getSelection()?.selectAllChildren(el)
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-enrollment-result': WlEnrollmentResult
  }
}
