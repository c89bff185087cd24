/**
 * "Verify safety number" with one person, in a modal dialog: the 60 digits the worker computes
 * over both people's approved device keys (`safetyNumber`), a QR code of them, and "Compare" —
 * type or paste the number from their screen. A match is remembered as "Verified in person" for
 * this page's lifetime only (never stored); a changed number is no longer verified.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import type { Methods } from '../../workers/protocol.ts'
import { PendingAction } from '../pending-action.ts'
import { baseStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'
import './wl-qr-code.ts'

type Safety = Methods['safetyNumber']['result']
export type SafetyPerson = { userId: string; displayName: string }

/** userId → the digits that were compared in person (memory only, dropped on lock/reload). */
const verifiedInPerson = new Map<string, string>()
const digitsOnly = (s: string) => s.replace(/\D/g, '')

@customElement('wl-safety-number')
export class WlSafetyNumber extends LitElement {
  static override styles = [
    baseStyles,
    css`
      dialog {
        border: 1px solid var(--wl-border); border-radius: 14px; padding: 1.25rem; width: min(30rem, calc(100vw - 1rem));
        max-height: calc(100dvh - 1rem); color: var(--wl-text); background: var(--wl-surface);
      }
      dialog::backdrop { background: rgb(0 0 0 / 0.4); }
      .digits {
        font-family: var(--wl-mono); font-size: 1.2rem; letter-spacing: 0.04em; display: grid;
        grid-template-columns: repeat(3, auto); justify-content: start; gap: 0.35rem 1rem; padding: 0.75rem 1rem;
        background: var(--wl-bg); border: 1px solid var(--wl-border); border-radius: var(--wl-radius); margin-bottom: 1rem;
      }
      @media (min-width: 480px) { .digits { grid-template-columns: repeat(4, auto); } }
      wl-qr-code { width: min(100%, 12rem); aspect-ratio: 1; border: 1px solid var(--wl-border); border-radius: 8px; padding: 0.25rem; margin-bottom: 1rem; }
      .row { display: flex; gap: 0.5rem; align-items: flex-end; flex-wrap: wrap; }
      .row .field { flex: 1 1 14rem; margin: 0; }
      .verdict { font-weight: 700; margin-top: 0.75rem; padding: 0.5rem 0.75rem; border-radius: var(--wl-radius); }
      .verdict.ok { color: var(--wl-ok); background: var(--wl-primary-soft); }
      .verdict.bad { color: var(--wl-danger); background: var(--wl-danger-soft); }
      .buttons { display: flex; justify-content: flex-end; margin-top: 1rem; }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @state() private person: SafetyPerson | null = null
  @state() private safety: Safety | null = null
  @state() private verdict: 'match' | 'mismatch' | null = null
  @query('dialog') private dialog!: HTMLDialogElement
  readonly load = new PendingAction(this)

  /** Opens the dialog for one person and asks the worker for the number. */
  async open(person: SafetyPerson): Promise<void> {
    this.person = person
    this.safety = null
    this.verdict = null
    await this.updateComplete
    if (!this.dialog.open) this.dialog.showModal()
    const client = this.client
    if (!client) return
    await this.load.run(async () => {
      const safety = await client.call('safetyNumber', { userId: person.userId })
      if (this.person?.userId !== person.userId) return
      this.safety = safety
      const kept = verifiedInPerson.get(person.userId)
      if (kept !== undefined && kept !== digitsOnly(safety.digits)) verifiedInPerson.delete(person.userId)
    })
  }

  #compare(e: Event): void {
    e.preventDefault()
    const { person, safety } = this
    if (!person || !safety) return
    const typed = digitsOnly(new FormData(e.target as HTMLFormElement).get('theirs')?.toString() ?? '')
    const mine = digitsOnly(safety.digits)
    this.verdict = typed === mine ? 'match' : 'mismatch'
    if (this.verdict === 'match') verifiedInPerson.set(person.userId, mine)
  }

  override render() {
    const p = this.person
    return html`<dialog data-testid="safety-dialog" aria-labelledby="safety-title" @close=${() => (this.person = null)}>
      ${p ? this.#renderBody(p) : null}
    </dialog>`
  }

  #renderBody(p: SafetyPerson) {
    const s = this.safety
    const verified = s && verifiedInPerson.get(p.userId) === digitsOnly(s.digits)
    return html`
      <h2 id="safety-title">Safety number with <bdi>${p.displayName}</bdi></h2>
      <p class="muted">Meet <bdi>${p.displayName}</bdi> and compare this number with the one on their screen. If it is the same,
        nobody has slipped a device between you. It changes when either of you gets a new device.</p>
      ${this.load.problem ? html`<p class="error" role="alert">${this.load.problem}</p>` : null}
      ${!s && !this.load.problem ? html`<p aria-busy="true">Working out the number…</p>` : null}
      ${s
        ? html`<div class="digits" data-testid="safety-digits" aria-label="Safety number">
              ${s.digits.split(' ').map((g) => html`<span>${g}</span>`)}
            </div>
            <wl-qr-code data-testid="safety-qr" .value=${s.qrPayload} label="QR code of the safety number"></wl-qr-code>
            ${verified ? html`<p class="verdict ok" data-testid="safety-verified" role="status">Verified in person</p>` : null}
            <form @submit=${this.#compare} novalidate>
              <div class="row">
                <div class="field">
                  <label for="theirs">Compare with their number</label>
                  <input id="theirs" name="theirs" inputmode="numeric" autocomplete="off" data-testid="safety-compare-input"
                    placeholder="Type or paste the 60 digits from their screen" />
                </div>
                <button type="submit" data-testid="safety-compare">Compare</button>
              </div>
            </form>
            ${this.verdict === 'mismatch'
              ? html`<p class="verdict bad" role="alert" data-testid="safety-mismatch">These numbers differ. Check that you
                  typed it right; if it still differs, do not share anything sensitive with ${p.displayName} and tell your IT team.</p>`
              : null}`
        : null}
      <div class="buttons"><button class="primary" data-testid="safety-close" @click=${() => this.dialog.close()}>Done</button></div>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-safety-number': WlSafetyNumber
  }
}
