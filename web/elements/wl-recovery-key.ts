/**
 * "Recovery key" on the Organisation & this device screen (decision 0007): explains what the key
 * is for (reading your history on a new device) and that it is not the PIN; "Create recovery key"
 * (`createRecoveryKey`) shows the key once, with Copy and "I have stored it", after which the page
 * drops it; the backup's state (`keyBackupStatus`); and "Restore history with recovery key".
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { KeyBackupStatus } from '../../workers/protocol.ts'
import { describeError } from '../error-text.ts'
import { PendingAction } from '../pending-action.ts'
import { baseStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import './wl-restore-history.ts'

@customElement('wl-recovery-key')
export class WlRecoveryKey extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      h3 { font-size: 1rem; }
      h4 { font-size: 0.95rem; margin: 1rem 0 0.4rem; }
      .key {
        font-family: var(--wl-mono); font-size: 1.2rem; font-weight: 700; letter-spacing: 0.04em;
        display: flex; flex-wrap: wrap; gap: 0.3rem 0.7rem; padding: 0.9rem 1rem; border-radius: var(--wl-radius);
        background: var(--wl-bg); border: 2px solid var(--wl-primary); margin-bottom: 0.75rem; user-select: all;
      }
      .row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; margin-bottom: 0.75rem; }
      .copied { color: var(--wl-ok); font-weight: 600; }
      .state { font-weight: 600; }
      .warn { color: var(--wl-danger); }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @state() private status: KeyBackupStatus | null = null
  /** The key on screen right after creating it; dropped on "I have stored it". */
  @state() private shown: { key: string; backedUp: boolean } | null = null
  @state() private copied = false
  readonly createAction = new PendingAction(this)

  override connectedCallback(): void {
    super.connectedCallback()
    void this.#load()
  }

  async #load(): Promise<void> {
    if (!this.client) return
    this.status = await this.client.call('keyBackupStatus', {}).catch((e) => {
      this.createAction.fail(describeError(errorCode(e)))
      return null
    })
  }

  async #create(): Promise<void> {
    const client = this.client
    if (!client) return
    await this.createAction.run(async () => {
      const made = await client.call('createRecoveryKey', {})
      this.shown = { key: made.recoveryKey, backedUp: made.backedUp }
      this.copied = false
    })
    void this.#load()
  }

  async #copy(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text)
      this.copied = true
    } catch {
      // Clipboard blocked: the key text is selectable instead.
      const el = this.renderRoot.querySelector('.key')
      if (el) getSelection()?.selectAllChildren(el)
    }
  }

  #renderShown(s: { key: string; backedUp: boolean }) {
    return html`<div data-testid="recovery-key-shown">
      <p><strong>Your recovery key.</strong> Write it down or store it in your organisation’s password manager now: Wardline
        shows it only this once and keeps no copy you can read.</p>
      <div class="key" data-testid="recovery-key" aria-label="Recovery key">${s.key.split('-').map((g) => html`<span>${g}</span>`)}</div>
      <div class="row">
        <button data-testid="copy-recovery-key" @click=${() => void this.#copy(s.key)}>Copy</button>
        ${this.copied ? html`<span class="copied" role="status">Copied</span>` : null}
      </div>
      <p class="muted">${s.backedUp
        ? 'Your backup is on the server, encrypted with this key.'
        : 'This device is offline: the backup is uploaded as soon as it connects.'}</p>
      <button class="primary" data-testid="recovery-key-stored" @click=${() => (this.shown = null)}>I have stored it</button>
    </div>`
  }

  #renderState(st: KeyBackupStatus) {
    if (!st.enabled) return html`<p class="state" data-testid="backup-state">No recovery key on this device.</p>`
    if (st.problem) return html`<p class="state warn" data-testid="backup-state" role="alert">${describeError(st.problem)}</p>`
    return html`<p class="state" data-testid="backup-state" data-version=${st.version ?? 0}>${st.version !== null
      ? `Key backup is on: version ${st.version}${st.backedUpAt ? `, updated ${new Date(st.backedUpAt).toLocaleString()}` : ''}.`
      : 'Key backup is on; waiting to upload.'}</p>`
  }

  override render() {
    const st = this.status
    return html`<section data-testid="recovery-section">
      <h3>Recovery key</h3>
      <p class="muted">To read your conversations’ history on a new or replacement device, Wardline needs the keys your
        devices hold. With a recovery key, an encrypted copy of them is kept on the server that only this key opens.
        It is not your PIN: your PIN unlocks this device only and can never open the backup.</p>
      ${this.shown ? this.#renderShown(this.shown) : html`
        ${st ? this.#renderState(st) : null}
        <button data-testid="create-recovery-key" ?disabled=${this.createAction.busy} @click=${() => void this.#create()}>
          ${this.createAction.busy ? 'Creating…' : st?.enabled ? 'Create a new recovery key' : 'Create recovery key'}</button>
        ${st?.enabled ? html`<p class="hint">A new key replaces the old one: the old key will no longer open your backup.</p>` : null}`}
      ${this.createAction.problem ? html`<p class="error" role="alert">${this.createAction.problem}</p>` : null}
      <h4>Restore history with recovery key</h4>
      <p class="muted">On a new device: enter the recovery key you stored to read your earlier messages here.</p>
      <wl-restore-history .client=${this.client} @wl-restored=${() => void this.#load()}></wl-restore-history>
    </section>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-recovery-key': WlRecoveryKey
  }
}
