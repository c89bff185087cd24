/**
 * "Enroll this device": a new person (or a new device of theirs) enters the one-time enrollment
 * code an admin gave them and chooses a PIN (`enroll`). Failures are explained by code.
 */
import { LitElement, html } from 'lit'
import { customElement, property } from 'lit/decorators.js'
import { emit, emitPlain } from '../events.ts'
import { checkNewPin, formText, renderPinFields } from '../pin-fields.ts'
import { PendingAction } from '../pending-action.ts'
import { baseStyles, cardScreenStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'

@customElement('wl-enroll')
export class WlEnroll extends LitElement {
  static override styles = [baseStyles, cardScreenStyles]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property() code = ''
  /** Shared-device mode: others are enrolled here, so this can go back to the picker. */
  @property({ attribute: false }) cancellable = false
  readonly action = new PendingAction(this)

  override render() {
    return html`<div class="card">
      <div class="brand"><img src="/icons/icon-192.png" alt="" />Wardline</div>
      <h1>Enroll this device</h1>
      <p class="muted">Enter the enrollment code your administrator gave you, or open the link they sent.</p>
      <form @submit=${this.#submit} novalidate>
        <div class="field">
          <label for="code">Enrollment code</label>
          <input id="code" name="code" class="mono" autocomplete="off" autocapitalize="characters" spellcheck="false"
            required .value=${this.code} />
        </div>
        <div class="field">
          <label for="label">Name on this device’s lock screen (optional)</label>
          <input id="label" name="label" autocomplete="off" maxlength="24" aria-describedby="label-hint" />
          <div class="hint" id="label-hint">Initials are enough. If others use this device too, Wardline shows it so you can pick yourself. It is kept unencrypted on this device.</div>
        </div>
        ${renderPinFields(() => this.action.fail(null))}
        ${this.action.problem ? html`<p class="error" role="alert">${this.action.problem}</p>` : null}
        <button class="primary" type="submit" ?disabled=${this.action.busy}>${this.action.busy ? 'Enrolling…' : 'Enroll'}</button>
        ${this.cancellable
          ? html`<button type="button" class="quiet" data-testid="cancel-enroll" @click=${() => emitPlain(this, 'wl-switch-user')}>Back to the people on this device</button>`
          : null}
      </form>
    </div>`
  }

  async #submit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const code = formText(form, 'code').trim()
    const pin = formText(form, 'pin')
    const client = this.client
    const problem = code ? checkNewPin(pin, formText(form, 'confirm')) : 'Enter the enrollment code.'
    this.action.fail(problem)
    if (problem || !client) return
    this.dispatchEvent(new CustomEvent('wl-profile-label', { detail: formText(form, 'label').trim(), bubbles: true, composed: true }))
    await this.action.run(async () => {
      emit(this, 'wl-status', await client.call('enroll', { code, pin }))
    })
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-enroll': WlEnroll
  }
}
