/**
 * The PIN prompt of a locked device (`unlock`). Shows the user's name and nothing about
 * conversations; a wrong PIN shows "Wrong PIN", and the attempts left once fewer than 4 remain
 * before the device wipes itself. Offers "Unlock with screen lock" when a WebAuthn PRF wrapping
 * exists (`unlockWithPrf`); the PIN always works too.
 */
import { LitElement, html } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import type { StatusSnapshot } from '../../workers/protocol.ts'
import { emit, emitPlain } from '../events.ts'
import { formText } from '../pin-fields.ts'
import { PendingAction } from '../pending-action.ts'
import { getPrfOutput } from '../prf-unlock.ts'
import { baseStyles, cardScreenStyles } from '../styles.ts'
import { errorCode, WorkerCallError, type WorkerClient } from '../worker-client.ts'

/** Attempts left below which the unlock screen says how many remain. */
export const WARN_ATTEMPTS_BELOW = 4

@customElement('wl-unlock')
export class WlUnlock extends LitElement {
  static override styles = [baseStyles, cardScreenStyles]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) me: StatusSnapshot['me'] = null
  @property({ attribute: false }) attemptsLeft = Infinity
  /** After wrong PINs the next attempt waits this long (from the worker's status): counted down here. */
  @property({ attribute: false }) waitMs = 0
  @state() private waitUntil = 0
  @state() private now = Date.now()
  #tick: ReturnType<typeof setInterval> | undefined
  @property({ attribute: false }) prfCredentialId: string | null = null
  /** The offline lease (decision 0012): past it, unlocking needs the relay to renew it. */
  @property({ attribute: false }) lease: StatusSnapshot['lease'] | null = null
  /** Why the app locked itself, if it did (lease, session limit). */
  @property({ attribute: false }) notice: string | null = null
  /** Shared-device mode: the label this person typed at enrollment, and whether others are enrolled here. */
  @property({ attribute: false }) label = ''
  @property({ attribute: false }) canSwitch = false
  readonly action = new PendingAction(this)
  @query('#pin') private pinInput!: HTMLInputElement

  protected override firstUpdated(): void {
    this.pinInput.focus()
  }

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('waitMs') && this.waitMs > 0) this.#startWait(this.waitMs)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    clearInterval(this.#tick)
  }

  #startWait(ms: number): void {
    this.waitUntil = Date.now() + ms
    this.now = Date.now()
    clearInterval(this.#tick)
    this.#tick = setInterval(() => {
      this.now = Date.now()
      if (this.now >= this.waitUntil) {
        clearInterval(this.#tick)
        this.pinInput?.focus()
      }
    }, 250)
  }

  get #waitSeconds(): number {
    return Math.max(0, Math.ceil((this.waitUntil - this.now) / 1000))
  }

  override render() {
    return html`<div class="card">
      <div class="brand"><img src="/icons/icon-192.png" alt="" />Wardline</div>
      <h1>Wardline is locked</h1>
      ${this.label ? html`<p class="who" data-testid="unlock-profile"><strong>${this.label}</strong></p>` : null}
      <p class="muted">${this.me ? `${this.me.displayName}: enter` : 'Enter'} your PIN or passphrase to continue.</p>
      ${this.#renderLease()}
      <form @submit=${this.#submit} novalidate>
        <div class="field">
          <label for="pin">PIN or passphrase</label>
          <input id="pin" name="pin" type="password" autocomplete="current-password" required
            @input=${() => this.action.fail(null)} />
        </div>
        ${this.action.problem ? html`<p class="error" role="alert">${this.action.problem}</p>` : null}
        ${this.attemptsLeft < WARN_ATTEMPTS_BELOW
          ? html`<p class="error" data-testid="attempts-left">${this.attemptsLeft === 1
            ? 'Last attempt: one more wrong PIN erases Wardline’s data on this device.'
            : `${this.attemptsLeft} attempts left before Wardline erases its data on this device.`}</p>`
          : null}
        ${this.#waitSeconds > 0
          ? html`<p class="muted" data-testid="pin-wait" role="status">Wrong PIN several times: for your safety, wait ${this.#waitSeconds} s before the next try.</p>`
          : null}
        <button class="primary" type="submit" ?disabled=${this.action.busy || this.#waitSeconds > 0}>${this.action.busy
          ? 'Unlocking…'
          : this.#waitSeconds > 0 ? `Try again in ${this.#waitSeconds} s` : this.#expired ? 'Connect to renew' : 'Unlock'}</button>
        ${this.prfCredentialId
          ? html`<button type="button" data-testid="unlock-prf" ?disabled=${this.action.busy} @click=${() => void this.#unlockWithPrf()}>Unlock with screen lock</button>`
          : null}
        ${this.canSwitch
          ? html`<button type="button" class="quiet" data-testid="switch-user" @click=${() => emitPlain(this, 'wl-switch-user')}>Someone else? Choose another person</button>`
          : null}
      </form>
    </div>`
  }

  get #expired(): boolean {
    return this.lease?.state === 'expired' || this.notice === 'local/lease-expired'
  }

  #renderLease() {
    if (this.#expired) {
      const since = this.lease?.locksAt ? ` (since ${new Date(this.lease.locksAt).toLocaleString()})` : ''
      return html`<p class="error" data-testid="lease-expired">This device has not reached your organisation’s Wardline
        server for too long${since}, so it stays locked until it does. Connect to the network, then enter your PIN:
        Wardline renews the lease and unlocks.${this.lease?.wipesAt ? ` If it cannot connect by ${new Date(this.lease.wipesAt).toLocaleString()}, Wardline erases its data on this device.` : ''}</p>`
    }
    return this.notice === 'local/session-limit'
      ? html`<p class="muted" data-testid="lock-notice">Locked because your organisation limits how long a session stays open.</p>`
      : null
  }

  async #submit(e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const pin = formText(e.target as HTMLFormElement, 'pin')
    const client = this.client
    if (!pin || !client) return
    const unlocked = await this.action.run(async () => {
      emit(this, 'wl-status', await client.call('unlock', { pin }).catch((e: unknown) => this.#failed(e)))
    })
    if (!unlocked && this.action.problem) {
      this.pinInput.value = ''
      this.pinInput.focus()
    }
  }

  async #unlockWithPrf(): Promise<void> {
    const { client, prfCredentialId } = this
    if (!client || !prfCredentialId) return
    await this.action.run(async () => {
      const prfOutput = await getPrfOutput(prfCredentialId).catch(() => null)
      if (!prfOutput) throw new WorkerCallError('local/prf-failed', 'no PRF output')
      // postMessage copies the bytes to the worker; wipe this copy at once (decision 0005).
      const call = client.call('unlockWithPrf', { prfOutput })
      prfOutput.fill(0)
      emit(this, 'wl-status', await call)
    })
  }

  /** After a failure: a wipe leaves this screen; otherwise refresh the attempts left. */
  async #failed(error: unknown): Promise<never> {
    if (errorCode(error) === 'local/wiped') emitPlain(this, 'wl-wiped')
    else if (errorCode(error) === 'local/lease-expired') this.notice = 'local/lease-expired'
    else if (this.client) {
      const status = await this.client.call('status', {}).catch(() => null)
      this.attemptsLeft = status?.pinAttemptsLeft ?? this.attemptsLeft
      if (status?.pinWaitMs) this.#startWait(status.pinWaitMs)
    }
    throw error
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-unlock': WlUnlock
  }
}
