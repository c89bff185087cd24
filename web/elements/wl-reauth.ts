/**
 * Re-authentication before a destructive admin action (issue 7): a modal that asks for the PIN
 * again and runs the action with it. The worker checks the PIN like an unlock (same counter and
 * waits), so a wrong PIN is refused there, shown here, and the dialog stays open; too many wipe
 * the device (`wl-wiped`). The PIN never outlives the call.
 */
import { LitElement, css, html } from 'lit'
import { customElement, query, state } from 'lit/decorators.js'
import { emitPlain } from '../events.ts'
import { describeError } from '../error-text.ts'
import { baseStyles } from '../styles.ts'
import { errorCode } from '../worker-client.ts'

export type ReauthOptions = {
  title: string
  text: string
  confirmLabel: string
  /** Runs the action with the PIN; rejects with the worker's error (wrong PIN keeps the dialog open). */
  run: (pin: string) => Promise<void>
}

@customElement('wl-reauth')
export class WlReauth extends LitElement {
  static override styles = [
    baseStyles,
    css`
      dialog {
        border: 1px solid var(--wl-border); border-radius: 14px; padding: 1.25rem; width: min(26rem, calc(100vw - 2rem));
        color: var(--wl-text); background: var(--wl-surface);
      }
      dialog::backdrop { background: rgb(0 0 0 / 0.4); }
      .buttons { display: flex; gap: 0.5rem; justify-content: flex-end; flex-wrap: wrap; margin-top: 1rem; }
      button.danger { background: var(--wl-danger); border-color: var(--wl-danger); color: var(--wl-on-primary); }
    `,
  ]

  @state() private options: ReauthOptions | null = null
  @state() private busy = false
  @state() private problem: string | null = null
  @query('dialog') private dialog!: HTMLDialogElement
  @query('input') private pin!: HTMLInputElement | null
  #resolve: ((done: boolean) => void) | null = null

  /** Opens the dialog; resolves true once the action succeeded, false when cancelled. */
  async ask(options: ReauthOptions): Promise<boolean> {
    this.#settle(false)
    this.options = options
    this.problem = null
    await this.updateComplete
    if (this.pin) this.pin.value = ''
    this.dialog.showModal()
    return new Promise((resolve) => (this.#resolve = resolve))
  }

  #settle(done: boolean): void {
    const resolve = this.#resolve
    this.#resolve = null
    if (this.pin) this.pin.value = ''
    if (this.dialog?.open) this.dialog.close()
    resolve?.(done)
  }

  async #submit(e: Event): Promise<void> {
    e.preventDefault()
    const o = this.options
    const pin = this.pin?.value ?? ''
    if (!o || this.busy) return
    if (!pin) {
      this.problem = 'Enter your PIN or passphrase.'
      return
    }
    this.busy = true
    this.problem = null
    try {
      await o.run(pin)
      this.#settle(true)
    } catch (error) {
      const code = errorCode(error)
      if (code === 'local/wiped') {
        this.#settle(false)
        emitPlain(this, 'wl-wiped')
        return
      }
      this.problem = describeError(code)
      if (this.pin) this.pin.value = ''
      this.pin?.focus()
    } finally {
      this.busy = false
    }
  }

  override render() {
    const o = this.options
    return html`<dialog data-testid="reauth-dialog" aria-labelledby="reauth-title"
      @cancel=${(e: Event) => (e.preventDefault(), !this.busy && this.#settle(false))}>
      ${o
        ? html`<form @submit=${(e: Event) => void this.#submit(e)}>
            <h2 id="reauth-title">${o.title}</h2>
            <p>${o.text}</p>
            <div class="field">
              <label for="reauth-pin">Your PIN or passphrase</label>
              <input id="reauth-pin" type="password" autocomplete="current-password" ?disabled=${this.busy} />
              <p class="hint">Asked again before an action that cannot be undone.</p>
            </div>
            ${this.problem ? html`<p class="error" role="alert" data-testid="reauth-error">${this.problem}</p>` : null}
            <div class="buttons">
              <button type="button" ?disabled=${this.busy} @click=${() => this.#settle(false)}>Cancel</button>
              <button type="submit" class="danger" data-testid="reauth-confirm" ?disabled=${this.busy}>
                ${this.busy ? 'Checking…' : o.confirmLabel}</button>
            </div>
          </form>`
        : null}
    </dialog>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-reauth': WlReauth
  }
}
