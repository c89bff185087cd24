/**
 * A file inside a message bubble (decision 0018): the sender-made thumbnail, decrypted by the
 * worker into memory and shown from an object URL revoked when the element goes away, under the
 * viewer's watermark; or a card with the file's kind, name and size. Activating it opens the
 * file viewer (`wl-open-file`). The thumbnail is fetched once it is on screen, not before.
 */
import { css, html, LitElement, type PropertyValues } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import { ifDefined } from 'lit/directives/if-defined.js'
import type { AttachmentView } from '../../workers/protocol.ts'
import { baseStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'
import { FILE_KIND_LABEL, fileKind, formatSize } from '../attachment-text.ts'
import './wl-watermark.ts'

export type OpenFileDetail = { recordId: string; attachment: AttachmentView }

@customElement('wl-attachment')
export class WlAttachment extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        margin: -0.15rem 0 0.3rem;
      }
      button.open {
        display: block;
        width: 100%;
        padding: 0;
        min-height: 0;
        border: none;
        background: none;
        text-align: left;
        font-weight: 400;
        border-radius: 10px;
        overflow: hidden;
        position: relative;
      }
      .thumb {
        position: relative;
        display: block;
        background: var(--wl-primary-soft);
        min-height: 6rem;
      }
      .thumb img {
        display: block;
        width: 100%;
        max-height: 18rem;
        object-fit: cover;
        user-select: none;
        -webkit-user-drag: none;
      }
      .card {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 0.1rem 0.75rem;
        align-items: center;
        padding: 0.6rem 0.75rem;
        border: 1px solid var(--wl-border);
        background: var(--wl-surface);
        border-radius: 10px;
        min-width: 14rem;
      }
      .badge {
        grid-row: span 2;
        display: grid;
        place-items: center;
        width: 2.75rem;
        height: 2.75rem;
        border-radius: 8px;
        background: var(--wl-primary-soft);
        color: var(--wl-primary);
        font-weight: 700;
        font-size: 0.75rem;
      }
      .name {
        font-weight: 600;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        min-width: 0;
        unicode-bidi: isolate;
      }
      .sub {
        color: var(--wl-muted);
        font-size: 0.8rem;
      }
      .state {
        font-size: 0.8rem;
        color: var(--wl-muted);
        padding: 0.25rem 0.1rem 0;
      }
    `,
  ]

  @property({ attribute: false })
  client: WorkerClient | null = null
  @property()
  conversationId = ''
  @property()
  recordId = ''
  @property({ attribute: false })
  attachment: AttachmentView | null = null
  @property()
  viewer = ''
  @property({ type: Number })
  at = 0
  @state()
  private thumbUrl: string | null = null
  @state()
  private thumbFailed = false
  #observer: IntersectionObserver | null = null
  #asked = ''

  override connectedCallback(): void {
    super.connectedCallback()
    this.#observer = new IntersectionObserver((entries) =>
      entries.some((e) => e.isIntersecting) && void this.#loadThumb()
    )
    this.#observer.observe(this)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.#observer?.disconnect()
    if (this.thumbUrl) URL.revokeObjectURL(this.thumbUrl)
    this.thumbUrl = null
    this.#asked = ''
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('recordId') && this.#asked && this.#asked !== this.recordId) {
      if (this.thumbUrl) URL.revokeObjectURL(this.thumbUrl)
      this.thumbUrl = null
      this.#asked = ''
    }
  }

  async #loadThumb(): Promise<void> {
    const { client, attachment, recordId, conversationId } = this
    if (!client || !attachment?.hasThumb || this.#asked === recordId) return
    this.#asked = recordId
    try {
      const got = await client.call('openAttachment', { conversationId, recordId, part: 'thumb' })
      if (!this.isConnected || this.recordId !== recordId) return
      this.thumbUrl = URL.createObjectURL(new Blob([got.bytes], { type: got.mime }))
    } catch {
      this.thumbFailed = true
      this.#asked = ''
    }
  }

  #open(): void {
    if (!this.attachment) return
    this.dispatchEvent(
      new CustomEvent<OpenFileDetail>('wl-open-file', {
        detail: { recordId: this.recordId, attachment: this.attachment },
        bubbles: true,
        composed: true,
      }),
    )
  }

  override render() {
    const a = this.attachment
    if (!a) return null
    const kind = FILE_KIND_LABEL[fileKind(a.mime)]
    const label = `Open ${kind.toLowerCase()} ${a.name}`
    const body = a.hasThumb && !this.thumbFailed
      ? html`
        <span
          class="thumb">${this.thumbUrl
            ? html`
              <img data-testid="attachment-thumb" src=${this.thumbUrl} alt="" draggable="false"
                @contextmenu=${(e: Event) => e.preventDefault()}>
            `
            : null}<wl-watermark data-testid="image-watermark" .viewer=${this.viewer ||
            'You'} .at=${this.at}></wl-watermark></span>
      `
      : html`<span class="card"><span class="badge" aria-hidden="true">${
        a.mime === 'application/pdf' ? 'PDF' : kind.slice(0, 3).toUpperCase()
      }</span>
          <span class="name">${a.name}</span><span class="sub">${kind} · ${
        formatSize(a.size)
      }</span></span>`
    return html`
      <button class="open" data-testid="attachment" data-kind=${fileKind(
        a.mime,
      )} aria-label=${ifDefined(a.hasThumb && !this.thumbFailed ? label : undefined)}
        @click=${() => this.#open()}>${body}</button>
            ${a.uploading
              ? html`<div class="state" data-testid="attachment-uploading">Waiting to upload…</div>`
              : null}
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-attachment': WlAttachment
  }
  interface HTMLElementEventMap {
    'wl-open-file': CustomEvent<OpenFileDetail>
  }
}
