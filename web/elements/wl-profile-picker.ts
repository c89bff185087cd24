/**
 * Shared-device mode (decision 0012): "Who is using Wardline?" — the people enrolled on this
 * device, by the label each typed at enrollment, and "Add another person to this device". No
 * worker runs while it shows: picking a person starts a worker on that person's database only,
 * which then asks for that person's PIN. Shows why it appeared (a sign-out, an erase).
 */
import { LitElement, css, html } from 'lit'
import { customElement, property } from 'lit/decorators.js'
import { describeError } from '../error-text.ts'
import type { Profile } from '../profiles.ts'
import { baseStyles, cardScreenStyles } from '../styles.ts'

@customElement('wl-profile-picker')
export class WlProfilePicker extends LitElement {
  static override styles = [
    baseStyles,
    cardScreenStyles,
    css`
      :host { height: 100%; box-sizing: border-box; }
      ul { list-style: none; margin: 0 0 1rem; padding: 0; display: grid; gap: 0.5rem; }
      li button { width: 100%; display: flex; align-items: center; justify-content: flex-start; gap: 0.75rem; text-align: left; min-height: 48px; }
      .badge { flex: none; width: 2.25rem; height: 2.25rem; border-radius: 50%; display: grid; place-items: center;
        background: var(--wl-primary); color: white; font-weight: 700; }
      .add { width: 100%; }
    `,
  ]

  @property({ attribute: false }) profiles: Profile[] = []
  /** Why the picker shows (for example 'local/signed-out'). */
  @property({ attribute: false }) notice: string | null = null

  override render() {
    return html`<div class="card">
      <div class="brand"><img src="/icons/icon-192.png" alt="" />Wardline</div>
      <h1>Who is using Wardline?</h1>
      ${this.notice ? html`<p class="muted" role="status" data-testid="picker-notice">${describeError(this.notice)}</p>` : null}
      <p class="muted">Several people use Wardline on this device. Each person’s messages are locked with their own PIN.</p>
      <ul aria-label="People on this device">
        ${this.profiles.map((p, i) => html`<li><button data-testid="pick-profile" data-profile=${p.id}
            @click=${() => this.dispatchEvent(new CustomEvent('wl-pick-profile', { detail: p.id, bubbles: true, composed: true }))}>
            <span class="badge" aria-hidden="true">${(labelOf(p, i)[0] ?? '?').toUpperCase()}</span><span>${labelOf(p, i)}</span></button></li>`)}
      </ul>
      <button class="add" data-testid="add-profile"
        @click=${() => this.dispatchEvent(new Event('wl-add-profile', { bubbles: true, composed: true }))}>Add another person to this device</button>
    </div>`
  }
}

export const labelOf = (p: Profile, index: number) => p.label || `Person ${index + 1}`

declare global {
  interface HTMLElementTagNameMap {
    'wl-profile-picker': WlProfilePicker
  }
}
