/**
 * The unlocked app: header (connection, Install when offered, Lock, Switch user), the conversation list, and one main view
 * (conversation, new conversation, add person, organisation). Narrow screens show the list or
 * the main view with a back button; wide screens (≥ 900px) show both panes. Views are history
 * entries so the phone's back gesture returns to the list.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import { clearDrafts } from '../drafts.ts'
import type { StatusSnapshot } from '../../workers/protocol.ts'
import type { NavigateDetail, ShellView } from '../events.ts'
import { emit, emitPlain } from '../events.ts'
import { IdleLock } from '../idle-lock.ts'
import { baseStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'
import './wl-add-person.ts'
import './wl-compliance-notice.ts'
import './wl-admin.ts'
import './wl-conversation-list.ts'
import './wl-conversation.ts'
import './wl-install-button.ts'
import './wl-new-conversation.ts'
import './wl-organisation.ts'
import './wl-restore-offer.ts'

type HistoryState = { wlView?: ShellView; wlConversation?: string }

@customElement('wl-shell')
export class WlShell extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: flex; flex-direction: column; height: 100%; background: var(--wl-bg); }
      header {
        flex: none; display: flex; align-items: center; gap: 0.5rem; padding: 0.35rem 0.5rem 0.35rem 0.9rem;
        background: var(--wl-surface); border-bottom: 1px solid var(--wl-border); min-height: 56px;
      }
      .brand { display: flex; align-items: center; gap: 0.5rem; font-weight: 700; color: var(--wl-primary); font-size: 1.1rem; }
      .brand img { width: 28px; height: 28px; border-radius: 7px; }
      .spacer { flex: 1; }
      .conn {
        display: inline-flex; align-items: center; gap: 0.4rem; font-size: 0.875rem; font-weight: 600;
        padding: 0.25rem 0.65rem; border-radius: 999px; background: var(--wl-bg); color: var(--wl-muted); white-space: nowrap;
      }
      .dot { width: 0.6rem; height: 0.6rem; border-radius: 50%; background: var(--wl-muted); flex: none; }
      .conn[data-state='online'] .dot { background: var(--wl-ok); }
      .conn[data-state='connecting'] .dot { background: #d89b00; }
      .conn[data-state='offline'] { background: #fff4d6; color: #4d3600; }
      .conn[data-state='offline'] .dot { background: #8a5a00; }
      .panes { flex: 1; min-height: 0; display: flex; }
      .pane-list, .pane-main { min-height: 0; min-width: 0; display: flex; flex-direction: column; }
      .pane-list { flex: 1; background: var(--wl-surface); }
      .pane-main { flex: 1; }
      .pane-main > * { flex: 1; min-height: 0; }
      :host([view='list']) .pane-main { display: none; }
      :host(:not([view='list'])) .pane-list { display: none; }
      .toolbar { display: flex; flex-wrap: wrap; gap: 0.5rem; padding: 0.75rem; border-bottom: 1px solid var(--wl-border); }
      .toolbar button { white-space: nowrap; padding: 0 0.8rem; }
      .toolbar .primary { flex: 1 1 auto; }
      /* On a short phone screen with notices above, the list keeps room to tap and the pane scrolls. */
      .pane-list { overflow-y: auto; }
      wl-conversation-list { flex: 1 0 12rem; min-height: 12rem; }
      .footer { border-top: 1px solid var(--wl-border); padding: 0.25rem 0.5rem; display: flex; flex-wrap: wrap; gap: 0 0.25rem; }
      .placeholder { display: flex; align-items: center; justify-content: center; color: var(--wl-muted); padding: 2rem; text-align: center; }
      header button { flex: none; }
      .lease-warning { flex: none; margin: 0; padding: 0.5rem 0.9rem; background: #fff4d6; color: #4d3600; font-size: 0.92rem; }
      .short { display: none; }
      @media (max-width: 420px) {
        .brand span { display: none; }
        /* Everything fits a 360 px phone: the status pill gives way first, then the labels shorten. */
        .conn { padding: 0.25rem 0.5rem; min-width: 0; flex: 0 1 auto; }
        .conn > span:last-child { overflow: hidden; text-overflow: ellipsis; }
        header { gap: 0.25rem; padding-left: 0.6rem; }
        header button { padding-inline: 0.55rem; }
        .long { display: none; }
        .short { display: inline; }
      }
      @media (min-width: 900px) {
        .pane-list { flex: 0 0 24rem; display: flex !important; border-right: 1px solid var(--wl-border); }
        .pane-main { display: flex !important; }
      }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) status: StatusSnapshot | null = null
  /** Shared-device mode: the lock-screen label of the person using the app (web/profiles.ts). */
  @property({ attribute: false }) profileLabel = ''
  @property({ reflect: true }) view: ShellView = 'list'
  @state() private conversationId: string | null = null
  @state() private locking = false

  /** Locks after the policy's idle minutes the same way the Lock button does. */
  #idleLock: IdleLock | null = null

  #onPopState = (e: PopStateEvent): void => {
    const s = (e.state ?? {}) as HistoryState
    this.view = s.wlView ?? 'list'
    this.conversationId = s.wlConversation ?? null
  }

  override connectedCallback(): void {
    super.connectedCallback()
    window.addEventListener('popstate', this.#onPopState)
    // After an unlock the shell starts at the list: forget a view entry left from before.
    if ((history.state as HistoryState | null)?.wlView) history.replaceState(null, '')
    this.addEventListener('wl-navigate', this.#onNavigate)
    this.#idleLock = new IdleLock({ minutes: this.status?.idleLockMinutes ?? 15, onIdle: () => void this.#lock() })
  }

  protected override updated(): void {
    if (this.status) this.#idleLock?.setMinutes(this.status.idleLockMinutes)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    window.removeEventListener('popstate', this.#onPopState)
    this.removeEventListener('wl-navigate', this.#onNavigate)
    this.#idleLock?.stop()
    this.#idleLock = null
  }

  #onNavigate = (e: CustomEvent<NavigateDetail>): void => {
    e.stopPropagation()
    const { view, conversationId } = e.detail
    const current = (history.state ?? {}) as HistoryState
    if (view === 'list') {
      if (current.wlView) history.back() // popstate sets the view
      else this.view = 'list'
      return
    }
    const next: HistoryState = { wlView: view, ...(conversationId ? { wlConversation: conversationId } : {}) }
    if (current.wlView) history.replaceState(next, '')
    else history.pushState(next, '')
    this.view = view
    this.conversationId = conversationId ?? null
  }

  /**
   * Locks, then lets main.ts replace the worker (terminating it drops the keys); with `switchUser`
   * main.ts shows the picker of the people on this device instead of this person's lock screen.
   */
  async #lock(switchUser = false): Promise<void> {
    if (!this.client || this.locking) return
    this.locking = true
    // Stop sync cleanly, hide everything, then let main.ts replace the worker: terminating it
    // is what drops the keys from memory (workers/wardline.worker.ts).
    const locked = await this.client.call('lock', {}).catch(() => null)
    clearDrafts()
    if (locked && !switchUser) emit(this, 'wl-status', locked)
    emitPlain(this, switchUser ? 'wl-switch-user' : 'wl-restart-worker')
  }

  override render() {
    const s = this.status
    const isAdmin = s?.me?.role === 'admin'
    return html`
      <header>
        <div class="brand"><img src="/icons/icon-192.png" alt="" /><span>Wardline</span></div>
        <span class="spacer"></span>
        ${this.#renderConnection()}
        <wl-install-button></wl-install-button>
        <button class="quiet" data-testid="lock" ?disabled=${this.locking} @click=${() => void this.#lock()}>Lock</button>
        <button class="quiet" data-testid="switch-user" ?disabled=${this.locking} @click=${() => void this.#lock(true)}
          aria-label="Switch user"
          title=${this.profileLabel ? `Lock ${this.profileLabel}’s messages and let someone else unlock` : 'Lock and let someone else unlock'}><span class="long">Switch user</span><span class="short">Switch</span></button>
      </header>
      <wl-compliance-notice .compliance=${s?.compliance ?? null} .deviceId=${s?.me?.deviceId ?? ''}></wl-compliance-notice>
      ${s?.lease?.state === 'ending' && s.lease.locksAt
        ? html`<p class="lease-warning" role="status" data-testid="lease-warning">Connect to your organisation’s network before
            ${new Date(s.lease.locksAt).toLocaleString()}, or Wardline locks on this device until it does.</p>`
        : null}
      <div class="panes">
        <section class="pane-list" aria-label="Conversations">
          <div class="toolbar">
            <button class="primary" data-testid="new-conversation" @click=${() => this.#go('new')}>New conversation</button>
            ${isAdmin ? html`<button data-testid="add-person" @click=${() => this.#go('add-person')}>Add person</button>` : null}
          </div>
          <wl-restore-offer .client=${this.client} .connection=${s?.connection ?? 'offline'}></wl-restore-offer>
          <wl-conversation-list .client=${this.client} .selectedId=${this.view === 'conversation' ? this.conversationId : null}></wl-conversation-list>
          <div class="footer">
            <button class="quiet" data-testid="organisation" @click=${() => this.#go('organisation')}>Organisation &amp; this device</button>
            ${isAdmin ? html`<button class="quiet" data-testid="admin-console" @click=${() => this.#go('admin')}>Admin console</button>` : null}
          </div>
        </section>
        <section class="pane-main">${this.#renderMain(s)}</section>
      </div>
    `
  }

  #renderConnection() {
    const s = this.status
    const state = s?.connection ?? 'offline'
    const queued = s?.queued ?? 0
    const text = `${state}${queued > 0 ? ` · ${queued} waiting` : ''}`
    // One line, no whitespace around the text: tests and screen readers read "offline · 2 waiting".
    return html`<div class="conn" data-testid="connection" data-state=${state} role="status" aria-live="polite"><span class="dot"></span><span>${text}</span></div>`
  }

  #renderMain(s: StatusSnapshot | null) {
    switch (this.view) {
      case 'conversation':
        return this.conversationId
          ? html`<wl-conversation .client=${this.client} .conversationId=${this.conversationId}
              .meUserId=${s?.me?.userId ?? ''} .meName=${s?.me?.displayName ?? ''}
              .allowFileExport=${s?.allowFileExport === true}></wl-conversation>`
          : this.#placeholder()
      case 'new':
        return html`<wl-new-conversation .client=${this.client}></wl-new-conversation>`
      case 'add-person':
        return s?.me?.role === 'admin'
          ? html`<wl-add-person .client=${this.client} .rootFingerprint=${s.rootFingerprint}></wl-add-person>`
          : this.#placeholder()
      case 'admin':
        // Admin role only: the worker also refuses every admin call from a device without the root key.
        return s?.me?.role === 'admin'
          ? html`<wl-admin .client=${this.client} .me=${s.me}></wl-admin>`
          : this.#placeholder()
      case 'organisation':
        return html`<wl-organisation .rootFingerprint=${s?.rootFingerprint ?? null} .me=${s?.me ?? null} .client=${this.client}
          .compliance=${s?.compliance ?? null}
          .prfCredentialId=${s?.prfCredentialId ?? null} .lease=${s?.lease ?? null}></wl-organisation>`
      case 'list':
        return this.#placeholder()
    }
  }

  #placeholder() {
    return html`<div class="placeholder">Choose a conversation, or start a new one.</div>`
  }

  #go(view: ShellView): void {
    emit(this, 'wl-navigate', { view })
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-shell': WlShell
  }
}
