/**
 * "Enroll this device": a new person (or a new device of theirs) enters the one-time enrollment
 * code an admin gave them and chooses a PIN (`enroll`). Failures are explained by code.
 */
import { LitElement, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import { describeError } from '../error-text.ts'
import { emit } from '../events.ts'
import { checkNewPin, formText, renderPinFields } from '../pin-fields.ts'
import { baseStyles, cardScreenStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'

@customElement('wl-enroll')
export class WlEnroll extends LitElement {
  static override styles = [baseStyles, cardScreenStyles]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property() code = ''
  @state() private busy = false
  @state() private problem: string | null = null

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
        ${renderPinFields(() => (this.problem = null))}
        ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : null}
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Enrolling…' : 'Enroll'}</button>
      </form>
    </div>`
  }

  async #submit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const code = formText(form, 'code').trim()
    const pin = formText(form, 'pin')
    this.problem = code ? checkNewPin(pin, formText(form, 'confirm')) : 'Enter the enrollment code.'
    if (this.problem || !this.client || this.busy) return
    this.busy = true
    try {
      emit(this, 'wl-status', await this.client.call('enroll', { code, pin }))
    } catch (error) {
      this.problem = describeError(errorCode(error))
    } finally {
      this.busy = false
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-enroll': WlEnroll
  }
}
