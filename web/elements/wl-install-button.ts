/**
 * "Install Wardline": a quiet header button shown only while the browser offers installation
 * (install-prompt.ts); renders nothing otherwise.
 */
import { LitElement, css, html } from 'lit'
import { customElement, state } from 'lit/decorators.js'
import { canInstall, onInstallAvailability, promptInstall } from '../install-prompt.ts'
import { baseStyles } from '../styles.ts'

@customElement('wl-install-button')
export class WlInstallButton extends LitElement {
  static override styles = [
    baseStyles,
    css`
      button { white-space: nowrap; }
      @media (max-width: 420px) {
        .long { display: none; }
      }
    `,
  ]

  @state() private available = canInstall()
  #unsubscribe: (() => void) | null = null

  override connectedCallback(): void {
    super.connectedCallback()
    this.#unsubscribe = onInstallAvailability(() => (this.available = canInstall()))
    this.available = canInstall()
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.#unsubscribe?.()
  }

  override render() {
    if (!this.available) return null
    // On a phone the header is narrow: "Install" shows, the accessible name stays whole.
    return html`<button class="quiet" data-testid="install" aria-label="Install Wardline"
      @click=${() => void promptInstall()}>Install<span class="long"> Wardline</span></button>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-install-button': WlInstallButton
  }
}
