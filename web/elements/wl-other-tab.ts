/**
 * Full-screen notice shown while another tab of this device runs Wardline (tab-lock.ts).
 * "Use here" dispatches `wl-use-here`; main.ts asks the other tab to step down.
 */
import { LitElement, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import { describeError } from '../error-text.ts'
import { emitPlain } from '../events.ts'
import { baseStyles, cardScreenStyles } from '../styles.ts'

@customElement('wl-other-tab')
export class WlOtherTab extends LitElement {
  static override styles = [baseStyles, cardScreenStyles]

  @state() private asked = false
  /** Set when another tab erased this device (decision 0012): say so, offer to enroll here. */
  @property({ attribute: false }) notice: string | null = null

  override render() {
    if (this.notice) {
      return html`<div class="card" data-testid="other-tab" role="alert">
        <div class="brand"><img src="/icons/icon-192.png" alt="" />Wardline</div>
        <h1>Wardline was removed</h1>
        <p class="error" data-testid="wiped-notice">${describeError(this.notice)}</p>
        <button class="primary" data-testid="use-here" ?disabled=${this.asked} @click=${this.#useHere}>
          ${this.asked ? 'Switching…' : 'Enroll again here'}
        </button>
      </div>`
    }
    return html`<div class="card" data-testid="other-tab" role="alert">
      <div class="brand"><img src="/icons/icon-192.png" alt="" />Wardline</div>
      <h1>Wardline is open in another tab</h1>
      <p class="muted">Only one tab can use Wardline at a time, so messages stay in one place.</p>
      <button class="primary" data-testid="use-here" ?disabled=${this.asked} @click=${this.#useHere}>
        ${this.asked ? 'Switching…' : 'Use here'}
      </button>
    </div>`
  }

  #useHere(): void {
    this.asked = true
    emitPlain(this, 'wl-use-here')
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-other-tab': WlOtherTab
  }
}
