/**
 * Whether the browser keeps this device's store (persistent storage, issue 5) and how much space
 * it uses, shown under "This device". Reading it asks nothing; main.ts asks for persistence once
 * the app is ready (storage-persistence.ts).
 */
import { LitElement, css, html } from 'lit'
import { customElement, state } from 'lit/decorators.js'
import { formatBytes, requestPersistence, type StorageState, storageState } from '../storage-persistence.ts'
import { baseStyles } from '../styles.ts'

@customElement('wl-storage-status')
export class WlStorageStatus extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; margin-top: 0.75rem; }
      p { margin: 0.25rem 0; }
      .warn { color: var(--wl-warn); }
    `,
  ]

  @state() private info: StorageState | null = null

  override connectedCallback(): void {
    super.connectedCallback()
    void storageState().then((s) => (this.info = s))
    void requestPersistence().then(() => storageState()).then((s) => (this.info = s))
  }

  override render() {
    const s = this.info
    if (!s) return null
    const used = s.usageBytes !== null
      ? html` · ${formatBytes(s.usageBytes)} used${s.quotaBytes ? html` of ${formatBytes(s.quotaBytes)} available` : null}`
      : null
    if (s.persisted === true) {
      return html`<p data-testid="storage-status" data-persisted="true">Storage: kept on this device until you remove it${used}</p>`
    }
    return html`<p data-testid="storage-status" data-persisted="false" class="warn">
      Storage: the browser may clear Wardline’s data when space runs low, and this device’s keys with it${used}.
      Installing Wardline to the home screen usually keeps it.</p>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-storage-status': WlStorageStatus
  }
}
