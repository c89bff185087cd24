/**
 * A dismissible banner across the top of the app (worker alerts, "new version ready"). The text
 * comes in through the default slot; its one button dispatches `wl-dismiss`.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property } from 'lit/decorators.js'
import { emitPlain } from '../events.ts'
import { baseStyles } from '../styles.ts'

@customElement('wl-alert-banner')
export class WlAlertBanner extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: flex; align-items: center; gap: 0.75rem; padding: 0.5rem 0.75rem 0.5rem 1rem; border-bottom: 1px solid var(--wl-border); }
      :host([tone='warn']) { background: #fff4d6; color: #4d3600; }
      :host([tone='info']) { background: var(--wl-primary-soft); color: var(--wl-text); }
      .text { flex: 1; font-weight: 600; }
      button { min-height: 40px; }
    `,
  ]

  @property({ reflect: true }) tone: 'warn' | 'info' = 'warn'
  /** Label of the button; "Dismiss" unless the banner offers an action. */
  @property() action = 'Dismiss'

  override render() {
    return html`<div class="text" role="status"><slot></slot></div>
      <button class="quiet" @click=${() => emitPlain(this, 'wl-dismiss')}>${this.action}</button>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-alert-banner': WlAlertBanner
  }
}
