/**
 * One conversation: its messages in the order the worker returns them (never re-sorted), the
 * status of own messages (queued / sent / delivered / read / not sent), and the composer — or,
 * once this device is no longer a member, a notice instead of it. "Members" opens wl-members
 * (beside the messages on wide screens, instead of them on narrow ones). Bodies are text only
 * (Lit text bindings, never HTML), in `dir=auto` blocks, and names sit in `<bdi>`. Calls
 * `markRead` while the newest messages are shown and the page is visible.
 *
 * Long conversations are windowed: the page asks the worker (`listMessagesPage`) for at most
 * WINDOW messages around what is on screen — the newest INITIAL at first — and loads a PAGE more as the
 * reader nears either end, keeping the message under the reader's eye in place. Messages over
 * COLLAPSE_CHARS characters or COLLAPSE_LINES lines show their start and a "Show more" button.
 *
 * Issue 9: the header shows the conversation's patient context (name, MRN, ward/bed) and "Patient"
 * opens wl-patient-context to set it; a patient-context record shows as a notice in the history.
 * Messages tagged as PHI and patient notices carry a watermark with the viewer's name and the
 * current time (wl-watermark, refreshed every WATERMARK_TICK_MS) and a "Patient information" label.
 */
import { LitElement, css, html, type PropertyValues } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { ifDefined } from 'lit/directives/if-defined.js'
import { repeat } from 'lit/directives/repeat.js'
import type { ConversationSummary, MessagePage, MessageStatus, MessageView } from '../../workers/protocol.ts'
import { describeError } from '../error-text.ts'
import { emit } from '../events.ts'
import { formatTime } from '../format-time.ts'
import { baseStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import { WorkerEventsController, coalesce } from '../worker-events.ts'
import { describePhiKinds } from '../phi-text.ts'
import './wl-composer.ts'
import './wl-members.ts'
import './wl-patient-context.ts'
import './wl-watermark.ts'
import './wl-attachment.ts'
import './wl-file-viewer.ts'
import type { WlFileViewer } from './wl-file-viewer.ts'

/** How often the watermark's time moves on. */
export const WATERMARK_TICK_MS = 30_000

const STATUS_TEXT: Record<MessageStatus, string> = {
  queued: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  'not-sent': 'not sent',
}

/** Messages kept in the page at once, and how many more are fetched near either end. */
export const WINDOW = 150
export const PAGE = 50
/** Messages fetched when a conversation opens: a few screens, so it paints quickly. */
export const INITIAL = 50
/** Fetch more when the reader is this close (px) to the top or bottom of what is loaded. */
const EDGE_PX = 600
export const COLLAPSE_CHARS = 1200
export const COLLAPSE_LINES = 12
/** How much of a collapsed message shows. */
const PREVIEW_CHARS = 300
const PREVIEW_LINES = 6

/** The start of a long message, or null when it is short enough to show whole. */
export function preview(body: string): string | null {
  const lines = body.split('\n')
  if (body.length <= COLLAPSE_CHARS && lines.length <= COLLAPSE_LINES) return null
  const head = lines.slice(0, PREVIEW_LINES).join('\n')
  return head.length > PREVIEW_CHARS ? head.slice(0, PREVIEW_CHARS) : head
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
      li.mine .bubble { background: var(--wl-mine); border-color: var(--wl-mine-border); border-radius: 14px 14px 4px 14px; }
      .author { font-size: 0.8rem; font-weight: 700; color: var(--wl-primary); margin-bottom: 0.1rem; }
      .body { white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: isolate; }
      .body.collapsed::after { content: '…'; }
      button.more { min-height: 36px; margin-top: 0.25rem; padding: 0 0.6rem; font-size: 0.9rem; }
      .scroll:focus-visible { outline: 3px solid var(--wl-focus); outline-offset: -3px; }
      .window-edge { text-align: center; color: var(--wl-muted); font-size: 0.85rem; padding: 0.5rem; }
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
      .patient-bar {
        flex: none; display: flex; align-items: baseline; gap: 0.5rem; padding: 0.4rem 1rem; font-size: 0.9rem; font-weight: 600;
        background: var(--wl-surface); border-bottom: 1px solid var(--wl-border); box-shadow: inset 4px 0 0 var(--wl-warn);
      }
      .patient-bar .label { flex: none; color: var(--wl-warn); font-weight: 700; font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em; }
      .patient-bar .line { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .back-word { margin-left: 0.3rem; }
      @media (max-width: 420px) { .back-word { display: none; } .head .back { padding: 0 0.75rem; } }
      .head .panel-toggle { flex: none; padding: 0 0.75rem; }
      .head .panel-toggle[aria-expanded='true'] { background: var(--wl-primary-soft); }
      wl-patient-context { flex: 1; min-width: 0; }
      .main.with-patient .thread { display: none; }
      @media (min-width: 1200px) {
        .main.with-patient .thread { display: flex; }
        wl-patient-context { flex: 0 0 22rem; border-left: 1px solid var(--wl-border); }
      }
      .bubble.phi { position: relative; overflow: hidden; }
      .bubble.phi > :not(wl-watermark) { position: relative; z-index: 2; }
      .phi-label {
        display: inline-block; margin-right: 0.35rem; padding: 0 0.4rem; border-radius: 999px; font-weight: 700; font-size: 0.72rem;
        color: var(--wl-warn); border: 1px solid currentColor; vertical-align: 1px;
      }
      li.notice { align-self: center; max-width: min(100%, 36rem); }
      li.notice .bubble {
        background: var(--wl-bg); border: 1px dashed var(--wl-border); border-radius: var(--wl-radius); text-align: center;
        font-size: 0.9rem; padding: 0.45rem 0.9rem;
      }
      li.notice .meta { text-align: center; }
      @media (max-width: 420px) { .head .panel-toggle { padding: 0 0.5rem; } }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property() conversationId = ''
  /** My userId (status().me), to tell "you" apart in the members panel and to leave. */
  @property({ attribute: false }) meUserId = ''
  /** My display name, for the watermark on patient information. */
  @property({ attribute: false }) meName = ''
  /** Organisation policy: files may be saved or shared out (decision 0018). */
  @property({ type: Boolean }) allowFileExport = false
  @state() private membersOpen = false
  @state() private patientOpen = false
  /** The watermark's time. */
  @state() private now = Date.now()
  #tick: ReturnType<typeof setInterval> | undefined
  @state() private messages: MessageView[] | null = null
  /** Index of messages[0] in the whole conversation, and how many it has. */
  @state() private windowStart = 0
  @state() private total = 0
  /** Long messages the reader opened with "Show more". */
  @state() private expanded = new Set<string>()
  /** Following the newest messages (the window ends at the last one). */
  #atTail = true
  #loadingEdge = false
  /** The message kept in place while the window moves: its id and its offset from the scroll top. */
  #anchor: { id: string; offset: number } | null = null
  @state() private summary: ConversationSummary | null = null
  @state() private problem: string | null = null
  @query('.scroll') private scroller!: HTMLElement | null
  #stickToBottom = true
  #lastReadMarker: string | null = null

  #refreshMessages = coalesce(async () => {
    const { client, conversationId } = this
    if (!client || !conversationId) return
    try {
      const page = await client.call('listMessagesPage', this.#atTail
        ? { conversationId, limit: Math.min(WINDOW, Math.max(INITIAL, this.messages?.length ?? 0)) }
        : { conversationId, start: this.windowStart, limit: Math.max(this.messages?.length ?? 0, PAGE) })
      if (conversationId !== this.conversationId) return
      this.#show(page)
      this.problem = null
      this.#markReadIfSeen()
    } catch (error) {
      this.problem = describeError(errorCode(error))
    }
  })

  #show(page: MessagePage): void {
    this.messages = page.messages
    this.windowStart = page.start
    this.total = page.total
    this.#atTail = page.start + page.messages.length >= page.total
  }

  /** Moves the window by PAGE towards the top (-1) or the bottom (+1), keeping the view in place. */
  async #moveWindow(direction: -1 | 1): Promise<void> {
    const { client, conversationId, messages } = this
    if (!client || !messages || this.#loadingEdge) return
    const end = this.windowStart + messages.length
    if (direction < 0 ? this.windowStart === 0 : end >= this.total) return
    this.#loadingEdge = true
    try {
      const start = direction < 0
        ? Math.max(0, this.windowStart - PAGE)
        : Math.max(0, Math.min(this.total, end + PAGE) - WINDOW)
      const page = await client.call('listMessagesPage', { conversationId, start, limit: WINDOW })
      if (conversationId !== this.conversationId) return
      this.#anchor = this.#visibleAnchor()
      this.#stickToBottom = false
      this.#show(page)
      await this.updateComplete
    } catch {
      // the next scroll tries again
    } finally {
      this.#loadingEdge = false
    }
  }

  /** The first message at least partly on screen, with its distance from the top of the view. */
  #visibleAnchor(): { id: string; offset: number } | null {
    const el = this.scroller
    if (!el) return null
    const top = el.getBoundingClientRect().top
    for (const li of el.querySelectorAll<HTMLElement>('li[data-message-id]')) {
      const r = li.getBoundingClientRect()
      if (r.bottom > top) return { id: li.dataset.messageId!, offset: r.top - top }
    }
    return null
  }

  /** Home / End in the message history jump to the first / newest messages directly. */
  #onKeyDown = (e: KeyboardEvent): void => {
    if (e.key === 'End' && !this.#atTail) {
      e.preventDefault()
      this.#jumpToNewest()
    } else if (e.key === 'Home' && this.windowStart > 0) {
      e.preventDefault()
      void this.#jumpToStart()
    }
  }

  #jumpToNewest(): void {
    this.#atTail = true
    this.#stickToBottom = true
    this.#anchor = null
    this.#refreshMessages()
  }

  async #jumpToStart(): Promise<void> {
    const { client, conversationId } = this
    if (!client) return
    const page = await client.call('listMessagesPage', { conversationId, start: 0, limit: WINDOW }).catch(() => null)
    if (!page || conversationId !== this.conversationId) return
    this.#stickToBottom = false
    this.#anchor = null
    this.#show(page)
    await this.updateComplete
    if (this.scroller) this.scroller.scrollTop = 0
  }

  #onScroll = (): void => {
    const el = this.scroller
    if (!el || !this.messages) return
    if (el.scrollTop < EDGE_PX) void this.#moveWindow(-1)
    else if (el.scrollHeight - el.scrollTop - el.clientHeight < EDGE_PX && !this.#atTail) void this.#moveWindow(1)
  }

  #refreshSummary = coalesce(async () => {
    if (!this.client) return
    const list = await this.client.call('listConversations', {}).catch(() => null)
    if (list) this.summary = list.find((c) => c.conversationId === this.conversationId) ?? null
  })

  #onVisibility = (): void => this.#markReadIfSeen(true)

  constructor() {
    super()
    new WorkerEventsController(this, (client) => [
      // A patient-context record arrives as a message: the header's summary changes with it.
      client.on('messages', (d) => d.conversationId === this.conversationId && (this.#refreshMessages(), this.#refreshSummary())),
      client.on('conversations', () => this.#refreshSummary()),
      client.on('people', () => this.#refreshSummary()),
    ])
  }

  override connectedCallback(): void {
    super.connectedCallback()
    document.addEventListener('visibilitychange', this.#onVisibility)
    this.now = Date.now()
    this.#tick = setInterval(() => (this.now = Date.now()), WATERMARK_TICK_MS)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    document.removeEventListener('visibilitychange', this.#onVisibility)
    clearInterval(this.#tick)
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('conversationId')) {
      this.messages = null
      this.windowStart = 0
      this.total = 0
      this.expanded = new Set()
      this.#atTail = true
      this.#anchor = null
      this.summary = null
      this.problem = null
      this.membersOpen = false
      this.patientOpen = false
      this.#stickToBottom = true
      this.#lastReadMarker = null
      this.#refreshMessages()
      this.#refreshSummary()
    }
    const el = this.scroller
    if (changed.has('messages') && el && !this.#anchor) {
      this.#stickToBottom = this.#atTail && el.scrollHeight - el.scrollTop - el.clientHeight < 80
    }
  }

  protected override updated(changed: PropertyValues): void {
    const el = this.scroller
    if (!changed.has('messages') || !el) return
    const anchor = this.#anchor
    this.#anchor = null
    const li = anchor ? el.querySelector<HTMLElement>(`li[data-message-id="${CSS.escape(anchor.id)}"]`) : null
    if (li) el.scrollTop += li.getBoundingClientRect().top - el.getBoundingClientRect().top - anchor!.offset
    else if (this.#stickToBottom) el.scrollTop = el.scrollHeight
  }

  /** Marks read when new incoming messages are on screen (or the page just became visible). */
  #markReadIfSeen(force = false): void {
    if (!this.client || !this.messages || !this.#atTail || document.visibilityState !== 'visible' || !this.isConnected) return
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
          @click=${() => emit(this, 'wl-navigate', { view: 'list' })}>←<span class="back-word">Back</span></button>
        <div class="titles">
          <h2><bdi>${s?.title ?? 'Conversation'}</bdi></h2>
          ${s ? html`<div class="sub">${s.kind === 'group' ? `${s.memberUserIds.length} people` : 'Direct'} · end-to-end encrypted</div>` : null}
        </div>
        ${s && !s.removed
          ? html`<button class="quiet panel-toggle" data-testid="patient-toggle" aria-expanded=${this.patientOpen ? 'true' : 'false'}
              @click=${() => ((this.patientOpen = !this.patientOpen), (this.membersOpen = false))}>Patient</button>`
          : null}
        ${s
          ? html`<button class="quiet members-toggle" data-testid="members-toggle" aria-expanded=${this.membersOpen ? 'true' : 'false'}
              @click=${() => ((this.membersOpen = !this.membersOpen), (this.patientOpen = false))}>Members</button>`
          : null}
      </div>
      ${s?.patient && (s.patient.name || s.patient.mrn)
        ? html`<div class="patient-bar" data-testid="patient-context"><span class="label">Patient</span>
            <span class="line">${this.#patientLine(s.patient)}</span></div>`
        : null}
      <div class="main ${this.membersOpen ? 'with-members' : ''} ${this.patientOpen ? 'with-patient' : ''}">
        <div class="thread">
          <div class="scroll" tabindex="0" role="region" aria-label="Message history" data-testid="message-scroll"
            @scroll=${this.#onScroll} @keydown=${this.#onKeyDown}>${this.windowStart === 0 ? this.#renderUnavailable() : null}${this.#renderMessages()}</div>
          ${s?.removed
            ? html`<p class="removed" data-testid="removed-notice" role="status">You are no longer a member of this conversation</p>`
            : html`${s && s.memberUserIds.length < 2
              ? html`<p class="removed" data-testid="alone-notice" role="status">Nobody else is in this conversation: messages here reach no one.</p>`
              : null}<wl-composer .client=${this.client} .conversationId=${this.conversationId} @wl-sent=${() => this.#onSent()}></wl-composer>`}
          <wl-file-viewer .client=${this.client} .allowExport=${this.allowFileExport} .viewer=${this.meName || 'You'} .at=${this.now}></wl-file-viewer>
        </div>
        ${this.membersOpen
          ? html`<wl-members .client=${this.client} .summary=${s} .meUserId=${this.meUserId} aria-label="Members"></wl-members>`
          : null}
        ${this.patientOpen
          ? html`<wl-patient-context .client=${this.client} .summary=${s} aria-label="Patient"
              @wl-dismiss=${(e: Event) => (e.stopPropagation(), (this.patientOpen = false))}></wl-patient-context>`
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
    this.#atTail = true
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
    const before = this.windowStart
    const after = this.total - before - this.messages.length
    return html`${before > 0 ? html`<p class="window-edge" data-testid="earlier-messages">${before} earlier messages</p>` : null}
      <ol aria-label="Messages" data-start=${before} data-total=${this.total}>${repeat(this.messages, (m) => m.id, (m) => this.#renderMessage(m, group))}</ol>
      ${after > 0
        ? html`<p class="window-edge">${after} newer messages
            <button class="quiet" data-testid="jump-newest" @click=${() => this.#jumpToNewest()}>Show newest</button></p>`
        : null}`
  }

  #patientLine(p: NonNullable<ConversationSummary['patient']>) {
    const place = [p.ward && `Ward ${p.ward}`, p.bed && `bed ${p.bed}`].filter(Boolean).join(', ')
    return html`${p.name ? html`<bdi>${p.name}</bdi>` : null}${p.mrn ? html`${p.name ? ' · ' : ''}MRN <bdi>${p.mrn}</bdi>` : null}${place
      ? html` · <bdi>${place}</bdi>`
      : null}`
  }

  #watermark() {
    return html`<wl-watermark data-testid="phi-watermark" .viewer=${this.meName || 'You'} .at=${this.now}></wl-watermark>`
  }

  #renderMessage(m: MessageView, group: boolean) {
    const status = m.mine && m.status ? m.status : undefined
    if (m.patient) {
      return html`<li class="notice" data-testid="patient-notice" data-message-id=${m.id} data-status=${ifDefined(status)}>
        <div class="bubble phi">${this.#watermark()}
          <div dir="auto"><bdi>${m.mine ? 'You' : m.authorName}</bdi> set the patient: <bdi>${m.body}</bdi></div>
        </div>
        <div class="meta">${formatTime(m.createdAt)}</div>
      </li>`
    }
    const phi = m.phi && m.phi.length > 0
    return html`<li class=${m.mine ? 'mine' : 'theirs'} data-testid="message" data-message-id=${m.id}
      data-status=${ifDefined(status)} data-phi=${ifDefined(phi ? m.phi!.join(' ') : undefined)}>
      <div class="bubble ${phi ? 'phi' : ''}">
        ${phi ? this.#watermark() : null}
        ${!m.mine && group ? html`<div class="author"><bdi>${m.authorName}</bdi></div>` : null}
        ${m.attachment
          ? html`<wl-attachment .client=${this.client} .conversationId=${this.conversationId} .recordId=${m.id}
              .attachment=${m.attachment} .viewer=${this.meName || 'You'} .at=${this.now}
              @wl-open-file=${(e: CustomEvent<{ recordId: string; attachment: NonNullable<MessageView['attachment']> }>) =>
                void this.#viewer?.show(this.conversationId, e.detail.recordId, e.detail.attachment)}></wl-attachment>`
          : null}
        ${m.attachment && !m.body ? null : this.#renderBody(m)}
      </div>
      <div class="meta">
        ${phi
          ? html`<span class="phi-label" data-testid="phi-label" title=${describePhiKinds(m.phi!)}>Patient information</span>`
          : null}${formatTime(m.createdAt)}${status
          ? html` · <span class="status" data-testid="message-status">${STATUS_TEXT[status]}</span>`
          : null}
      </div>
    </li>`
  }

  get #viewer(): WlFileViewer | null {
    return this.renderRoot.querySelector('wl-file-viewer')
  }

  #renderBody(m: MessageView) {
    const head = preview(m.body)
    if (head === null) return html`<div class="body" dir="auto" data-testid="message-body">${m.body}</div>`
    const open = this.expanded.has(m.id)
    const id = `body-${m.id}`
    return html`<div class="body ${open ? '' : 'collapsed'}" id=${id} dir="auto" data-testid="message-body">${open ? m.body : head}</div>
      <button class="quiet more" data-testid="show-more" aria-expanded=${open ? 'true' : 'false'} aria-controls=${id}
        @click=${() => this.#toggle(m.id)}>${open ? 'Show less' : 'Show more'}</button>`
  }

  #toggle(id: string): void {
    const next = new Set(this.expanded)
    if (!next.delete(id)) next.add(id)
    this.#anchor = null
    this.#stickToBottom = false
    this.expanded = next
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-conversation': WlConversation
  }
}
