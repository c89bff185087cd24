/**
 * Admin console — legal holds (issue 8, decision 0019): the conversations under legal hold, which
 * the relay prunes nothing of until released, with who set each and when; "Hold a conversation"
 * takes a conversation id (from `npm run compliance:list`, or a member's conversation details);
 * holding and releasing ask for the PIN again and are audited by the relay.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import type { LegalHoldView } from '../../workers/protocol.ts'
import { describeError } from '../error-text.ts'
import { formatTime } from '../format-time.ts'
import { formText } from '../pin-fields.ts'
import { adminStyles, baseStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import type { WlReauth } from './wl-reauth.ts'
import './wl-reauth.ts'

const CONVERSATION_ID = /^[0-9a-f]{32}$/

@customElement('wl-admin-holds')
export class WlAdminHolds extends LitElement {
  static override styles = [
    baseStyles,
    adminStyles,
    css`
      :host { display: block; }
      form { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: end; margin-bottom: 1rem; }
      form .field { flex: 1 1 18rem; margin: 0; }
      input { font-family: var(--wl-mono); }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @state() private holds: LegalHoldView[] | null = null
  @state() private problem: string | null = null
  @query('wl-reauth') private reauth!: WlReauth

  override connectedCallback(): void {
    super.connectedCallback()
    void this.#load()
  }

  async #load(): Promise<void> {
    if (!this.client) return
    try {
      this.holds = await this.client.call('listLegalHolds', {})
      this.problem = null
    } catch (error) {
      this.problem = describeError(errorCode(error))
    }
  }

  async #set(conversationId: string, held: boolean, label: string): Promise<void> {
    const client = this.client
    if (!client) return
    const done = await this.reauth.ask({
      title: held ? `Put ${label} on legal hold?` : `Release the legal hold on ${label}?`,
      text: held
        ? 'Nothing of this conversation is pruned from the server until the hold is released. Members are not told; the audit log records it.'
        : 'The conversation is pruned again like any other once compacted. The audit log records it.',
      confirmLabel: held ? 'Hold' : 'Release',
      run: async (pin) => void (await client.call('setLegalHold', { conversationId, held, pin })),
    })
    if (done) await this.#load()
  }

  #submit(e: SubmitEvent): void {
    e.preventDefault()
    const id = formText(e.target as HTMLFormElement, 'conversationId').trim().toLowerCase()
    if (!CONVERSATION_ID.test(id)) {
      this.problem = 'A conversation id is 32 characters 0–9 and a–f (see npm run compliance:list on the server).'
      return
    }
    this.problem = null
    const form = e.target as HTMLFormElement
    void this.#set(id, true, 'this conversation').then(() => {
      if (this.holds?.some((h) => h.conversationId === id)) form.reset()
    })
  }

  #renderHold(h: LegalHoldView) {
    const label = h.title ?? `conversation ${h.conversationId.slice(0, 8)}`
    return html`<li class="card" data-testid="legal-hold">
      <div class="card-head">
        <h3><bdi>${label}</bdi></h3>
        <span class="chip warn">On hold</span>
      </div>
      <div class="meta">since ${formatTime(h.setAt)}${h.setByName ? html` · by <bdi>${h.setByName}</bdi>` : null}</div>
      <div class="meta mono">${h.conversationId}</div>
      <div class="actions"><button class="danger-outline" data-testid="release-hold" @click=${() => void this.#set(h.conversationId, false, label)}>Release</button></div>
    </li>`
  }

  override render() {
    const holds = this.holds
    return html`
      <form @submit=${(e: SubmitEvent) => this.#submit(e)} novalidate>
        <div class="field">
          <label for="conversationId">Hold a conversation</label>
          <input id="conversationId" name="conversationId" autocomplete="off" spellcheck="false" placeholder="conversation id" data-testid="hold-id" />
        </div>
        <button class="primary" type="submit" data-testid="hold-conversation">Put on legal hold</button>
      </form>
      ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : null}
      ${holds === null
        ? html`<p class="empty">Loading legal holds…</p>`
        : holds.length === 0
          ? html`<p class="empty">No conversation is on legal hold.</p>`
          : html`<ul class="cards" aria-label="Legal holds">${holds.map((h) => this.#renderHold(h))}</ul>`}
      <wl-reauth></wl-reauth>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-admin-holds': WlAdminHolds
  }
}
