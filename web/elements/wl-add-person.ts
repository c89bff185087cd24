/**
 * Admin: "Add person" creates a one-time enrollment code (`createEnrollmentCode`) and shows it
 * three ways (wl-enrollment-result: typed code, link, QR code of the link) plus the organisation
 * fingerprint, so the new person can check it in person after enrolling.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { Methods } from '../../workers/protocol.ts'
import { emit } from '../events.ts'
import { formText } from '../pin-fields.ts'
import { PendingAction } from '../pending-action.ts'
import { baseStyles, sideViewStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'
import './wl-organisation.ts'
import './wl-enrollment-result.ts'

type Created = Methods['createEnrollmentCode']['result'] & { displayName: string }
/** A role the organisation defines beyond admin, compliance and clinician (signed like any other). */
const MAX_ROLE_LENGTH = 32
const ROLE_NAME = /^[\p{L}\p{N}][\p{L}\p{N} -]{0,31}$/u

const DEFAULT_HOURS = 72

@customElement('wl-add-person')
export class WlAddPerson extends LitElement {
  static override styles = [
    baseStyles,
    sideViewStyles,
    css`
      :host { display: block; overflow-y: auto; background: var(--wl-surface); }
      .content { padding: 1rem; max-width: 48rem; }
      fieldset { border: 0; padding: 0; margin: 0 0 1rem; }
      legend { font-weight: 600; margin-bottom: 0.3rem; padding: 0; }
      .roles { display: flex; gap: 0.5rem; flex-wrap: wrap; }
      .roles label {
        display: flex; align-items: center; gap: 0.5rem; font-weight: 400; min-height: var(--wl-tap); margin: 0;
        padding: 0 1rem; border: 1px solid var(--wl-border); border-radius: var(--wl-radius); cursor: pointer;
      }
      .roles input[type='radio'] { width: 1.2rem; height: 1.2rem; min-height: 0; accent-color: var(--wl-primary); }
      .roles input.custom { width: 9rem; min-height: 2rem; padding: 0.2rem 0.5rem; }
      .hint { color: var(--wl-muted); font-size: 0.9rem; margin: 0.4rem 0 0; }
      input[type='number'] { max-width: 9rem; }
      hr { border: 0; border-top: 1px solid var(--wl-border); margin: 1.5rem 0; }
      @media (min-width: 900px) { .back { display: none; } }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) rootFingerprint: string | null = null
  @state() private created: Created | null = null
  readonly action = new PendingAction(this)

  override render() {
    return html`
      <div class="head">
        <button class="quiet back" data-testid="back" @click=${() => emit(this, 'wl-navigate', { view: 'list' })}>← Back</button>
        <h2>Add person</h2>
      </div>
      <div class="content">
        ${this.created ? this.#renderCreated(this.created) : this.#renderForm()}
        <hr />
        <wl-organisation embedded .rootFingerprint=${this.rootFingerprint}></wl-organisation>
      </div>
    `
  }

  #renderForm() {
    return html`<form @submit=${this.#submit} novalidate>
      <p class="muted">Create a one-time code for a colleague. They enter it (or open the link) on their own device.</p>
      <div class="field">
        <label for="name">Display name</label>
        <input id="name" name="displayName" autocomplete="off" required />
      </div>
      <fieldset>
        <legend>Role</legend>
        <div class="roles">
          <label><input type="radio" name="role" value="clinician" checked />Clinician</label>
          <label><input type="radio" name="role" value="admin" />Administrator</label>
          <label><input type="radio" name="role" value="compliance" />Compliance officer</label>
          <label><input type="radio" name="role" value="other" />Other:
            <input class="custom" name="customRole" aria-label="Other role" placeholder="e.g. pharmacist" maxlength=${MAX_ROLE_LENGTH}
              autocomplete="off" @focus=${(e: FocusEvent) => (((e.target as HTMLElement).closest('label')!.firstElementChild as HTMLInputElement).checked = true)} /></label>
        </div>
        <p class="hint">Administrators manage people, devices and policy; compliance officers read the audit log and
          set legal holds. Every other role messages like a clinician.</p>
      </fieldset>
      <div class="field">
        <label for="hours">Valid for (hours)</label>
        <input id="hours" name="validHours" type="number" inputmode="numeric" min="1" max="720" .value=${String(DEFAULT_HOURS)} />
      </div>
      ${this.action.problem ? html`<p class="error" role="alert">${this.action.problem}</p>` : null}
      <button class="primary" type="submit" ?disabled=${this.action.busy}>${this.action.busy ? 'Creating…' : 'Create enrollment code'}</button>
    </form>`
  }

  #renderCreated(c: Created) {
    return html`<wl-enrollment-result .result=${c} heading="Enrollment code for ${c.displayName}"></wl-enrollment-result>
      <button @click=${() => (this.created = null)}>Add another person</button>`
  }

  async #submit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const displayName = formText(form, 'displayName').trim()
    const picked = formText(form, 'role')
    const custom = formText(form, 'customRole').trim().toLowerCase().replace(/\s+/g, ' ')
    const role = picked === 'other' ? custom : picked === 'admin' || picked === 'compliance' ? picked : 'clinician'
    // Whole hours only; an empty field is what the browser reports for anything it cannot read as
    // a number ("abc"), so it is an error, never a silent default.
    const hoursText = formText(form, 'validHours').trim()
    const validHours = /^[0-9]+$/.test(hoursText) ? Number(hoursText) : NaN
    const client = this.client
    const problem = !displayName
      ? 'Enter the person’s name.'
      : picked === 'other' && !ROLE_NAME.test(role)
        ? `Name the other role: letters, digits, spaces or hyphens, at most ${MAX_ROLE_LENGTH} characters.`
      : !Number.isInteger(validHours) || validHours < 1 || validHours > 720
        ? 'Valid for: 1 to 720 hours.'
        : null
    this.action.fail(problem)
    if (problem || !client) return
    await this.action.run(async () => {
      const result = await client.call('createEnrollmentCode', { displayName, role, validHours })
      this.created = { ...result, displayName }
    })
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-add-person': WlAddPerson
  }
}
