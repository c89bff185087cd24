/**
 * The message composer: Enter sends, Shift+Enter adds a line. The draft and its clientId live
 * in memory per conversation (drafts.ts: plaintext is never written to Web Storage), so repeated taps never send twice; a new
 * clientId is drawn only after the worker accepted the message.
 *
 * While typing, the draft is checked for likely PHI on the device (`checkPhi`, the worker's detector
 * with the conversation's patient context; issue 9). A hint names what was found and lists the
 * parts; it never blocks sending. The worker runs the same check when it signs the message and
 * tags it, so the tag does not depend on this hint having run.
 *
 * Files (issue 9, decision 0018) come in by the Attach button (file picker), paste, drag and drop,
 * or the in-app camera — all through `takeFiles`, one size limit and one path. They wait in memory
 * (never in Web Storage) as chips above the field; Send hands each to the worker, which cleans
 * images, seals every file in chunks and queues it like a message. The text goes with the first.
 */
import { LitElement, css, html, svg, type PropertyValues } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { type Draft, loadDraft, saveDraft } from '../drafts.ts'
import { describeError } from '../error-text.ts'
import { emitPlain } from '../events.ts'
import { baseStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import { WorkerEventsController } from '../worker-events.ts'
import type { PhiSpan } from '../../workers/protocol.ts'
import { describePhiKinds, PHI_KIND_LABEL } from '../phi-text.ts'
import { checkAttachmentSize, FILE_KIND_LABEL, fileKind, formatSize } from '../attachment-text.ts'
import type { WlCamera } from './wl-camera.ts'
import './wl-camera.ts'

/** Line icons (no emoji: kiosk and headless browsers may lack an emoji font). */
const icon = (d: string) =>
  html`<svg data-app-icon viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2"
    stroke-linecap="round" stroke-linejoin="round">${svg`<path d=${d}></path>`}</svg>`
const PAPERCLIP = 'M21 11.5l-8.6 8.6a5 5 0 0 1-7.1-7.1l8.6-8.6a3.3 3.3 0 0 1 4.7 4.7l-8.6 8.6a1.7 1.7 0 0 1-2.4-2.4l7.9-7.9'
const CAMERA = 'M4 8h3l2-3h6l2 3h3a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V9a1 1 0 0 1 1-1zM12 17a4 4 0 1 0 0-8 4 4 0 0 0 0 8z'

/** How a file came in; every source takes the same path (takeFiles). */
export type FileSource = 'pick' | 'paste' | 'drop' | 'camera'
type PendingFile = { file: File; clientId: string; source: FileSource }

/** Wait this long after the last keystroke before checking the draft. */
export const PHI_CHECK_DELAY_MS = 150
/** Flagged parts listed in the hint; more are counted. */
const MAX_LISTED = 6

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
      .phi {
        margin: 0 0 0.5rem; padding: 0.5rem 0.75rem; border-radius: var(--wl-radius); font-size: 0.9rem;
        background: var(--wl-primary-soft); border-left: 4px solid var(--wl-warn); color: var(--wl-text);
      }
      .phi p { margin: 0; }
      .phi .why { color: var(--wl-muted); }
      .phi ul { list-style: none; margin: 0.35rem 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.3rem; }
      .phi li {
        display: inline-flex; align-items: baseline; gap: 0.35rem; max-width: 100%; padding: 0.1rem 0.5rem;
        border-radius: 999px; background: var(--wl-surface); border: 1px solid var(--wl-border);
      }
      .phi mark { background: none; color: inherit; font-weight: 700; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; unicode-bidi: isolate; }
      .phi .kind { color: var(--wl-muted); font-size: 0.8rem; white-space: nowrap; }
      .tools { display: flex; gap: 0.25rem; }
      .tools button { padding: 0 0.6rem; }
      .files { list-style: none; margin: 0 0 0.5rem; padding: 0; display: flex; flex-wrap: wrap; gap: 0.4rem; }
      .files li {
        display: inline-flex; align-items: center; gap: 0.5rem; max-width: 100%; padding: 0.25rem 0.25rem 0.25rem 0.75rem;
        border: 1px solid var(--wl-border); border-radius: var(--wl-radius); background: var(--wl-primary-soft);
      }
      .files .name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; unicode-bidi: isolate; }
      .files .size { color: var(--wl-muted); font-size: 0.85rem; white-space: nowrap; }
      .files button { min-height: 36px; min-width: 36px; padding: 0 0.5rem; }
      :host([dragging]) { outline: 3px dashed var(--wl-primary); outline-offset: -6px; }
      input[type='file'] { display: none; }
      @media (max-width: 420px) { .tools .label { display: none; } }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property() conversationId = ''
  @state() private draft: Draft = { body: '', clientId: '' }
  @state() private problem: string | null = null
  @query('textarea') private textarea!: HTMLTextAreaElement
  @query('input[type=file]') private picker!: HTMLInputElement
  @query('wl-camera') private camera!: WlCamera
  /** Files waiting to be sent with the next Send, in memory only. */
  @state() private files: PendingFile[] = []
  /** Plain field as well as state: a second tap arrives before Lit re-renders. */
  #sending = false
  @state() private sending = false
  /** What the detector flagged in `phiText` (the draft it last checked). */
  @state() private phi: PhiSpan[] = []
  #phiText = ''
  #phiTimer: ReturnType<typeof setTimeout> | undefined

  constructor() {
    super()
    // A new patient context changes what the detector looks for: check the draft again.
    new WorkerEventsController(this, (client) => [
      client.on('messages', (d) => d.conversationId === this.conversationId && this.draft.body.trim() !== '' && this.#schedulePhiCheck()),
    ])
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('conversationId')) {
      this.draft = loadDraft(this.conversationId)
      this.problem = null
      this.phi = []
      this.files = []
      this.#schedulePhiCheck()
    }
  }

  /**
   * The one way in for files, whatever their source: the same size check and the same queue.
   * Returns how many were taken (the rest are named in the error).
   */
  takeFiles(list: Iterable<File>, source: FileSource): number {
    const taken: PendingFile[] = []
    const refused: string[] = []
    for (const file of list) {
      const tooBig = checkAttachmentSize(file)
      if (tooBig) refused.push(tooBig)
      else taken.push({ file, clientId: crypto.randomUUID(), source })
    }
    this.problem = refused.length ? refused.join(' ') : null
    if (taken.length) this.files = [...this.files, ...taken]
    this.dataset.lastSource = source
    return taken.length
  }

  #onPaste(e: ClipboardEvent): void {
    const files = [...(e.clipboardData?.files ?? [])]
    if (files.length === 0) return // plain text pastes as usual
    e.preventDefault()
    this.takeFiles(files, 'paste')
  }

  #onDragOver(e: DragEvent): void {
    if (![...(e.dataTransfer?.types ?? [])].includes('Files')) return
    e.preventDefault()
    this.toggleAttribute('dragging', true)
  }

  #onDrop(e: DragEvent): void {
    this.toggleAttribute('dragging', false)
    const files = [...(e.dataTransfer?.files ?? [])]
    if (files.length === 0) return
    e.preventDefault()
    this.takeFiles(files, 'drop')
  }

  #onPicked(): void {
    this.takeFiles([...(this.picker.files ?? [])], 'pick')
    this.picker.value = '' // the File objects are ours now; the same file may be picked again
  }

  #renderFiles() {
    if (this.files.length === 0) return null
    return html`<ul class="files" aria-label="Files to send">${this.files.map((f) => html`<li data-testid="pending-file" data-source=${f.source}>
      <span class="name">${f.file.name}</span><span class="size">${FILE_KIND_LABEL[fileKind(f.file.type)]} · ${formatSize(f.file.size)}</span>
      <button class="quiet" data-testid="remove-file" aria-label=${`Remove ${f.file.name}`}
        @click=${() => (this.files = this.files.filter((x) => x !== f))}>✕</button></li>`)}</ul>`
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    clearTimeout(this.#phiTimer)
  }

  #schedulePhiCheck(): void {
    clearTimeout(this.#phiTimer)
    this.#phiTimer = setTimeout(() => void this.#checkPhi(), PHI_CHECK_DELAY_MS)
  }

  async #checkPhi(): Promise<void> {
    const { client, conversationId } = this
    const text = this.draft.body
    if (!client || !conversationId || !text.trim()) {
      this.phi = []
      return
    }
    const spans = await client.call('checkPhi', { conversationId, text }).catch(() => null)
    // A later keystroke or another conversation makes this answer stale.
    if (spans === null || text !== this.draft.body || conversationId !== this.conversationId) return
    this.#phiText = text
    this.phi = spans
  }

  #renderPhiHint() {
    if (this.phi.length === 0) return null
    const text = this.#phiText
    const listed = this.phi.slice(0, MAX_LISTED)
    return html`<div class="phi" role="status" data-testid="phi-hint">
      <p><strong>${describePhiKinds(this.phi.map((s) => s.kind))}</strong>
        <span class="why">It is sent encrypted and tagged as patient information.</span></p>
      <ul aria-label="Flagged parts">${listed.map((s) => html`<li data-kind=${s.kind}>
        <mark>${text.slice(s.start, s.end)}</mark><span class="kind">${PHI_KIND_LABEL[s.kind]}</span></li>`)}
        ${this.phi.length > listed.length ? html`<li><span class="kind">+${this.phi.length - listed.length} more</span></li>` : null}
      </ul>
    </div>`
  }

  override render() {
    return html`
      ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : null}
      ${this.#renderPhiHint()}
      ${this.#renderFiles()}
      <form @submit=${(e: Event) => (e.preventDefault(), void this.#send())}
        @dragover=${this.#onDragOver} @dragleave=${() => this.toggleAttribute('dragging', false)} @drop=${this.#onDrop}>
        <div class="tools">
          <button type="button" class="quiet" data-testid="attach" aria-label="Attach file" @click=${() => this.picker.click()}>${icon(PAPERCLIP)}<span class="label">Attach</span></button>
          <button type="button" class="quiet" data-testid="camera" aria-label="Photo from camera" @click=${() => void this.camera.open()}>${icon(CAMERA)}<span class="label">Photo</span></button>
        </div>
        <input type="file" multiple data-testid="file-input" tabindex="-1" aria-hidden="true" @change=${this.#onPicked}>
        <textarea data-testid="composer" rows="1" aria-label="Message" placeholder=${this.files.length ? 'Add a caption' : 'Message'}
          .value=${this.draft.body} @input=${this.#onInput} @keydown=${this.#onKeyDown} @paste=${this.#onPaste}></textarea>
        <button class="primary ${this.sending || (!this.draft.body.trim() && !this.files.length) ? 'idle' : ''}" data-testid="send"
          type="submit">Send</button>
      </form>
      <wl-camera @wl-photo=${(e: CustomEvent<File>) => this.takeFiles([e.detail], 'camera')}></wl-camera>
    `
  }

  #onInput(e: InputEvent): void {
    this.draft = { ...this.draft, body: (e.target as HTMLTextAreaElement).value }
    saveDraft(this.conversationId, this.draft)
    this.#schedulePhiCheck()
  }

  #onKeyDown(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault()
      void this.#send()
    }
  }

  /**
   * Hands each waiting file to the worker under its own clientId (a retry never sends one twice);
   * the caption goes with the first and is cleared once that one is queued. A failed file stays.
   */
  async #sendFiles(conversationId: string, caption: string): Promise<void> {
    let text = caption
    for (const f of [...this.files]) {
      const bytes = await f.file.arrayBuffer()
      await this.client!.call('sendAttachment', {
        conversationId,
        clientId: f.clientId,
        caption: text,
        name: f.file.name,
        mime: f.file.type || 'application/octet-stream',
        bytes,
      })
      this.files = this.files.filter((x) => x !== f)
      if (text && conversationId === this.conversationId) {
        text = ''
        this.textarea.value = ''
        this.draft = { ...this.draft, body: '' }
        saveDraft(conversationId, this.draft)
      }
    }
  }

  async #send(): Promise<void> {
    const body = this.textarea.value.trim()
    if ((!body && this.files.length === 0) || !this.client || this.#sending) return
    this.#sending = this.sending = true
    const { conversationId } = this
    const clientId = this.draft.clientId
    try {
      if (this.files.length) await this.#sendFiles(conversationId, body)
      else await this.client.call('sendMessage', { conversationId, body, clientId })
      this.problem = null
      // Only now is a new id drawn; until then every retry reuses clientId.
      // Text typed while the call ran stays, as the start of the next message.
      const still = conversationId === this.conversationId ? this.textarea.value : ''
      const next = { body: still.trim() === body ? '' : still, clientId: crypto.randomUUID() }
      saveDraft(conversationId, next)
      if (conversationId === this.conversationId) {
        this.draft = next
        this.textarea.value = next.body
        this.#schedulePhiCheck()
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
