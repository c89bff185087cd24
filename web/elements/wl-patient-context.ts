/**
 * The patient panel of one conversation (issue 9): who the conversation is about — name, MRN,
 * ward and bed — as every member last set it, and a form to change it (`setPatientContext`). The
 * worker signs it into the conversation's encrypted state, so all members see the change and who
 * made it, and the relay never does; it also feeds the composer's PHI detector.
 */
import { LitElement, css, html, type PropertyValues } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { ConversationSummary, PatientContext } from '../../workers/protocol.ts'
import { emitPlain } from '../events.ts'
import { PendingAction } from '../pending-action.ts'
import { baseStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'

/** Matches the worker's limit (workers/core/patient-context.ts MAX_PATIENT_FIELD). */
const MAX_FIELD = 120
const EMPTY: PatientContext = { name: '', mrn: '', ward: '', bed: '' }

@customElement('wl-patient-context')
export class WlPatientContext extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; overflow-y: auto; background: var(--wl-surface); padding: 1rem; }
      h3 { font-size: 1rem; }
      .row { display: grid; grid-template-columns: 1fr 1fr; gap: 0 0.75rem; }
      .actions { display: flex; flex-wrap: wrap; gap: 0.5rem; }
      .note { font-size: 0.875rem; color: var(--wl-muted); }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) summary: ConversationSummary | null = null
  @state() private value: PatientContext = EMPTY
  /** One id per opening of the form, so a repeated tap never writes twice. */
  #clientId = crypto.randomUUID()
  readonly action = new PendingAction(this)

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('summary') && (changed.get('summary') as ConversationSummary | null | undefined)?.conversationId !== this.summary?.conversationId) {
      this.value = { ...EMPTY, ...(this.summary?.patient ?? {}) }
    }
  }

  override render() {
    const field = (key: keyof PatientContext, label: string, hint = '') => html`<div class="field">
      <label for=${key}>${label}</label>
      <input id=${key} name=${key} data-testid=${`patient-${key}`} maxlength=${MAX_FIELD} autocomplete="off" spellcheck="false"
        dir="auto" .value=${this.value[key]} @input=${(e: InputEvent) => (this.value = { ...this.value, [key]: (e.target as HTMLInputElement).value })} />
      ${hint ? html`<div class="hint">${hint}</div>` : null}
    </div>`
    return html`
      <h3>Patient</h3>
      <p class="note">Every member of this conversation sees these details. They are encrypted on this device; the relay
        never sees them. Messages that mention the name or MRN are tagged as patient information.</p>
      <form @submit=${(e: Event) => (e.preventDefault(), void this.#save())}>
        ${field('name', 'Patient name')}
        ${field('mrn', 'MRN or hospital number')}
        <div class="row">${field('ward', 'Ward')}${field('bed', 'Bed')}</div>
        ${this.action.problem ? html`<p class="error" role="alert">${this.action.problem}</p>` : null}
        <div class="actions">
          <button class="primary" type="submit" data-testid="save-patient" ?disabled=${this.action.busy}>
            ${this.action.busy ? 'Saving…' : 'Save for everyone'}</button>
          <button type="button" class="quiet" @click=${() => emitPlain(this, 'wl-dismiss')}>Close</button>
        </div>
      </form>
    `
  }

  async #save(): Promise<void> {
    const { client, summary } = this
    if (!client || !summary) return
    const patient = { ...this.value }
    const clientId = this.#clientId
    const done = await this.action.run(async () => {
      await client.call('setPatientContext', { conversationId: summary.conversationId, patient, clientId })
    })
    if (done) {
      this.#clientId = crypto.randomUUID()
      emitPlain(this, 'wl-dismiss')
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-patient-context': WlPatientContext
  }
}
