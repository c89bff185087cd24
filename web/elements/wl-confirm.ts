/**
 * A modal confirmation (native `<dialog>`): `ask()` resolves with the typed reason ('' without a
 * reason field) when confirmed, or null when cancelled. Used before removing a member, leaving a
 * conversation and revoking a device — actions that cannot be undone.
 */
import { LitElement, css, html } from 'lit'
import { customElement, query, state } from 'lit/decorators.js'
import { baseStyles } from '../styles.ts'

export type ConfirmOptions = {
  title: string
  text: string
  confirmLabel: string
  /** With a label, the dialog asks for a short reason (at most 200 characters). */
  reasonLabel?: string
}

@customElement('wl-confirm')
export class WlConfirm extends LitElement {
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

  @state() private options: ConfirmOptions | null = null
  @query('dialog') private dialog!: HTMLDialogElement
  @query('input') private reason!: HTMLInputElement | null
  #resolve: ((value: string | null) => void) | null = null

  /** Opens the dialog; a second call answers the first with null. */
  async ask(options: ConfirmOptions): Promise<string | null> {
    this.#settle(null)
    this.options = options
    await this.updateComplete
    if (this.reason) this.reason.value = ''
    this.dialog.showModal()
    return new Promise((resolve) => (this.#resolve = resolve))
  }

  #settle(value: string | null): void {
    const resolve = this.#resolve
    this.#resolve = null
    if (this.dialog?.open) this.dialog.close()
    resolve?.(value)
  }

  override render() {
    const o = this.options
    return html`<dialog data-testid="confirm-dialog" aria-labelledby="confirm-title"
      @cancel=${(e: Event) => (e.preventDefault(), this.#settle(null))}>
      ${o
        ? html`<form @submit=${(e: Event) => (e.preventDefault(), this.#settle((this.reason?.value ?? '').trim().slice(0, 200)))}>
            <h2 id="confirm-title">${o.title}</h2>
            <p>${o.text}</p>
            ${o.reasonLabel
              ? html`<div class="field"><label for="reason">${o.reasonLabel}</label>
                  <input id="reason" maxlength="200" autocomplete="off" /></div>`
              : null}
            <div class="buttons">
              <button type="button" @click=${() => this.#settle(null)}>Cancel</button>
              <button type="submit" class="danger" data-testid="confirm">${o.confirmLabel}</button>
            </div>
          </form>`
        : null}
    </dialog>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-confirm': WlConfirm
  }
}
