/**
 * Admin: "Add person" creates a one-time enrollment code (`createEnrollmentCode`) and shows it
 * three ways — typed code, link, QR code of the link — plus the organisation fingerprint, so
 * the new person can check it in person after enrolling.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { Methods } from '../../workers/protocol.ts'
import { emit } from '../events.ts'
import { groupCode } from '../group-code.ts'
import { formText } from '../pin-fields.ts'
import { PendingAction } from '../pending-action.ts'
import { baseStyles, sideViewStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'
import './wl-organisation.ts'
import './wl-qr-code.ts'

type Created = Methods['createEnrollmentCode']['result'] & { displayName: string }
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
      .roles input { width: 1.2rem; height: 1.2rem; min-height: 0; accent-color: var(--wl-primary); }
      input[type='number'] { max-width: 9rem; }
      .code {
        font-family: var(--wl-mono); font-size: 1.5rem; font-weight: 700; letter-spacing: 0.05em;
        display: flex; flex-wrap: wrap; gap: 0.3rem 0.8rem; padding: 1rem; border-radius: var(--wl-radius);
        background: var(--wl-bg); border: 1px solid var(--wl-border); margin-bottom: 1rem;
      }
      .result { display: grid; gap: 1rem; grid-template-columns: 1fr; align-items: start; }
      wl-qr-code { width: min(100%, 16rem); aspect-ratio: 1; border: 1px solid var(--wl-border); border-radius: 8px; padding: 0.25rem; }
      .link { font-family: var(--wl-mono); font-size: 0.85rem; overflow-wrap: anywhere; padding: 0.5rem 0.75rem; background: var(--wl-bg); border-radius: var(--wl-radius); user-select: all; }
      .row { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: center; margin: 0.5rem 0 1rem; }
      .copied { color: var(--wl-ok); font-weight: 600; }
      hr { border: 0; border-top: 1px solid var(--wl-border); margin: 1.5rem 0; }
      @media (min-width: 700px) { .result { grid-template-columns: 1fr auto; } }
      @media (min-width: 900px) { .back { display: none; } }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) rootFingerprint: string | null = null
  @state() private created: Created | null = null
  readonly action = new PendingAction(this)
  @state() private copied = false

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
        </div>
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
    return html`<section data-testid="enrollment-result">
      <h3>Enrollment code for ${c.displayName}</h3>
      <p class="muted">Valid until ${new Date(c.expiresAt).toLocaleString()}. It works once.</p>
      <div class="result">
        <div>
          <div class="code" data-testid="enrollment-code" aria-label="Enrollment code">
            ${groupCode(c.code).map((g) => html`<span>${g}</span>`)}
          </div>
          <div class="link" data-testid="enrollment-link">${c.link}</div>
          <div class="row">
            <button class="primary" data-testid="copy-link" @click=${() => void this.#copy(c.link)}>Copy link</button>
            ${this.copied ? html`<span class="copied" role="status">Copied</span>` : null}
          </div>
        </div>
        <wl-qr-code data-testid="enrollment-qr" .value=${c.link} label="QR code of the enrollment link"></wl-qr-code>
      </div>
      <button @click=${() => ((this.created = null), (this.copied = false))}>Add another person</button>
    </section>`
  }

  async #submit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const displayName = formText(form, 'displayName').trim()
    const role = formText(form, 'role') === 'admin' ? 'admin' : 'clinician'
    // Whole hours only; an empty field is what the browser reports for anything it cannot read as
    // a number ("abc"), so it is an error, never a silent default.
    const hoursText = formText(form, 'validHours').trim()
    const validHours = /^[0-9]+$/.test(hoursText) ? Number(hoursText) : NaN
    const client = this.client
    const problem = !displayName
      ? 'Enter the person’s name.'
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

  async #copy(link: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(link)
      this.copied = true
    } catch {
      // Clipboard blocked (no permission, not focused): the link text is selectable instead.
      this.copied = false
      const el = this.renderRoot.querySelector('.link')
      if (el) getSelection()?.selectAllChildren(el)
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-add-person': WlAddPerson
  }
}
