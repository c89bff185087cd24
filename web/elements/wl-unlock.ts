/**
 * The PIN prompt of a locked device (`unlock`). Shows the user's name and nothing about
 * conversations; a wrong PIN shows "Wrong PIN" and nothing else.
 */
import { LitElement, html } from 'lit'
import { customElement, property, query } from 'lit/decorators.js'
import type { StatusSnapshot } from '../../workers/protocol.ts'
import { emit } from '../events.ts'
import { formText } from '../pin-fields.ts'
import { PendingAction } from '../pending-action.ts'
import { baseStyles, cardScreenStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'

@customElement('wl-unlock')
export class WlUnlock extends LitElement {
  static override styles = [baseStyles, cardScreenStyles]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) me: StatusSnapshot['me'] = null
  readonly action = new PendingAction(this)
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
            @input=${() => this.action.fail(null)} />
        </div>
        ${this.action.problem ? html`<p class="error" role="alert">${this.action.problem}</p>` : null}
        <button class="primary" type="submit" ?disabled=${this.action.busy}>${this.action.busy ? 'Unlocking…' : 'Unlock'}</button>
      </form>
    </div>`
  }

  async #submit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const pin = formText(e.target as HTMLFormElement, 'pin')
    const client = this.client
    if (!pin || !client) return
    const unlocked = await this.action.run(async () => {
      emit(this, 'wl-status', await client.call('unlock', { pin }))
    })
    if (!unlocked && this.action.problem) {
      this.pinInput.value = ''
      this.pinInput.focus()
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-unlock': WlUnlock
  }
}
