/**
 * One conversation: its messages in the order the worker returns them (never re-sorted), the
 * status of own messages (queued / sent / delivered / read / not sent), and the composer — or,
 * once this device is no longer a member, a notice instead of it. "Members" opens wl-members
 * (beside the messages on wide screens, instead of them on narrow ones). Bodies are text only. Calls `markRead` while the conversation is open and the
 * page is visible.
 */
import { LitElement, css, html, type PropertyValues } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { ifDefined } from 'lit/directives/if-defined.js'
import type { ConversationSummary, MessageStatus, MessageView } from '../../workers/protocol.ts'
import { describeError } from '../error-text.ts'
import { emit } from '../events.ts'
import { formatTime } from '../format-time.ts'
import { baseStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import { WorkerEventsController, coalesce } from '../worker-events.ts'
import './wl-composer.ts'
import './wl-members.ts'

const STATUS_TEXT: Record<MessageStatus, string> = {
  queued: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  'not-sent': 'not sent',
}

@customElement('wl-conversation')
export class WlConversation extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: flex; flex-direction: column; min-height: 0; background: var(--wl-bg); }
      .head {
        flex: none; display: flex; align-items: center; gap: 0.25rem; padding: 0.25rem 0.75rem 0.25rem 0.25rem;
        background: var(--wl-surface); border-bottom: 1px solid var(--wl-border); min-height: 56px;
      }
      .head h2 { margin: 0; font-size: 1.1rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .head .sub { font-size: 0.85rem; color: var(--wl-muted); }
      .titles { min-width: 0; padding-left: 0.5rem; }
      .scroll { flex: 1; min-height: 0; overflow-y: auto; padding: 1rem 0.75rem; }
      ol { list-style: none; margin: 0 auto; padding: 0; display: flex; flex-direction: column; gap: 0.5rem; max-width: 52rem; }
      li { max-width: min(85%, 36rem); align-self: flex-start; }
      li.mine { align-self: flex-end; }
      .bubble {
        background: var(--wl-surface); border: 1px solid var(--wl-border); border-radius: 14px 14px 14px 4px;
        padding: 0.5rem 0.75rem;
      }
      li.mine .bubble { background: var(--wl-mine); border-color: #b9d8e2; border-radius: 14px 14px 4px 14px; }
      .author { font-size: 0.8rem; font-weight: 700; color: var(--wl-primary); margin-bottom: 0.1rem; }
      .body { white-space: pre-wrap; overflow-wrap: anywhere; }
      .meta { font-size: 0.78rem; color: var(--wl-muted); margin-top: 0.2rem; text-align: right; }
      li:not(.mine) .meta { text-align: left; }
      .meta .status { font-weight: 600; }
      li[data-status='read'] .status, li[data-status='delivered'] .status { color: var(--wl-primary); }
      li[data-status='not-sent'] .status { color: var(--wl-danger); }
      .state { padding: 2rem 1rem; text-align: center; color: var(--wl-muted); }
      .head .titles { flex: 1; }
      .head .sub { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
      .head .members-toggle { flex: none; padding: 0 0.75rem; }
      .head .members-toggle[aria-expanded='true'] { background: var(--wl-primary-soft); }
      .main { flex: 1; min-height: 0; display: flex; }
      .thread { flex: 1; min-width: 0; display: flex; flex-direction: column; }
      wl-members { flex: 1; min-width: 0; }
      .main.with-members .thread { display: none; }
      @media (min-width: 1200px) {
        .main.with-members .thread { display: flex; }
        wl-members { flex: 0 0 22rem; border-left: 1px solid var(--wl-border); }
      }
      .unavailable {
        max-width: 52rem; margin: 0 auto 0.75rem; padding: 0.5rem 0.75rem; font-size: 0.9rem; color: var(--wl-muted);
        background: var(--wl-surface); border: 1px dashed var(--wl-border); border-radius: var(--wl-radius); text-align: center;
      }
      .removed {
        flex: none; margin: 0; padding: 0.9rem 1rem; background: var(--wl-surface); border-top: 1px solid var(--wl-border);
        color: var(--wl-muted); font-weight: 600; text-align: center;
      }
      @media (min-width: 900px) { .back { display: none; } .titles { padding-left: 0.75rem; } }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property() conversationId = ''
  /** My userId (status().me), to tell "you" apart in the members panel and to leave. */
  @property({ attribute: false }) meUserId = ''
  @state() private membersOpen = false
  @state() private messages: MessageView[] | null = null
  @state() private summary: ConversationSummary | null = null
  @state() private problem: string | null = null
  @query('.scroll') private scroller!: HTMLElement | null
  #stickToBottom = true
  #lastReadMarker: string | null = null

  #refreshMessages = coalesce(async () => {
    const { client, conversationId } = this
    if (!client || !conversationId) return
    try {
      const messages = await client.call('listMessages', { conversationId })
      if (conversationId !== this.conversationId) return
      this.messages = messages
      this.problem = null
      this.#markReadIfSeen()
    } catch (error) {
      this.problem = describeError(errorCode(error))
    }
  })

  #refreshSummary = coalesce(async () => {
    if (!this.client) return
    const list = await this.client.call('listConversations', {}).catch(() => null)
    if (list) this.summary = list.find((c) => c.conversationId === this.conversationId) ?? null
  })

  #onVisibility = (): void => this.#markReadIfSeen(true)

  constructor() {
    super()
    new WorkerEventsController(this, (client) => [
      client.on('messages', (d) => d.conversationId === this.conversationId && this.#refreshMessages()),
      client.on('conversations', () => this.#refreshSummary()),
      client.on('people', () => this.#refreshSummary()),
    ])
  }

  override connectedCallback(): void {
    super.connectedCallback()
    document.addEventListener('visibilitychange', this.#onVisibility)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    document.removeEventListener('visibilitychange', this.#onVisibility)
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('conversationId')) {
      this.messages = null
      this.summary = null
      this.problem = null
      this.membersOpen = false
      this.#stickToBottom = true
      this.#lastReadMarker = null
      this.#refreshMessages()
      this.#refreshSummary()
    }
    const el = this.scroller
    if (changed.has('messages') && el) {
      this.#stickToBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 80
    }
  }

  protected override updated(changed: PropertyValues): void {
    const el = this.scroller
    if (changed.has('messages') && el && this.#stickToBottom) el.scrollTop = el.scrollHeight
  }

  /** Marks read when new incoming messages are on screen (or the page just became visible). */
  #markReadIfSeen(force = false): void {
    if (!this.client || !this.messages || document.visibilityState !== 'visible' || !this.isConnected) return
    const lastIncoming = this.messages.findLast((m) => !m.mine)
    const marker = lastIncoming ? lastIncoming.id : ''
    if (!force && marker === this.#lastReadMarker) return
    this.#lastReadMarker = marker
    this.client.call('markRead', { conversationId: this.conversationId }).catch(() => undefined)
  }

  override render() {
    const s = this.summary
    return html`
      <div class="head">
        <button class="quiet back" aria-label="Back to conversations" data-testid="back"
          @click=${() => emit(this, 'wl-navigate', { view: 'list' })}>← Back</button>
        <div class="titles">
          <h2>${s?.title ?? 'Conversation'}</h2>
          ${s ? html`<div class="sub">${s.kind === 'group' ? `${s.memberUserIds.length} people` : 'Direct'} · end-to-end encrypted</div>` : null}
        </div>
        ${s
          ? html`<button class="quiet members-toggle" data-testid="members-toggle" aria-expanded=${this.membersOpen ? 'true' : 'false'}
              @click=${() => (this.membersOpen = !this.membersOpen)}>Members</button>`
          : null}
      </div>
      <div class="main ${this.membersOpen ? 'with-members' : ''}">
        <div class="thread">
          <div class="scroll">${this.#renderUnavailable()}${this.#renderMessages()}</div>
          ${s?.removed
            ? html`<p class="removed" data-testid="removed-notice" role="status">You are no longer a member of this conversation</p>`
            : html`${s && s.memberUserIds.length < 2
              ? html`<p class="removed" data-testid="alone-notice" role="status">Nobody else is in this conversation: messages here reach no one.</p>`
              : null}<wl-composer .client=${this.client} .conversationId=${this.conversationId} @wl-sent=${() => this.#onSent()}></wl-composer>`}
        </div>
        ${this.membersOpen
          ? html`<wl-members .client=${this.client} .summary=${s} .meUserId=${this.meUserId} aria-label="Members"></wl-members>`
          : null}
      </div>
    `
  }

  /** Messages sent before this device had the key (added without shared history). */
  #renderUnavailable() {
    const n = this.summary?.historyUnavailable ?? 0
    if (n <= 0) return null
    const text = n === 1
      ? '1 earlier message was sent before you joined and is not available on this device.'
      : `${n} earlier messages were sent before you joined and are not available on this device.`
    return html`<p class="unavailable" data-testid="history-unavailable">${text}</p>`
  }

  #onSent(): void {
    this.#stickToBottom = true
    this.#refreshMessages()
  }

  #renderMessages() {
    if (this.problem && !this.messages) {
      return html`<div class="state"><p class="error" role="alert">${this.problem}</p>
        <button @click=${() => this.#refreshMessages()}>Try again</button></div>`
    }
    if (!this.messages) return html`<div class="state" aria-busy="true">Loading messages…</div>`
    if (this.messages.length === 0) {
      return html`<div class="state">${this.summary?.removed ? 'No messages.' : 'No messages yet. Say hello.'}</div>`
    }
    const group = this.summary?.kind === 'group'
    return html`<ol aria-label="Messages">${this.messages.map((m) => this.#renderMessage(m, group))}</ol>`
  }

  #renderMessage(m: MessageView, group: boolean) {
    const status = m.mine && m.status ? m.status : undefined
    return html`<li class=${m.mine ? 'mine' : 'theirs'} data-testid="message" data-message-id=${m.id}
      data-status=${ifDefined(status)}>
      <div class="bubble">
        ${!m.mine && group ? html`<div class="author">${m.authorName}</div>` : null}
        <div class="body" data-testid="message-body">${m.body}</div>
      </div>
      <div class="meta">
        ${formatTime(m.createdAt)}${status
          ? html` · <span class="status" data-testid="message-status">${STATUS_TEXT[status]}</span>`
          : null}
      </div>
    </li>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-conversation': WlConversation
  }
}
