/**
 * "Restore history with recovery key": a typed recovery key goes to the worker
 * (`restoreFromRecoveryKey`), which opens the user's encrypted key backup; the report says how
 * many conversations and messages opened and lists plainly, per conversation, what stays closed
 * and why. Used in settings (wl-recovery-key) and on a new device (wl-restore-offer).
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { RestoreReport } from '../../workers/protocol.ts'
import { PendingAction } from '../pending-action.ts'
import { formText } from '../pin-fields.ts'
import { baseStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

@customElement('wl-restore-history')
export class WlRestoreHistory extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      form { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: flex-end; margin-bottom: 0.75rem; }
      .field { flex: 1 1 16rem; margin: 0; }
      input { text-transform: uppercase; }
      .report { border: 1px solid var(--wl-border); border-radius: var(--wl-radius); padding: 0.75rem 1rem; background: var(--wl-bg); }
      .report ul { margin: 0.25rem 0 0; padding-left: 1.2rem; }
      .ok { color: var(--wl-ok); font-weight: 700; }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  /** The offer on a new device: once history is restored, only the report stays. */
  @property({ type: Boolean }) hideFormAfterRestore = false
  @state() private report: RestoreReport | null = null
  readonly action = new PendingAction(this)

  override render() {
    return html`
      <form @submit=${this.#submit} novalidate ?hidden=${this.hideFormAfterRestore && this.report !== null}>
        <div class="field">
          <label for="recovery-key">Recovery key</label>
          <input id="recovery-key" name="recovery-key" class="mono" data-testid="recovery-key-input" autocomplete="off"
            autocapitalize="characters" spellcheck="false" placeholder="WLRK-XXXX-XXXX-…" @input=${() => this.action.fail(null)} />
        </div>
        <button class="primary" type="submit" data-testid="restore-history" ?disabled=${this.action.busy}>
          ${this.action.busy ? 'Restoring…' : 'Restore history'}</button>
      </form>
      ${this.action.problem ? html`<p class="error" role="alert" data-testid="restore-error">${this.action.problem}</p>` : null}
      ${this.report ? this.#renderReport(this.report) : null}
    `
  }

  #renderReport(r: RestoreReport) {
    const opened = r.conversations > 0
      ? `Opened ${plural(r.messages, 'earlier message')} in ${plural(r.conversations, 'conversation')}.`
      : 'Your backup holds no key this device was missing.'
    return html`<div class="report" role="status" data-testid="restore-report">
      <p class="ok">${opened}</p>
      ${r.waiting > 0
        ? html`<p>${plural(r.waiting, 'conversation')} from your backup ${r.waiting === 1 ? 'is' : 'are'} not on this device yet.
            ${r.waiting === 1 ? 'It opens' : 'They open'} as soon as a member adds this device.</p>`
        : null}
      ${r.unavailable.length > 0
        ? html`<p>Still not readable on this device:</p>
            <ul data-testid="restore-unavailable">
              ${r.unavailable.map((u) => html`<li>${u.title || 'A conversation'}: ${plural(u.messages, 'message')}
                — none of your devices had the key for ${u.epochs.length === 1 ? 'that period' : 'those periods'} when the backup was
                last updated (for example, sent while you were not a member).</li>`)}
            </ul>`
        : null}
    </div>`
  }

  async #submit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const recoveryKey = formText(form, 'recovery-key').trim()
    const client = this.client
    this.action.fail(recoveryKey ? null : 'Enter your recovery key (it starts with WLRK; it is not your PIN).')
    if (!recoveryKey || !client) return
    await this.action.run(async () => {
      this.report = await client.call('restoreFromRecoveryKey', { recoveryKey })
      form.reset()
      this.dispatchEvent(new Event('wl-restored', { bubbles: true, composed: true }))
    })
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-restore-history': WlRestoreHistory
  }
  interface HTMLElementEventMap {
    /** History was restored from the key backup (the offer can close, status can refresh). */
    'wl-restored': Event
  }
}
