/**
 * The members panel of one conversation: who is in it (names from `listPeople`), "Verify safety
 * number" per person, and for groups "Add people" (`addMembers`, optionally sharing earlier
 * messages), "Remove" (`removeMembers`) and "Leave conversation" (`removeMembers` with my own
 * id), each removal behind a confirmation. Direct conversations explain that a group is needed.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import type { ConversationSummary, Person } from '../../workers/protocol.ts'
import { describeError } from '../error-text.ts'
import { emit } from '../events.ts'
import { PendingAction } from '../pending-action.ts'
import { baseStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import { WorkerEventsController, coalesce } from '../worker-events.ts'
import type { WlConfirm } from './wl-confirm.ts'
import type { WlSafetyNumber } from './wl-safety-number.ts'
import './wl-confirm.ts'
import './wl-safety-number.ts'

@customElement('wl-members')
export class WlMembers extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; overflow-y: auto; background: var(--wl-surface); padding: 1rem; }
      h3 { font-size: 1rem; }
      ul { list-style: none; margin: 0 0 1rem; padding: 0; }
      li { display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 0.5rem; padding: 0.5rem 0; border-bottom: 1px solid var(--wl-border); }
      li .name { flex: 1 1 8rem; font-weight: 600; min-width: 0; overflow-wrap: anywhere; }
      li .you { font-weight: 400; color: var(--wl-muted); }
      li button { min-height: 40px; padding: 0 0.7rem; font-size: 0.92rem; }
      button.danger-text { color: var(--wl-danger); }
      .choose label {
        display: flex; align-items: center; gap: 0.75rem; font-weight: 400; padding: 0.5rem 0; margin: 0;
        border-bottom: 1px solid var(--wl-border); cursor: pointer;
      }
      input[type='checkbox'] { width: 1.3rem; height: 1.3rem; min-height: 0; flex: none; accent-color: var(--wl-primary); }
      .share { display: flex; align-items: flex-start; gap: 0.75rem; font-weight: 400; margin: 0.75rem 0; cursor: pointer; }
      .share .hint { display: block; }
      .actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-bottom: 1rem; }
      .note { background: var(--wl-bg); border: 1px solid var(--wl-border); border-radius: var(--wl-radius); padding: 0.6rem 0.8rem; }
      .note .mono { display: block; word-break: break-all; margin-top: 0.2rem; }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) summary: ConversationSummary | null = null
  @property({ attribute: false }) meUserId = ''
  @state() private people: Person[] = []
  @state() private adding = false
  @state() private chosen = new Set<string>()
  @state() private shareHistory = true
  @query('wl-confirm') private confirm!: WlConfirm
  @query('wl-safety-number') private safety!: WlSafetyNumber
  readonly action = new PendingAction(this)

  #refresh = coalesce(async () => {
    if (!this.client) return
    try {
      this.people = await this.client.call('listPeople', {})
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

  #nameOf(userId: string): string {
    return this.people.find((p) => p.userId === userId)?.displayName ?? 'Someone no longer in the directory'
  }

  override render() {
    const s = this.summary
    if (!s) return null
    const group = s.kind === 'group'
    const others = s.memberUserIds.filter((u) => u !== this.meUserId)
    const canChange = group && !s.removed
    return html`
      <h3 id="members-title">Members (${s.memberUserIds.length})</h3>
      ${s.removed ? html`<p class="note" data-testid="members-removed">You are no longer a member of this conversation.</p>` : null}
      <ul aria-labelledby="members-title" data-testid="members-list">
        ${s.memberUserIds.includes(this.meUserId)
          ? html`<li data-testid="member" data-user-id=${this.meUserId}><span class="name"><bdi>${this.#nameOf(this.meUserId)}</bdi> <span class="you">(you)</span></span></li>`
          : null}
        ${others.map((u) => html`<li data-testid="member" data-user-id=${u}>
          <span class="name"><bdi>${this.#nameOf(u)}</bdi></span>
          <button class="quiet" data-testid="verify-safety" @click=${() => void this.safety.open({ userId: u, displayName: this.#nameOf(u) })}>Verify safety number</button>
          ${canChange ? html`<button class="quiet danger-text" data-testid="remove-member" ?disabled=${this.action.busy}
            @click=${() => void this.#remove(u)}>Remove</button>` : null}
        </li>`)}
      </ul>
      ${this.action.problem ? html`<p class="error" role="alert">${this.action.problem}</p>` : null}
      ${canChange ? (this.adding ? this.#renderAdd(s) : this.#renderActions()) : null}
      ${!group
        ? html`<p class="note" data-testid="direct-note">This is a direct conversation between two people, so nobody can be added.
            To include more people, start a group with everyone instead.</p>
            <button @click=${() => emit(this, 'wl-navigate', { view: 'new' })}>Start a group</button>`
        : null}
      <p class="note" data-testid="conversation-id">Conversation id (for your IT or compliance team):
        <span class="mono">${s.conversationId}</span></p>
      <wl-confirm></wl-confirm>
      <wl-safety-number .client=${this.client}></wl-safety-number>
    `
  }

  #renderActions() {
    return html`<div class="actions">
      <button class="primary" data-testid="add-members" @click=${() => ((this.adding = true), (this.chosen = new Set()), (this.shareHistory = true))}>Add people</button>
      <button class="danger-text" data-testid="leave-conversation" ?disabled=${this.action.busy} @click=${() => void this.#leave()}>Leave conversation</button>
    </div>`
  }

  #renderAdd(s: ConversationSummary) {
    const candidates = this.people.filter((p) => !p.isMe && !s.memberUserIds.includes(p.userId) && p.deviceCount > 0)
    const n = this.chosen.size
    return html`<section data-testid="add-members-form" aria-labelledby="add-title">
      <h3 id="add-title">Add people</h3>
      ${candidates.length === 0 ? html`<p class="muted">Everyone in the directory is already in this conversation.</p>` : null}
      <div class="choose">
        ${candidates.map((p) => html`<label data-testid="candidate">
          <input type="checkbox" .checked=${this.chosen.has(p.userId)} @change=${() => this.#toggle(p.userId)} />
          <span><bdi>${p.displayName}</bdi> <span class="muted">· ${p.role}</span></span>
        </label>`)}
      </div>
      <label class="share">
        <input type="checkbox" data-testid="share-history" .checked=${this.shareHistory}
          @change=${(e: Event) => (this.shareHistory = (e.target as HTMLInputElement).checked)} />
        <span>Share earlier messages with them
          <span class="hint">If off, they see only messages sent after they join.</span></span>
      </label>
      <div class="actions">
        <button class="primary" data-testid="confirm-add-members" ?disabled=${n === 0 || this.action.busy} @click=${() => void this.#add()}>
          ${this.action.busy ? 'Adding…' : n > 1 ? `Add ${n} people` : 'Add'}</button>
        <button @click=${() => (this.adding = false)}>Cancel</button>
      </div>
    </section>`
  }

  #toggle(userId: string): void {
    const next = new Set(this.chosen)
    if (!next.delete(userId)) next.add(userId)
    this.chosen = next
  }

  async #add(): Promise<void> {
    const { client, summary } = this
    if (!client || !summary || this.chosen.size === 0) return
    const userIds = [...this.chosen]
    const done = await this.action.run(async () => {
      await client.call('addMembers', { conversationId: summary.conversationId, userIds, shareHistory: this.shareHistory })
    })
    if (done) this.adding = false
  }

  async #remove(userId: string): Promise<void> {
    const { client, summary } = this
    if (!client || !summary) return
    const name = this.#nameOf(userId)
    const ok = await this.confirm.ask({
      title: `Remove ${name}?`,
      text: `${name} will not receive any message sent from now on. Messages they already have stay on their devices.`,
      confirmLabel: 'Remove',
    })
    if (ok === null) return
    await this.action.run(async () => {
      await client.call('removeMembers', { conversationId: summary.conversationId, userIds: [userId] })
    })
  }

  async #leave(): Promise<void> {
    const { client, summary } = this
    if (!client || !summary) return
    const ok = await this.confirm.ask({
      title: 'Leave this conversation?',
      text: 'You will not receive any message sent from now on. Someone still in it would have to add you back.',
      confirmLabel: 'Leave',
    })
    if (ok === null) return
    await this.action.run(async () => {
      await client.call('removeMembers', { conversationId: summary.conversationId, userIds: [this.meUserId] })
    })
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-members': WlMembers
  }
}
