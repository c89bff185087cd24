/**
 * "Create your organisation": the first admin enters the relay's setup code, their name, the
 * compliance officers and how many of them must agree, the admins who keep shares of the
 * organisation key (decision 0016) and how many restore it, and a PIN; the worker creates the
 * organisation root and the compliance key on this device (`setupOrganisation`). Both sets of
 * shares are then shown once, here, until the admin confirms they were handed out: wl-app keeps
 * this screen while `wl-setup-pending` is true, whatever status the worker reports meanwhile.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { ComplianceShareView, RootShareView, StatusSnapshot } from '../../workers/protocol.ts'
import { emit } from '../events.ts'
import { checkNewPin, formText, renderPinFields } from '../pin-fields.ts'
import { PendingAction } from '../pending-action.ts'
import { baseStyles, cardScreenStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'

@customElement('wl-setup')
export class WlSetup extends LitElement {
  static override styles = [
    baseStyles,
    cardScreenStyles,
    css`
      .share { margin: 0 0 1.25rem; }
      .share pre {
        font-family: var(--wl-mono); font-size: 1.2rem; line-height: 1.6; white-space: pre-wrap; word-break: break-all;
        padding: 0.75rem 1rem; margin: 0.35rem 0 0; background: var(--wl-bg); border: 1px solid var(--wl-border);
        border-radius: var(--wl-radius); user-select: all;
      }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property() setupCode = ''
  readonly action = new PendingAction(this)
  @state() private officerCount = 0
  /** Set once the admin types a threshold; until then it follows the number of officers. */
  @state() private threshold: number | null = null
  @state() private shares: ComplianceShareView[] | null = null
  @state() private rootShares: RootShareView[] = []
  @state() private holderCount = 0
  /** Like `threshold`, for the organisation key: follows the number of holders until typed. */
  @state() private rootThreshold: number | null = null
  #status: (StatusSnapshot & { rootThreshold?: number }) | null = null

  override render() {
    if (this.shares) return this.#renderShares(this.shares)
    const threshold = this.threshold ?? (this.officerCount >= 2 ? 2 : 1)
    const rootThreshold = this.rootThreshold ?? (this.holderCount >= 2 ? 2 : 1)
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
        <div class="field">
          <label for="compliance-officers">Compliance officers</label>
          <textarea id="compliance-officers" name="complianceOfficers" rows="3" autocomplete="off"
            @input=${(e: Event) => (this.officerCount = officerNames((e.target as HTMLTextAreaElement).value).length)}></textarea>
          <div class="hint">One name per line. Each officer receives one share of the organisation’s compliance key.</div>
        </div>
        <div class="field">
          <label for="compliance-threshold">Shares needed to open a record</label>
          <input id="compliance-threshold" name="complianceThreshold" type="number" inputmode="numeric" min="1"
            max=${Math.max(this.officerCount, 1)} .value=${String(threshold)}
            @input=${(e: Event) => (this.threshold = Number((e.target as HTMLInputElement).value))} />
          <div class="hint">How many officers must bring their shares together for a lawful access to a conversation.</div>
        </div>
        <div class="field">
          <label for="root-holders">Organisation key holders</label>
          <textarea id="root-holders" name="rootHolders" rows="3" autocomplete="off"
            @input=${(e: Event) => (this.holderCount = officerNames((e.target as HTMLTextAreaElement).value).length)}></textarea>
          <div class="hint">Administrators, one name per line (e.g. three, you included). Each keeps one share of the organisation key,
            so a new admin device can take it over if this one is lost.</div>
        </div>
        <div class="field">
          <label for="root-threshold">Shares needed to restore the organisation key</label>
          <input id="root-threshold" name="rootThreshold" type="number" inputmode="numeric" min="1"
            max=${Math.max(this.holderCount, 1)} .value=${String(rootThreshold)}
            @input=${(e: Event) => (this.rootThreshold = Number((e.target as HTMLInputElement).value))} />
          <div class="hint">Fewer holders than this learn nothing about the key.</div>
        </div>
        ${renderPinFields(() => this.action.fail(null))}
        ${this.action.problem ? html`<p class="error" role="alert">${this.action.problem}</p>` : null}
        <button class="primary" type="submit" ?disabled=${this.action.busy}>
          ${this.action.busy ? 'Creating…' : 'Create organisation'}
        </button>
      </form>
    </div>`
  }

  #renderShares(shares: ComplianceShareView[]) {
    return html`<div class="card">
      <h1>Compliance key shares</h1>
      <p role="alert"><strong>Print or copy each share now — they are shown only once. Wardline keeps no copy.</strong></p>
      <p class="muted">Give each officer only their own share. Any ${this.#status?.compliance?.threshold ?? ''} of them
        together can open the organisation’s records for a lawful request; fewer learn nothing.</p>
      ${shares.map((s) => html`<div class="share">
        <strong>${s.officer}</strong>
        <pre data-testid="compliance-share">${s.share}</pre>
      </div>`)}
      ${this.rootShares.length ? html`<h2>Organisation key shares</h2>
        <p class="muted">Give each administrator only their own share. Any ${this.#status?.rootThreshold ?? ''} of them together can
          restore the organisation key on a new admin device (Organisation → Restore organisation key).</p>
        ${this.rootShares.map((s) => html`<div class="share">
          <strong>${s.holder}</strong>
          <pre data-testid="root-share">${s.share}</pre>
        </div>`)}` : null}
      <button class="primary" type="button" @click=${() => void this.#handedOut()}>I have handed out the shares</button>
    </div>`
  }

  async #handedOut(): Promise<void> {
    // The snapshot from setup is stale by now (the connection came up meanwhile): ask again.
    const status = await this.client?.call('status', {}).catch(() => null) ?? this.#status
    this.shares = null // the only copies the page held
    this.rootShares = []
    this.#status = null
    this.#pending(false)
    if (status) emit(this, 'wl-status', status)
  }

  /** Tells wl-app to keep this screen while setup runs and its shares are on screen. */
  #pending(pending: boolean): void {
    this.dispatchEvent(new CustomEvent('wl-setup-pending', { detail: pending, bubbles: true, composed: true }))
  }

  async #submit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const setupCode = formText(form, 'setupCode').trim()
    const displayName = formText(form, 'displayName').trim()
    const complianceOfficers = officerNames(formText(form, 'complianceOfficers'))
    const complianceThreshold = Number(formText(form, 'complianceThreshold'))
    const rootHolders = officerNames(formText(form, 'rootHolders'))
    const rootThreshold = Number(formText(form, 'rootThreshold'))
    const pin = formText(form, 'pin')
    const client = this.client
    const problem = !setupCode
      ? 'Enter the setup code.'
      : !displayName
        ? 'Enter your name.'
        : checkOfficers(complianceOfficers, complianceThreshold) ?? checkHolders(rootHolders, rootThreshold) ??
          checkNewPin(pin, formText(form, 'confirm'))
    this.action.fail(problem)
    if (problem || !client) return
    this.#pending(true)
    const done = await this.action.run(async () => {
      const { complianceShares, rootShares, ...status } = await client.call('setupOrganisation', {
        setupCode, displayName, pin, complianceOfficers, complianceThreshold, rootHolders, rootThreshold,
      })
      this.#status = { ...status, rootThreshold }
      this.rootShares = rootShares
      this.shares = complianceShares
    })
    if (!done) this.#pending(false)
  }
}

const MAX_OFFICERS = 16

function officerNames(text: string): string[] {
  return text.split('\n').map((n) => n.trim()).filter((n) => n !== '')
}

function checkOfficers(officers: string[], threshold: number): string | null {
  if (officers.length === 0) return 'Name at least one compliance officer, one per line.'
  if (officers.length > MAX_OFFICERS) return `Name at most ${MAX_OFFICERS} compliance officers.`
  if (new Set(officers).size !== officers.length) return 'Each compliance officer must have a different name.'
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > officers.length) {
    return `The shares needed must be a whole number from 1 to ${officers.length}.`
  }
  return null
}

function checkHolders(holders: string[], threshold: number): string | null {
  if (holders.length === 0) return 'Name at least one administrator to keep a share of the organisation key, one per line.'
  if (holders.length > MAX_OFFICERS) return `Name at most ${MAX_OFFICERS} organisation key holders.`
  if (new Set(holders).size !== holders.length) return 'Each organisation key holder must have a different name.'
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > holders.length) {
    return `The shares needed to restore the organisation key must be a whole number from 1 to ${holders.length}.`
  }
  return null
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-setup': WlSetup
  }
  interface HTMLElementEventMap {
    /** True while setup runs or its compliance shares are on screen: keep the setup screen. */
    'wl-setup-pending': CustomEvent<boolean>
  }
}
