/**
 * "Organisation & this device": the organisation fingerprint (`status().rootFingerprint`), for
 * comparing in person with a colleague's screen, who this device belongs to, the devices
 * (wl-devices: revoke, add a device, safety numbers), and "Unlock with this device's screen lock"
 * (WebAuthn PRF, web/prf-unlock.ts) where the browser offers it, and the recovery key for the
 * encrypted key backup (wl-recovery-key), and on admin devices the organisation key (wl-restore-root).
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { ComplianceSummary, StatusSnapshot } from '../../workers/protocol.ts'
import { emit } from '../events.ts'
import { groupCode } from '../group-code.ts'
import { PendingAction } from '../pending-action.ts'
import { createPrfCredential, isPrfUnlockPossible } from '../prf-unlock.ts'
import { WorkerCallError, type WorkerClient } from '../worker-client.ts'
import { baseStyles, sideViewStyles } from '../styles.ts'
import './wl-storage-status.ts'
import { complianceAccessText } from './wl-compliance-notice.ts'
import './wl-devices.ts'
import './wl-recovery-key.ts'
import './wl-remove-device.ts'
import './wl-restore-root.ts'

@customElement('wl-organisation')
export class WlOrganisation extends LitElement {
  static override styles = [
    baseStyles,
    sideViewStyles,
    css`
      :host { display: block; overflow-y: auto; background: var(--wl-surface); }
      .content { padding: 1rem; max-width: 40rem; }
      section { margin-bottom: 1.5rem; }
      h3 { font-size: 1rem; }
      .fingerprint {
        font-family: var(--wl-mono); font-size: 1.15rem; letter-spacing: 0.04em; display: flex; flex-wrap: wrap;
        gap: 0.35rem 0.75rem; padding: 0.75rem 1rem; background: var(--wl-bg); border-radius: var(--wl-radius);
        border: 1px solid var(--wl-border);
      }
      dl { display: grid; grid-template-columns: auto 1fr; gap: 0.35rem 1rem; margin: 0; }
      dt { color: var(--wl-muted); }
      dd { margin: 0; overflow-wrap: anywhere; }
      @media (min-width: 900px) { .back { display: none; } }
    `,
  ]

  @property({ attribute: false }) rootFingerprint: string | null = null
  @property({ attribute: false }) me: StatusSnapshot['me'] = null
  @property({ attribute: false }) compliance: ComplianceSummary | null = null
  /** Inside another screen (add person): no header of its own. */
  @property({ type: Boolean }) embedded = false
  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) prfCredentialId: string | null = null
  @property({ attribute: false }) lease: StatusSnapshot['lease'] | null = null
  @state() private prfPossible = false
  readonly prfAction = new PendingAction(this)

  override connectedCallback(): void {
    super.connectedCallback()
    void isPrfUnlockPossible().then((possible) => (this.prfPossible = possible))
  }

  async #enablePrf(): Promise<void> {
    const { client, me } = this
    if (!client || !me) return
    await this.prfAction.run(async () => {
      const made = await createPrfCredential(me).catch(() => null)
      if (!made) throw new WorkerCallError('local/prf-unavailable', 'no PRF')
      // postMessage copies the bytes to the worker; wipe this copy at once (decision 0005).
      const call = client.call('enablePrfUnlock', made)
      made.prfOutput.fill(0)
      emit(this, 'wl-status', await call)
    })
  }

  #renderPrf() {
    if (this.embedded || !this.client || (!this.prfPossible && !this.prfCredentialId)) return null
    return html`<section data-testid="prf-section">
      <h3>Screen lock</h3>
      ${this.prfCredentialId
        ? html`<p data-testid="prf-enabled">This device’s screen lock can unlock Wardline. Your PIN still works too.</p>`
        : html`<p class="muted">Unlock Wardline with this device’s fingerprint, face or screen lock instead of typing your PIN.</p>
            <button data-testid="enable-prf" ?disabled=${this.prfAction.busy} @click=${() => void this.#enablePrf()}>Unlock with this device's screen lock</button>`}
      ${this.prfAction.problem ? html`<p class="error" role="alert">${this.prfAction.problem}</p>` : null}
    </section>`
  }

  /** Who can open conversations for a lawful request (DESIGN §1 rule 2), told to every user. */
  #renderCompliance() {
    const c = this.compliance
    return html`<section data-testid="compliance-section">
      <h3>Compliance access</h3>
      ${c
        ? html`<p data-testid="compliance-access">${c.threshold} of ${c.officers.length} officers must act together:
              <bdi>${c.officers.join(', ')}</bdi></p>
            <p class="muted" data-testid="compliance-explained">${complianceAccessText(c)} Every conversation key is also
              sealed to the organisation’s compliance key, which only ${c.threshold} of these officers together can open.</p>
            <div class="fingerprint" data-testid="compliance-fingerprint">
              ${c.fingerprint.split(' ').map((g) => html`<span>${g}</span>`)}
            </div>`
        : html`<p class="muted">Not available on this device.</p>`}
    </section>`
  }

  override render() {
    const { rootFingerprint, me } = this
    const body = html`
      <section data-testid="organisation-section">
        <h3>Organisation fingerprint</h3>
        <p class="muted">Compare this with a colleague's screen in person. If it differs, stop and tell your IT team.</p>
        <div class="fingerprint" data-testid="root-fingerprint">
          ${rootFingerprint ? groupCode(rootFingerprint).map((g) => html`<span>${g}</span>`) : 'Not available'}
        </div>
      </section>
      ${!this.embedded ? this.#renderCompliance() : null}
      ${!this.embedded && me
        ? html`<section>
            <h3>This device</h3>
            <dl>
              <dt>Name</dt><dd><bdi>${me.displayName}</bdi></dd>
              <dt>Role</dt><dd>${me.role}</dd>
              <dt>Device</dt><dd class="mono">${me.deviceId}</dd>
            </dl>
            <wl-storage-status></wl-storage-status>
            <wl-remove-device .client=${this.client} .lease=${this.lease}></wl-remove-device>
          </section>`
        : null}
      ${!this.embedded && me && this.client ? html`<wl-devices .client=${this.client} .me=${me}></wl-devices>` : null}
      ${!this.embedded && this.client ? html`<wl-recovery-key .client=${this.client}></wl-recovery-key>` : null}
      ${!this.embedded && this.client ? html`<wl-restore-root .client=${this.client} .me=${me}></wl-restore-root>` : null}
      ${this.#renderPrf()}
    `
    if (this.embedded) return body
    return html`
      <div class="head">
        <button class="quiet back" data-testid="back" @click=${() => emit(this, 'wl-navigate', { view: 'list' })}>← Back</button>
        <h2>Organisation &amp; this device</h2>
      </div>
      <div class="content">${body}</div>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-organisation': WlOrganisation
  }
}
