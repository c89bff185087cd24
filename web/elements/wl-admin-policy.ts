/**
 * Admin console — organisation policy (issue 7): the device policy this device holds (idle lock,
 * session limit, PIN strength and attempts, offline lease) as a form; "Save policy" asks for the
 * PIN again, then the worker signs the next version with the root key and uploads it
 * (crypto/policy.ts, relay/ws/policy.ts). Allowed networks and retention are shown as
 * placeholders: the policy format does not carry them yet, so nothing typed there is sent.
 * The bounds repeat crypto/policy.ts POLICY_BOUNDS (web/ may not import crypto/); the worker
 * refuses anything outside them with `admin/bad-policy`.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import type { PolicySettings } from '../../workers/protocol.ts'
import { describeError } from '../error-text.ts'
import { formText } from '../pin-fields.ts'
import { adminStyles, baseStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import type { WlReauth } from './wl-reauth.ts'
import './wl-reauth.ts'

type NumberField = Exclude<keyof PolicySettings, 'pinKind' | 'allowFileExport'>
const FIELDS: { name: NumberField; label: string; unit: string; min: number; max: number }[] = [
  { name: 'idleLockMinutes', label: 'Idle lock', unit: 'minutes', min: 1, max: 480 },
  { name: 'maxSessionHours', label: 'Maximum session', unit: 'hours', min: 1, max: 168 },
  { name: 'minPinLength', label: 'Shortest PIN or passphrase', unit: 'characters', min: 4, max: 64 },
  { name: 'maxPinAttempts', label: 'Wrong PINs before the device erases itself', unit: 'attempts', min: 3, max: 100 },
  { name: 'leaseHours', label: 'Offline lease', unit: 'hours', min: 1, max: 720 },
  { name: 'leaseWipeDays', label: 'Erase after the lease ran out', unit: 'days', min: 1, max: 90 },
]

@customElement('wl-admin-policy')
export class WlAdminPolicy extends LitElement {
  static override styles = [
    baseStyles,
    adminStyles,
    css`
      :host { display: block; }
      form { background: var(--wl-surface); border: 1px solid var(--wl-border); border-radius: 12px; padding: 1rem; }
      .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: 0 1rem; align-items: end; }
      .with-unit { display: flex; align-items: center; gap: 0.5rem; }
      .with-unit input { max-width: 8rem; }
      .with-unit span { color: var(--wl-muted); }
      fieldset { border: 1px dashed var(--wl-border); border-radius: 10px; margin: 0.5rem 0 1rem; padding: 0.75rem 1rem 0; }
      legend { font-weight: 600; padding: 0 0.35rem; }
      textarea { min-height: 5rem; font-family: var(--wl-mono); font-size: 0.9rem; }
      .saved { color: var(--wl-ok); font-weight: 600; }
      .check label { display: flex; align-items: center; gap: 0.5rem; font-weight: 600; }
      .check input { width: 1.25rem; height: 1.25rem; min-height: 0; flex: none; }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @state() private policy: (PolicySettings & { version: number }) | null = null
  @state() private problem: string | null = null
  @state() private saved = false
  @query('wl-reauth') private reauth!: WlReauth
  @query('form') private form!: HTMLFormElement

  override connectedCallback(): void {
    super.connectedCallback()
    void this.#load()
  }

  async #load(): Promise<void> {
    try {
      if (this.client) this.policy = await this.client.call('getPolicy', {})
    } catch (error) {
      this.problem = describeError(errorCode(error))
    }
  }

  /** The form's values, or a problem to show before anything is signed. */
  #read(): Partial<PolicySettings> | string {
    const out: Partial<PolicySettings> = {}
    for (const f of FIELDS) {
      const t = formText(this.form, f.name).trim()
      const n = /^[0-9]+$/.test(t) ? Number(t) : NaN
      if (!Number.isInteger(n) || n < f.min || n > f.max) return `${f.label}: ${f.min} to ${f.max} ${f.unit}.`
      out[f.name] = n
    }
    const kind = formText(this.form, 'pinKind')
    out.pinKind = kind === 'digits' || kind === 'mixed' ? kind : 'any'
    out.allowFileExport = (this.form.elements.namedItem('allowFileExport') as HTMLInputElement | null)?.checked ?? false
    return out
  }

  async #submit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const client = this.client
    const settings = this.#read()
    this.saved = false
    this.problem = typeof settings === 'string' ? settings : null
    if (!client || typeof settings === 'string') return
    const done = await this.reauth.ask({
      title: 'Sign the new policy?',
      text: 'Every device of the organisation applies it at its next contact with the server.',
      confirmLabel: 'Sign and publish',
      run: async (pin) => void (await client.call('setPolicy', { ...settings, pin })),
    })
    if (done) {
      this.saved = true
      await this.#load()
    }
  }

  override render() {
    const p = this.policy
    if (!p) return html`${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : html`<p class="empty">Loading policy…</p>`}`
    return html`
      <form @submit=${(e: SubmitEvent) => void this.#submit(e)} novalidate data-testid="policy-form">
        <p class="muted" data-testid="policy-version">${p.version > 0
          ? `Version ${p.version}, signed with the organisation’s key on an admin device; the server cannot change it.`
          : 'The default policy applies: no version has been signed yet. Saving signs version 1 on this device.'}</p>
        <div class="grid">
          ${FIELDS.map((f) => html`<div class="field">
            <label for=${f.name}>${f.label}</label>
            <div class="with-unit">
              <input id=${f.name} name=${f.name} type="number" inputmode="numeric" min=${f.min} max=${f.max} .value=${String(p[f.name] ?? '')} />
              <span>${f.unit}</span>
            </div>
          </div>`)}
          <div class="field">
            <label for="pinKind">PIN strength</label>
            <select id="pinKind" name="pinKind" .value=${p.pinKind}>
              <option value="any" ?selected=${p.pinKind === 'any'}>Any characters</option>
              <option value="digits" ?selected=${p.pinKind === 'digits'}>Digits only</option>
              <option value="mixed" ?selected=${p.pinKind === 'mixed'}>Letters and digits</option>
            </select>
          </div>
        </div>
        <div class="field check">
          <label><input type="checkbox" name="allowFileExport" data-testid="policy-allow-file-export" ?checked=${p.allowFileExport === true} />
            Let people save or share files out of Wardline</label>
          <p class="hint">Off: photos and documents open only inside Wardline and never reach the phone’s gallery or downloads.</p>
        </div>
        <fieldset>
          <legend>Set elsewhere, or not yet</legend>
          <div class="field">
            <label for="networks">Allowed networks</label>
            <textarea id="networks" disabled placeholder="10.20.0.0/16&#10;192.168.40.0/24"></textarea>
            <p class="hint">Which networks each role may connect from is the server’s setting (WARDLINE_NETWORKS), not part of this signed policy.</p>
          </div>
          <div class="field">
            <label for="retention">Message retention</label>
            <input id="retention" disabled placeholder="Keep messages for … days" />
            <p class="hint">Retention is planned; conversations under legal hold are already never pruned.</p>
          </div>
        </fieldset>
        ${this.problem ? html`<p class="error" role="alert" data-testid="policy-error">${this.problem}</p>` : null}
        ${this.saved ? html`<p class="saved" role="status" data-testid="policy-saved">Policy version ${p.version} signed and published.</p>` : null}
        <button class="primary" type="submit" data-testid="save-policy">Save policy</button>
      </form>
      <wl-reauth></wl-reauth>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-admin-policy': WlAdminPolicy
  }
}
