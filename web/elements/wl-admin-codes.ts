/**
 * Admin console — enrollment codes (issue 7): the codes this admin device created (its encrypted
 * store keeps them, never the secret part), with expiry and what became of them; "New code" opens
 * the add-person flow; "Revoke" marks an unused code revoked at the relay after the PIN is asked
 * again, so enrolling with it fails with `enroll/code-revoked`.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import type { EnrollmentCodeView } from '../../workers/protocol.ts'
import { describeError } from '../error-text.ts'
import { emit } from '../events.ts'
import { formatTime } from '../format-time.ts'
import { adminStyles, baseStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import type { WlReauth } from './wl-reauth.ts'
import './wl-reauth.ts'

const STATE: Record<EnrollmentCodeView['state'], [string, string]> = {
  outstanding: ['Outstanding', 'warn'],
  used: ['Used', 'ok'],
  expired: ['Expired', ''],
  revoked: ['Revoked', 'danger'],
}

@customElement('wl-admin-codes')
export class WlAdminCodes extends LitElement {
  static override styles = [baseStyles, adminStyles, css`:host { display: block; } .grow { flex: 1 1 14rem; margin: 0; }`]

  @property({ attribute: false }) client: WorkerClient | null = null
  @state() private codes: EnrollmentCodeView[] | null = null
  @state() private problem: string | null = null
  @query('wl-reauth') private reauth!: WlReauth

  override connectedCallback(): void {
    super.connectedCallback()
    void this.#load()
  }

  async #load(): Promise<void> {
    if (!this.client) return
    try {
      this.codes = await this.client.call('listEnrollmentCodes', {})
      this.problem = null
    } catch (error) {
      this.problem = describeError(errorCode(error))
    }
  }

  async #revoke(code: EnrollmentCodeView): Promise<void> {
    const client = this.client
    if (!client) return
    const done = await this.reauth.ask({
      title: `Revoke the code for ${code.displayName}?`,
      text: 'Nobody can enroll with this code any more. You can create a new one at any time.',
      confirmLabel: 'Revoke code',
      run: async (pin) => void (await client.call('revokeEnrollmentCode', { authorizationId: code.authorizationId, pin })),
    })
    if (done) await this.#load()
  }

  #renderCode(code: EnrollmentCodeView) {
    const [text, tone] = STATE[code.state]
    return html`<li class="card" data-testid="admin-code">
      <div class="card-head">
        <h3><bdi>${code.displayName}</bdi></h3>
        <span class="chip ${tone}" data-testid="code-state">${text}</span>
      </div>
      <div class="meta">${code.role} · created ${formatTime(code.createdAt)} ·
        ${code.expiresAt > Date.now() ? 'expires' : 'expired'} ${formatTime(code.expiresAt)}</div>
      <div class="meta mono" title=${code.authorizationId}>id ${code.authorizationId.slice(0, 8)}</div>
      ${code.state === 'outstanding'
        ? html`<div class="actions"><button class="danger-outline" data-testid="revoke-code" @click=${() => void this.#revoke(code)}>Revoke</button></div>`
        : null}
    </li>`
  }

  override render() {
    const codes = this.codes
    return html`
      <div class="row-tools">
        <p class="muted grow">Codes created on this device. The secret part of a code is never kept.</p>
        <button class="primary" data-testid="new-code" @click=${() => emit(this, 'wl-navigate', { view: 'add-person' })}>New code</button>
      </div>
      ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : null}
      ${codes === null
        ? html`<p class="empty">Loading codes…</p>`
        : codes.length === 0
          ? html`<p class="empty">No codes created on this device yet.</p>`
          : html`<ul class="cards" aria-label="Enrollment codes">${codes.map((c) => this.#renderCode(c))}</ul>`}
      <wl-reauth></wl-reauth>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-admin-codes': WlAdminCodes
  }
}
