/**
 * On a new device (typically right after enrollment): when the user has a key backup on the
 * server and this device has not opened it (`keyBackupStatus().offerRestore`), a card above the
 * conversation list offers "Restore history with recovery key". Asked once per unlock, when the
 * device is online; "Not now" hides it until the next unlock (it stays in settings).
 */
import { LitElement, css, html, type PropertyValues } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { ConnectionState } from '../../workers/protocol.ts'
import { baseStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'
import './wl-restore-history.ts'

@customElement('wl-restore-offer')
export class WlRestoreOffer extends LitElement {
  static override styles = [
    baseStyles,
    css`
      /* Inside the list pane: never squeeze the conversation list out on a phone; scroll instead. */
      :host { display: block; flex: 0 1 auto; min-height: 0; max-height: 80%; overflow-y: auto; }
      .card { margin: 0.75rem; padding: 0.9rem 1rem; border: 1px solid var(--wl-primary); border-radius: var(--wl-radius); background: var(--wl-primary-soft); }
      h3 { font-size: 1rem; }
      .row { display: flex; justify-content: flex-end; }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) connection: ConnectionState = 'offline'
  @state() private offer = false
  @state() private restored = false
  #asked = false

  protected override updated(changed: PropertyValues): void {
    if (changed.has('connection') && this.connection === 'online' && !this.#asked && this.client) {
      this.#asked = true
      void this.client.call('keyBackupStatus', {}).then((s) => (this.offer = s.offerRestore), () => {})
    }
  }

  override render() {
    if (!this.offer) return null
    return html`<section class="card" data-testid="restore-offer" aria-label="Restore history">
      <h3>${this.restored ? 'History restored' : 'New device? Restore your history'}</h3>
      ${this.restored ? null : html`<p>You have a key backup. Enter your recovery key (not your PIN) to read the messages sent
        before this device was added.</p>`}
      <wl-restore-history .client=${this.client} .hideFormAfterRestore=${true} @wl-restored=${() => (this.restored = true)}></wl-restore-history>
      <div class="row"><button class="quiet" data-testid="restore-offer-close" @click=${() => (this.offer = false)}>
        ${this.restored ? 'Close' : 'Not now'}</button></div>
    </section>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-restore-offer': WlRestoreOffer
  }
}
