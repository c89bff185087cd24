/**
 * "Organisation key" on the Organisation & this device screen, for admin devices only (decision
 * 0016): says whether this device holds the organisation root key and, when it does not (a new
 * admin device after the first one was lost), "Restore organisation key" takes k key holders'
 * shares (`restoreRootKey`); the worker accepts the rebuilt key only if it is the organisation's
 * pinned root. The typed shares are cleared from the page whatever the outcome.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { StatusSnapshot } from '../../workers/protocol.ts'
import { emit } from '../events.ts'
import { PendingAction } from '../pending-action.ts'
import { baseStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'

@customElement('wl-restore-root')
export class WlRestoreRoot extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      h3 { font-size: 1rem; }
      textarea { width: 100%; font-family: var(--wl-mono); }
      .done { color: var(--wl-ok); font-weight: 600; }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) me: StatusSnapshot['me'] = null
  /** From the worker's status; null until it answered. */
  @state() private hasRootKey: boolean | null = null
  @state() private restored = false
  readonly action = new PendingAction(this)

  override connectedCallback(): void {
    super.connectedCallback()
    void this.client?.call('status', {}).then((s) => (this.hasRootKey = s.hasRootKey ?? false)).catch(() => {})
  }

  async #restore(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const client = this.client
    const area = (e.target as HTMLFormElement).elements.namedItem('shares') as HTMLTextAreaElement
    const shares = area.value.split('\n').map((l) => l.trim()).filter((l) => l !== '')
    if (!client) return
    if (shares.length === 0) return this.action.fail('Type or paste the key holders’ shares, one per line.')
    await this.action.run(async () => {
      const status = await client.call('restoreRootKey', { shares })
      this.hasRootKey = status.hasRootKey ?? true
      this.restored = true
      emit(this, 'wl-status', status)
    })
    area.value = '' // shares stay on the page no longer than the attempt
  }

  override render() {
    if (this.me?.role !== 'admin' || this.hasRootKey === null) return null
    if (this.hasRootKey) {
      return html`<section data-testid="root-key-section">
        <h3>Organisation key</h3>
        <p data-testid="root-key-here" class=${this.restored ? 'done' : ''}>
          ${this.restored ? 'Organisation key restored. ' : ''}This device holds the organisation key: it can add people and
          sign the organisation’s policy.</p>
      </section>`
    }
    return html`<section data-testid="root-key-section">
      <h3>Organisation key</h3>
      <p class="muted">This admin device does not hold the organisation key, so it cannot add people yet. If the device
        that held it was lost, gather enough key holders’ shares (given out when the organisation was created).</p>
      <form @submit=${this.#restore} novalidate>
        <div class="field">
          <label for="root-shares">Organisation key shares</label>
          <textarea id="root-shares" name="shares" rows="4" autocomplete="off" autocapitalize="characters"
            spellcheck="false" placeholder="WLRS1-…"></textarea>
          <div class="hint">One share per line, each starting with WLRS1.</div>
        </div>
        ${this.action.problem ? html`<p class="error" role="alert">${this.action.problem}</p>` : null}
        <button class="primary" type="submit" ?disabled=${this.action.busy}>
          ${this.action.busy ? 'Restoring…' : 'Restore organisation key'}
        </button>
      </form>
    </section>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-restore-root': WlRestoreRoot
  }
}
