/**
 * The conversation list (`listConversations`), refreshed on `conversations` and `messages`
 * events. Each row shows title, last message (or "You are no longer a member") and unread count;
 * choosing one navigates to it. A search field filters the list on this device only, by title
 * and by the patient context's name and MRN (issue 9), and lists the messages whose text matches
 * (`searchMessages`, decrypted in the worker's memory only, issue 5); nothing typed there leaves
 * the device.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { ConversationSummary, SearchHit } from '../../workers/protocol.ts'

/** Case- and accent-insensitive text for matching; spaces collapsed. */
function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim()
}

/** True when every word of `query` appears in the title, the patient's name or MRN. */
export function matchesSearch(c: ConversationSummary, query: string): boolean {
  const q = fold(query)
  if (!q) return true
  const hay = fold([c.title, c.patient?.name ?? '', c.patient?.mrn ?? '', c.patient?.ward ?? ''].join(' '))
  const compact = hay.replace(/[\s-]/g, '')
  return q.split(' ').every((w) => hay.includes(w) || compact.includes(w.replace(/-/g, '')))
}
import { describeError } from '../error-text.ts'
import { emit } from '../events.ts'
import { formatTime } from '../format-time.ts'
import { baseStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import { WorkerEventsController, coalesce } from '../worker-events.ts'

@customElement('wl-conversation-list')
export class WlConversationList extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; overflow-y: auto; }
      ul { list-style: none; margin: 0; padding: 0; }
      li { border-bottom: 1px solid var(--wl-border); }
      button.row {
        width: 100%; display: grid; grid-template-columns: 1fr auto; gap: 0.15rem 0.75rem; text-align: left;
        padding: 0.75rem 1rem; border: 0; border-radius: 0; min-height: 64px; background: transparent; font-weight: 400;
      }
      button.row:hover { background: var(--wl-bg); }
      button.row[aria-current='true'] { background: var(--wl-primary-soft); box-shadow: inset 4px 0 0 var(--wl-primary); }
      .title { font-weight: 700; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .time { font-size: 0.8rem; color: var(--wl-muted); justify-self: end; }
      .last { color: var(--wl-muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 0.94rem; }
      .badge {
        justify-self: end; min-width: 1.5rem; height: 1.5rem; padding: 0 0.45rem; border-radius: 999px;
        background: var(--wl-primary); color: var(--wl-on-primary); font-size: 0.8rem; font-weight: 700;
        display: inline-flex; align-items: center; justify-content: center;
      }
      .unread .last { color: var(--wl-text); font-weight: 600; }
      .last.removed { font-style: italic; }
      .empty, .state { padding: 1.5rem 1rem; color: var(--wl-muted); }
      .state .error { margin-bottom: 0.5rem; }
      .search { position: sticky; top: 0; z-index: 1; padding: 0.5rem 0.75rem; background: var(--wl-surface); border-bottom: 1px solid var(--wl-border); }
      .search input { min-height: 40px; padding: 0.4rem 0.75rem; }
      .patient { grid-column: 1 / -1; font-size: 0.85rem; color: var(--wl-text); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .hits-heading { margin: 0; padding: 0.6rem 1rem 0.3rem; font-size: 0.78rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; color: var(--wl-muted); }
      .hit .last { white-space: normal; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; }
      .patient .label { color: var(--wl-warn); font-weight: 700; font-size: 0.72rem; text-transform: uppercase; letter-spacing: 0.04em; margin-right: 0.2rem; }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) selectedId: string | null = null
  @state() private conversations: ConversationSummary[] | null = null
  @state() private problem: string | null = null
  @state() private query = ''
  @state() private hits: SearchHit[] = []
  #searchTimer: ReturnType<typeof setTimeout> | undefined
  #searchRun = 0

  /** Message search runs a moment after typing stops, and only the latest answer is shown. */
  #search(query: string): void {
    this.query = query
    clearTimeout(this.#searchTimer)
    const run = ++this.#searchRun
    if (query.trim().length < 2 || !this.client) {
      this.hits = []
      return
    }
    this.#searchTimer = setTimeout(async () => {
      const hits = await this.client?.call('searchMessages', { query, limit: 50 }).catch(() => [])
      if (run === this.#searchRun) this.hits = hits ?? []
    }, 150)
  }

  #refresh = coalesce(async () => {
    if (!this.client) return
    try {
      this.conversations = await this.client.call('listConversations', {})
      this.problem = null
    } catch (error) {
      this.problem = describeError(errorCode(error))
    }
  })

  constructor() {
    super()
    new WorkerEventsController(this, (client) => [
      client.on('conversations', () => this.#refresh()),
      client.on('messages', () => {
        this.#refresh()
        if (this.query.trim().length >= 2) this.#search(this.query)
      }),
    ])
  }

  override connectedCallback(): void {
    super.connectedCallback()
    this.#refresh()
  }

  override render() {
    if (this.problem && !this.conversations) {
      return html`<div class="state"><p class="error" role="alert">${this.problem}</p>
        <button @click=${() => this.#refresh()}>Try again</button></div>`
    }
    if (!this.conversations) return html`<div class="state" aria-busy="true">Loading conversations…</div>`
    if (this.conversations.length === 0) {
      return html`<p class="empty">No conversations yet. Start one with “New conversation”.</p>`
    }
    const shown = this.conversations.filter((c) => matchesSearch(c, this.query))
    const hits = this.query.trim().length >= 2 ? this.hits : []
    return html`<div class="search" role="search">
        <input type="search" data-testid="conversation-search" aria-label="Search conversations and messages"
          placeholder="Search names, MRN or messages" autocomplete="off" spellcheck="false" .value=${this.query}
          @input=${(e: InputEvent) => this.#search((e.target as HTMLInputElement).value)} />
      </div>
      ${shown.length ? html`<ul>${shown.map((c) => this.#renderRow(c))}</ul>` : null}
      ${hits.length
        ? html`<h2 class="hits-heading" id="hits-heading">Messages</h2>
          <ul aria-labelledby="hits-heading" data-testid="message-hits">${hits.map((h) => this.#renderHit(h))}</ul>`
        : null}
      ${shown.length === 0 && hits.length === 0
        ? html`<p class="empty" data-testid="no-search-results">Nothing on this device matches “<bdi>${this.query.trim()}</bdi>”.</p>`
        : null}`
  }

  #renderHit(h: SearchHit) {
    return html`<li>
      <button class="row hit" data-testid="message-hit" data-message-id=${h.messageId}
        @click=${() => emit(this, 'wl-navigate', { view: 'conversation', conversationId: h.conversationId })}>
        <span class="title"><bdi>${h.title}</bdi></span>
        <span class="time">${formatTime(h.at)}</span>
        <span class="last"><bdi>${h.authorName}</bdi>: <bdi>${h.snippet}</bdi></span>
        <span></span>
      </button>
    </li>`
  }

  #renderRow(c: ConversationSummary) {
    const last = c.lastMessage
    return html`<li>
      <button class="row ${c.unread > 0 ? 'unread' : ''}" data-testid="conversation" data-conversation-id=${c.conversationId}
        aria-current=${c.conversationId === this.selectedId ? 'true' : 'false'}
        @click=${() => emit(this, 'wl-navigate', { view: 'conversation', conversationId: c.conversationId })}>
        <span class="title"><bdi>${c.title}</bdi></span>
        <span class="time">${last ? formatTime(last.at) : ''}</span>
        ${c.patient && (c.patient.name || c.patient.mrn)
          ? html`<span class="patient" data-testid="conversation-patient"><span class="label">Patient</span>
              <bdi>${[c.patient.name, c.patient.mrn && `MRN ${c.patient.mrn}`].filter(Boolean).join(' · ')}</bdi></span>`
          : null}
        ${c.removed
          ? html`<span class="last removed" data-testid="removed-badge">You are no longer a member</span>`
          : html`<span class="last">${last
            ? html`${c.kind === 'group' ? html`<bdi>${last.authorName}</bdi>: ` : null}<bdi>${last.body.slice(0, 200)}</bdi>`
            : 'No messages yet'}</span>`}
        ${c.unread > 0
          ? html`<span class="badge" data-testid="unread" aria-label="${c.unread} unread">${c.unread}</span>`
          : html`<span></span>`}
      </button>
    </li>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-conversation-list': WlConversationList
  }
}
