/**
 * The PIN prompt of a locked device (`unlock`). Shows the user's name and nothing about
 * conversations; a wrong PIN shows "Wrong PIN" and nothing else.
 */
import { LitElement, html } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import type { StatusSnapshot } from '../../workers/protocol.ts'
import { describeError } from '../error-text.ts'
import { emit } from '../events.ts'
import { formText } from '../pin-fields.ts'
import { baseStyles, cardScreenStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'

@customElement('wl-unlock')
export class WlUnlock extends LitElement {
  static override styles = [baseStyles, cardScreenStyles]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) me: StatusSnapshot['me'] = null
  @state() private busy = false
  @state() private problem: string | null = null
  @query('#pin') private pinInput!: HTMLInputElement

  protected override firstUpdated(): void {
    this.pinInput.focus()
  }

  override render() {
    return html`<div class="card">
      <div class="brand"><img src="/icons/icon-192.png" alt="" />Wardline</div>
      <h1>Wardline is locked</h1>
      <p class="muted">${this.me ? `${this.me.displayName}: enter` : 'Enter'} your PIN or passphrase to continue.</p>
      <form @submit=${this.#submit} novalidate>
        <div class="field">
          <label for="pin">PIN or passphrase</label>
          <input id="pin" name="pin" type="password" autocomplete="current-password" required
            @input=${() => (this.problem = null)} />
        </div>
        ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : null}
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Unlocking…' : 'Unlock'}</button>
      </form>
    </div>`
  }

  async #submit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const pin = formText(e.target as HTMLFormElement, 'pin')
    if (!pin || !this.client || this.busy) return
    this.busy = true
    this.problem = null
    try {
      emit(this, 'wl-status', await this.client.call('unlock', { pin }))
    } catch (error) {
      this.problem = describeError(errorCode(error))
      this.pinInput.value = ''
      this.pinInput.focus()
    } finally {
      this.busy = false
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-unlock': WlUnlock
  }
}
