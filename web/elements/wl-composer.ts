/**
 * The message composer: Enter sends, Shift+Enter adds a line. The draft and its clientId live
 * in memory per conversation (drafts.ts: plaintext is never written to Web Storage), so repeated taps never send twice; a new
 * clientId is drawn only after the worker accepted the message.
 */
import { LitElement, css, html, type PropertyValues } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { type Draft, loadDraft, saveDraft } from '../drafts.ts'
import { describeError } from '../error-text.ts'
import { emitPlain } from '../events.ts'
import { baseStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'

@customElement('wl-composer')
export class WlComposer extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; background: var(--wl-surface); border-top: 1px solid var(--wl-border); padding: 0.5rem; }
      form { display: flex; gap: 0.5rem; align-items: flex-end; }
      textarea {
        flex: 1; resize: none; field-sizing: content; min-height: var(--wl-tap); max-height: 40vh; line-height: 1.4;
      }
      .error { margin: 0 0 0.5rem; }
      /* Quieter, never disabled: a second tap must be a harmless no-op rather than wait or fail.
         Outlined rather than faded, so its label keeps AA contrast. */
      button.primary.idle { background: var(--wl-surface); color: var(--wl-primary); }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property() conversationId = ''
  @state() private draft: Draft = { body: '', clientId: '' }
  @state() private problem: string | null = null
  @query('textarea') private textarea!: HTMLTextAreaElement
  /** Plain field as well as state: a second tap arrives before Lit re-renders. */
  #sending = false
  @state() private sending = false

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('conversationId')) {
      this.draft = loadDraft(this.conversationId)
      this.problem = null
    }
  }

  override render() {
    return html`
      ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : null}
      <form @submit=${(e: Event) => (e.preventDefault(), void this.#send())}>
        <textarea data-testid="composer" rows="1" aria-label="Message" placeholder="Message"
          .value=${this.draft.body} @input=${this.#onInput} @keydown=${this.#onKeyDown}></textarea>
        <button class="primary ${this.sending || !this.draft.body.trim() ? 'idle' : ''}" data-testid="send"
          type="submit">Send</button>
      </form>
    `
  }

  #onInput(e: InputEvent): void {
    this.draft = { ...this.draft, body: (e.target as HTMLTextAreaElement).value }
    saveDraft(this.conversationId, this.draft)
  }

  #onKeyDown(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault()
      void this.#send()
    }
  }

  async #send(): Promise<void> {
    const body = this.textarea.value.trim()
    if (!body || !this.client || this.#sending) return
    this.#sending = this.sending = true
    const { conversationId } = this
    const clientId = this.draft.clientId
    try {
      await this.client.call('sendMessage', { conversationId, body, clientId })
      this.problem = null
      // Only now is a new id drawn; until then every retry reuses clientId.
      // Text typed while the call ran stays, as the start of the next message.
      const still = conversationId === this.conversationId ? this.textarea.value : ''
      const next = { body: still.trim() === body ? '' : still, clientId: crypto.randomUUID() }
      saveDraft(conversationId, next)
      if (conversationId === this.conversationId) {
        this.draft = next
        this.textarea.value = next.body
      }
      emitPlain(this, 'wl-sent')
    } catch (error) {
      this.problem = describeError(errorCode(error))
    } finally {
      this.#sending = this.sending = false
      this.textarea.focus()
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-composer': WlComposer
  }
}
