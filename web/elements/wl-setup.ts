/**
 * "Create your organisation": the first admin enters the relay's setup code, their name and a
 * PIN; the worker creates the organisation root on this device (`setupOrganisation`).
 */
import { LitElement, html } from 'lit'
import { customElement, property } from 'lit/decorators.js'
import { emit } from '../events.ts'
import { checkNewPin, formText, renderPinFields } from '../pin-fields.ts'
import { PendingAction } from '../pending-action.ts'
import { baseStyles, cardScreenStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'

@customElement('wl-setup')
export class WlSetup extends LitElement {
  static override styles = [baseStyles, cardScreenStyles]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property() setupCode = ''
  readonly action = new PendingAction(this)

  override render() {
    return html`<div class="card">
      <div class="brand"><img src="/icons/icon-192.png" alt="" />Wardline</div>
      <h1>Create your organisation</h1>
      <p class="muted">You will be its first administrator. The setup code was printed by the Wardline server when it started.</p>
      <form @submit=${this.#submit} novalidate>
        <div class="field">
          <label for="setup-code">Setup code</label>
          <input id="setup-code" name="setupCode" class="mono" autocomplete="off" autocapitalize="characters"
            spellcheck="false" required .value=${this.setupCode} />
        </div>
        <div class="field">
          <label for="name">Your name</label>
          <input id="name" name="displayName" autocomplete="name" required />
          <div class="hint">As colleagues will see it, e.g. "Dr Amara Okafor".</div>
        </div>
        ${renderPinFields(() => this.action.fail(null))}
        ${this.action.problem ? html`<p class="error" role="alert">${this.action.problem}</p>` : null}
        <button class="primary" type="submit" ?disabled=${this.action.busy}>
          ${this.action.busy ? 'Creating…' : 'Create organisation'}
        </button>
      </form>
    </div>`
  }

  async #submit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const setupCode = formText(form, 'setupCode').trim()
    const displayName = formText(form, 'displayName').trim()
    const pin = formText(form, 'pin')
    const client = this.client
    const problem = !setupCode
      ? 'Enter the setup code.'
      : !displayName
        ? 'Enter your name.'
        : checkNewPin(pin, formText(form, 'confirm'))
    this.action.fail(problem)
    if (problem || !client) return
    await this.action.run(async () => {
      emit(this, 'wl-status', await client.call('setupOrganisation', { setupCode, displayName, pin }))
    })
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-setup': WlSetup
  }
}
