/**
 * Root element of an active tab: asks the worker for its status and shows the screen for the
 * phase (setup, enrollment, unlock, app shell), plus alert banners; it reports the phase to
 * release-updates.ts so an update waits for a safe moment (the banner is wl-release-banner). Holds no
 * conversation data itself; when locked, nothing about conversations is rendered.
 */
import { LitElement, css, html, type PropertyValues } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { StatusSnapshot } from '../../workers/protocol.ts'
import { describeAlert, describeError } from '../error-text.ts'
import type { HashCodes } from '../hash-codes.ts'
import { reportAppPhase } from '../release-updates.ts'
import { baseStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import { WorkerEventsController } from '../worker-events.ts'
import './wl-alert-banner.ts'
import './wl-enroll.ts'
import './wl-setup.ts'
import './wl-shell.ts'
import './wl-unlock.ts'

type Alert = { key: number; code: string; message: string }

@customElement('wl-app')
export class WlApp extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: flex; flex-direction: column; height: 100%; }
      .banners { flex: none; }
      .screen { flex: 1; min-height: 0; }
      .screen > * { height: 100%; }
      .loading { display: flex; align-items: center; justify-content: center; height: 100%; color: var(--wl-muted); }
      .failed { max-width: 28rem; margin: 10vh auto; padding: 1rem; }
      .screen > .wiped, .screen > .notice { height: auto; max-width: 28rem; margin: 1rem auto 0; padding: 0.75rem 1rem; }
      .screen > .notice { background: var(--wl-primary-soft); border-radius: 8px; }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) codes: HashCodes = {}
  /** Why the app restarted (decision 0012): an erased device or a lock by lease or session limit. */
  @property({ attribute: false }) notice: string | null = null
  /** Shared-device mode (web/profiles.ts): this person's lock-screen label, and how many others are enrolled here. */
  @property({ attribute: false }) profileLabel = ''
  @property({ attribute: false }) otherProfiles = 0

  @state() private status: StatusSnapshot | null = null
  @state() private startError: string | null = null
  @state() private alerts: Alert[] = []
  @state() private wiped = false
  /** Setup is running or its one-time compliance shares are on screen (wl-setup). */
  @state() private settingUp = false
  #alertKey = 0

  constructor() {
    super()
    new WorkerEventsController(this, (client) => [
      client.on('status', (s) => (this.status = s)),
      client.on('alert', (a) => this.#addAlert(a.code, a.message)),
    ])
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    reportAppPhase(null)
  }

  protected override updated(): void {
    reportAppPhase(this.settingUp ? 'needs-setup' : (this.status?.phase ?? null))
  }

  protected override firstUpdated(_changed: PropertyValues): void {
    void this.#loadStatus()
  }

  async #loadStatus(): Promise<void> {
    if (!this.client) return
    this.startError = null
    try {
      this.status = await this.client.call('status', {})
    } catch (error) {
      this.startError = describeError(errorCode(error))
    }
  }

  #addAlert(code: string, message: string): void {
    // Alerts carry a code and a human message from the worker; never plaintext content.
    this.alerts = [...this.alerts, { key: ++this.#alertKey, code, message }]
  }

  override render() {
    return html`
      <div class="banners">
        ${this.alerts.map(
          (a) => html`<wl-alert-banner
            tone="warn"
            data-code=${a.code}
            @wl-dismiss=${() => (this.alerts = this.alerts.filter((x) => x.key !== a.key))}
            >${describeAlert(a.code, a.message)}</wl-alert-banner>`,
        )}
      </div>
      <div class="screen" @wl-status=${(e: CustomEvent<StatusSnapshot>) => (this.status = e.detail)}
        @wl-setup-pending=${(e: CustomEvent<boolean>) => (this.settingUp = e.detail)}
        @wl-wiped=${() => {
          this.wiped = true
          void this.#loadStatus()
        }}>
        ${this.#renderPhase()}
      </div>
    `
  }

  #renderPhase() {
    if (this.startError) {
      return html`<div class="failed">
        <p class="error" role="alert">${this.startError}</p>
        <button class="primary" @click=${() => void this.#loadStatus()}>Try again</button>
      </div>`
    }
    const s = this.status
    if (!s) return html`<div class="loading" aria-busy="true">Starting Wardline…</div>`
    // The worker reports "ready" as soon as setup is done; the shares screen stays until dismissed.
    switch (this.settingUp ? 'needs-setup' : s.phase) {
      case 'needs-setup':
        return html`<wl-setup .client=${this.client} .setupCode=${this.codes.setup ?? ''}></wl-setup>`
      case 'needs-enrollment':
        return html`${this.wiped || this.notice
          ? html`<p class="error wiped" role="alert" data-testid="wiped-notice">${describeError(this.wiped ? 'local/wiped' : this.notice!)}</p>`
          : null}${this.codes.setup && !this.codes.enroll
          ? html`<p class="notice" role="status" data-testid="setup-already-done">This organisation is already set up, so its setup
              link no longer works. To use Wardline on this device, ask your administrator for an enrollment code.</p>`
          : null}<wl-enroll .client=${this.client} .code=${this.codes.enroll ?? ''} .cancellable=${this.otherProfiles > 0}></wl-enroll>`
      case 'locked':
        return html`<wl-unlock .client=${this.client} .me=${s.me} .attemptsLeft=${s.pinAttemptsLeft} .waitMs=${s.pinWaitMs ?? 0}
          .prfCredentialId=${s.prfCredentialId} .lease=${s.lease ?? null} .notice=${this.notice}
          .label=${this.profileLabel} .canSwitch=${this.otherProfiles > 0}></wl-unlock>`
      case 'ready':
        return html`<wl-shell .client=${this.client} .status=${s} .profileLabel=${this.profileLabel}></wl-shell>`
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-app': WlApp
  }
}
