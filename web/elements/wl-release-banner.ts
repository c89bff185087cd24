/**
 * The update banner above every screen (also the other-tab notice): "Update available — Reload"
 * for a verified release, "Updating…", a stale build's reload offer, and the persistent warning
 * when a release failed verification (no dismiss: it stays while the failed update waits).
 * State comes from release-updates.ts; this element only renders it and forwards "Reload".
 */
import { LitElement, css, html } from 'lit'
import { customElement, state } from 'lit/decorators.js'
import { acceptUpdate, getUpdateState, onUpdateState, type UpdateState } from '../release-updates.ts'
import { baseStyles } from '../styles.ts'

export const REFUSED_UPDATE_TEXT =
  'This update could not be verified; Wardline kept the current version. Tell your administrator.'
export const REFUSED_RUNNING_TEXT =
  'This version of Wardline could not be verified against the release key this device trusts. Tell your administrator.'

@customElement('wl-release-banner')
export class WlReleaseBanner extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; flex: none; }
      .bar { display: flex; align-items: center; gap: 0.75rem; padding: 0.5rem 0.75rem 0.5rem 1rem; border-bottom: 1px solid var(--wl-border); }
      .info { background: var(--wl-primary-soft); color: var(--wl-text); }
      .warn { background: #fff4d6; color: #4d3600; }
      .text { flex: 1; font-weight: 600; }
      button { min-height: 40px; flex: none; }
    `,
  ]

  @state() private offer: UpdateState = getUpdateState()
  #unsubscribe: (() => void) | null = null

  override connectedCallback(): void {
    super.connectedCallback()
    this.#unsubscribe = onUpdateState((s) => (this.offer = s))
    this.offer = getUpdateState()
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.#unsubscribe?.()
  }

  override render() {
    const s = this.offer
    switch (s.kind) {
      case 'none':
        return null
      case 'ready':
        return this.#bar('info', 'update-ready', 'Update available — a new version of Wardline is ready.', 'Reload')
      case 'applying':
        return this.#bar('info', 'update-applying', 'Updating Wardline…', null)
      case 'stale':
        return this.#bar('info', 'update-stale', 'A new version of Wardline is ready.', 'Reload')
      case 'refused':
        return this.#bar('warn', 'update-refused', s.of === 'update' ? REFUSED_UPDATE_TEXT : REFUSED_RUNNING_TEXT, null, s.code)
    }
  }

  #bar(tone: 'info' | 'warn', id: string, text: string, action: string | null, code = '') {
    return html`<div class="bar ${tone}" data-testid=${id} data-code=${code} role=${tone === 'warn' ? 'alert' : 'status'}>
      <span class="text">${text}</span>
      ${action ? html`<button class="quiet" data-testid="update-reload" @click=${acceptUpdate}>${action}</button>` : null}
    </div>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-release-banner': WlReleaseBanner
  }
}
