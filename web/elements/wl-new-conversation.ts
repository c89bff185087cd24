/**
 * "New conversation": everyone in the directory except me (`listPeople`), with checkboxes and a
 * filter; one person makes a direct conversation, several a group (`createConversation`).
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { Person } from '../../workers/protocol.ts'
import { describeError } from '../error-text.ts'
import { emit } from '../events.ts'
import { PendingAction } from '../pending-action.ts'
import { baseStyles, sideViewStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import { WorkerEventsController, coalesce } from '../worker-events.ts'

@customElement('wl-new-conversation')
export class WlNewConversation extends LitElement {
  static override styles = [
    baseStyles,
    sideViewStyles,
    css`
      :host { display: flex; flex-direction: column; min-height: 0; background: var(--wl-surface); }
      .filter { padding: 0.75rem; border-bottom: 1px solid var(--wl-border); }
      ul { list-style: none; margin: 0; padding: 0; flex: 1; min-height: 0; overflow-y: auto; }
      li label {
        display: flex; align-items: center; gap: 0.85rem; padding: 0.6rem 1rem; min-height: 60px; margin: 0;
        border-bottom: 1px solid var(--wl-border); cursor: pointer; font-weight: 400;
      }
      li label:hover { background: var(--wl-bg); }
      input[type='checkbox'] { width: 1.4rem; height: 1.4rem; min-height: 0; flex: none; accent-color: var(--wl-primary); }
      .name { font-weight: 600; }
      .detail { font-size: 0.85rem; color: var(--wl-muted); }
      .actions { padding: 0.75rem; border-top: 1px solid var(--wl-border); display: flex; flex-direction: column; gap: 0.5rem; }
      .state { padding: 1.5rem 1rem; color: var(--wl-muted); }
      @media (min-width: 900px) { .back { display: none; } }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @state() private people: Person[] | null = null
  @state() private chosen = new Set<string>()
  @state() private filter = ''
  readonly action = new PendingAction(this)

  #refresh = coalesce(async () => {
    if (!this.client) return
    try {
      this.people = (await this.client.call('listPeople', {})).filter((p) => !p.isMe)
    } catch (error) {
      this.action.fail(describeError(errorCode(error)))
    }
  })

  constructor() {
    super()
    new WorkerEventsController(this, (client) => [client.on('people', () => this.#refresh())])
  }

  override connectedCallback(): void {
    super.connectedCallback()
    this.#refresh()
  }

  override render() {
    const n = this.chosen.size
    return html`
      <div class="head">
        <button class="quiet back" data-testid="back" @click=${() => emit(this, 'wl-navigate', { view: 'list' })}>← Back</button>
        <h2>New conversation</h2>
      </div>
      <div class="filter">
        <input type="search" aria-label="Find a person" placeholder="Find a person"
          @input=${(e: InputEvent) => (this.filter = (e.target as HTMLInputElement).value)} />
      </div>
      ${this.#renderPeople()}
      <div class="actions">
        ${this.action.problem ? html`<p class="error" role="alert">${this.action.problem}</p>` : null}
        <button class="primary" data-testid="create-conversation" ?disabled=${n === 0 || this.action.busy} @click=${this.#create}>
          ${this.action.busy ? 'Starting…' : n > 1 ? `Start group with ${n} people` : 'Start conversation'}
        </button>
      </div>
    `
  }

  #renderPeople() {
    if (!this.people) {
      return this.action.problem ? null : html`<div class="state" aria-busy="true">Loading people…</div>`
    }
    if (this.people.length === 0) {
      return html`<p class="state">Nobody else is enrolled yet. An administrator can add people.</p>`
    }
    const q = this.filter.trim().toLowerCase()
    const shown = q ? this.people.filter((p) => p.displayName.toLowerCase().includes(q)) : this.people
    return html`<ul>
      ${shown.map(
        (p) => html`<li>
          <label data-testid="person">
            <input type="checkbox" .checked=${this.chosen.has(p.userId)} @change=${() => this.#toggle(p.userId)} />
            <span>
              <span class="name"><bdi>${p.displayName}</bdi></span><br />
              <span class="detail">${p.role}${p.deviceCount === 0 ? ' · not enrolled on a device yet' : ''}</span>
            </span>
          </label>
        </li>`,
      )}
    </ul>`
  }

  #toggle(userId: string): void {
    const next = new Set(this.chosen)
    if (!next.delete(userId)) next.add(userId)
    this.chosen = next
  }

  async #create(): Promise<void> {
    const client = this.client
    if (!client || this.chosen.size === 0) return
    await this.action.run(async () => {
      const { conversationId } = await client.call('createConversation', { userIds: [...this.chosen] })
      emit(this, 'wl-navigate', { view: 'conversation', conversationId })
    })
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-new-conversation': WlNewConversation
  }
}
