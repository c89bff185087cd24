/**
 * "Install Wardline": a quiet header button shown only while the browser offers installation
 * (install-prompt.ts); renders nothing otherwise.
 */
import { LitElement, html } from 'lit'
import { customElement, state } from 'lit/decorators.js'
import { canInstall, onInstallAvailability, promptInstall } from '../install-prompt.ts'
import { baseStyles } from '../styles.ts'

@customElement('wl-install-button')
export class WlInstallButton extends LitElement {
  static override styles = [baseStyles]

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
    return html`<button class="quiet" data-testid="install" @click=${() => void promptInstall()}>Install Wardline</button>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-install-button': WlInstallButton
  }
}
