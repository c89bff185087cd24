/**
 * The file viewer (DESIGN §1 rules 3 and 4; decision 0018): a modal dialog that asks the worker
 * for the decrypted file, shows it from an object URL held only while the dialog is open, and
 * revokes the URL and drops the bytes when it closes. Images carry the viewer's watermark; video
 * plays without a download control; other files (PDFs, documents) are not rendered here, because
 * the browser's own viewers offer download and print. "Save a copy" exists only when the
 * organisation's policy allows export (`allowFileExport`); otherwise saving, dragging out and the
 * context menu are off. Deterrence, not prevention: a screenshot still captures the watermark.
 */
import { css, html, LitElement } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import type { AttachmentView } from '../../workers/protocol.ts'
import { describeError } from '../error-text.ts'
import { baseStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import { FILE_KIND_LABEL, fileKind, formatSize } from '../attachment-text.ts'
import './wl-watermark.ts'

@customElement('wl-file-viewer')
export class WlFileViewer extends LitElement {
  static override styles = [
    baseStyles,
    css`
      dialog {
        border: none;
        padding: 0;
        width: 100vw;
        height: 100dvh;
        max-width: 100vw;
        max-height: 100dvh;
        background: #111;
        color: #f3f6f8;
      }
      dialog::backdrop {
        background: rgb(0 0 0 / 0.85);
      }
      .frame {
        display: grid;
        grid-template-rows: auto 1fr auto;
        height: 100%;
      }
      header {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        padding: 0.5rem 0.75rem;
        border-bottom: 1px solid #333;
      }
      header h2 {
        flex: 1;
        min-width: 0;
        margin: 0;
        font-size: 1rem;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        unicode-bidi: isolate;
      }
      header .sub {
        color: #b8c2cc;
        font-size: 0.85rem;
        white-space: nowrap;
      }
      header button {
        background: transparent;
        color: #f3f6f8;
        border-color: #555;
      }
      .stage {
        position: relative;
        display: grid;
        place-items: center;
        min-height: 0;
        overflow: hidden;
        padding: 0.75rem;
      }
      .media {
        position: relative;
        display: inline-block;
        max-width: 100%;
        max-height: 100%;
        overflow: hidden;
        border-radius: 6px;
      }
      .media img,
      .media video {
        display: block;
        max-width: 100%;
        max-height: calc(100dvh - 9rem);
        user-select: none;
        -webkit-user-drag: none;
      }
      .media wl-watermark {
        --wl-text: #fff;
      }
      .card {
        text-align: center;
        max-width: 28rem;
      }
      .card .kind {
        font-size: 2.5rem;
        font-weight: 700;
        letter-spacing: 0.05em;
        color: #b8c2cc;
      }
      footer {
        display: flex;
        justify-content: flex-end;
        gap: 0.5rem;
        padding: 0.5rem 0.75rem calc(0.5rem + env(safe-area-inset-bottom));
        border-top: 1px solid #333;
      }
      footer .muted {
        color: #b8c2cc;
        margin: 0;
        flex: 1;
        font-size: 0.85rem;
        align-self: center;
      }
      a.button {
        text-decoration: none;
      }
      .error {
        color: #ffb4a8;
      }
    `,
  ]

  @property({ attribute: false })
  client: WorkerClient | null = null
  @property({ type: Boolean })
  allowExport = false
  @property()
  viewer = ''
  @property({ type: Number })
  at = 0
  @query('dialog')
  private dialog!: HTMLDialogElement
  @state()
  private file: { conversationId: string; recordId: string; attachment: AttachmentView } | null =
    null
  @state()
  private url: string | null = null
  @state()
  private problem: string | null = null

  async show(conversationId: string, recordId: string, attachment: AttachmentView): Promise<void> {
    this.#release()
    this.file = { conversationId, recordId, attachment }
    this.problem = null
    await this.updateComplete
    if (!this.dialog.open) this.dialog.showModal()
    const kind = fileKind(attachment.mime)
    if (kind !== 'image' && kind !== 'video' && !this.allowExport) return // nothing to decrypt: not shown here
    try {
      const got = await this.client!.call('openAttachment', {
        conversationId,
        recordId,
        part: 'file',
      })
      if (this.file?.recordId !== recordId) return
      this.url = URL.createObjectURL(new Blob([got.bytes], { type: got.mime }))
    } catch (error) {
      this.problem = describeError(errorCode(error))
    }
  }

  close(): void {
    this.#release()
    this.file = null
    if (this.dialog?.open) this.dialog.close()
  }

  /** The plaintext lives only behind this URL: revoke it and let the bytes go. */
  #release(): void {
    if (this.url) URL.revokeObjectURL(this.url)
    this.url = null
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.#release()
  }

  #renderStage(a: AttachmentView) {
    const kind = fileKind(a.mime)
    const guard = (e: Event) => !this.allowExport && e.preventDefault()
    if (this.problem) return html`<p class="error" role="alert">${this.problem}</p>`
    if (kind === 'image' || kind === 'video') {
      if (!this.url) return html`<p role="status">Decrypting…</p>`
      return html`<div class="media" @contextmenu=${guard} @dragstart=${guard}>
        ${
        kind === 'image'
          ? html`<img data-testid="viewer-image" src=${this.url} alt=${a.name} draggable="false">`
          : html`
            <video data-testid="viewer-video" src=${this
              .url} controls playsinline disablepictureinpicture
              controlslist=${this.allowExport
                ? 'noremoteplayback'
                : 'nodownload noremoteplayback'}></video>
          `
      }
        <wl-watermark data-testid="viewer-watermark" .copies=${120} .viewer=${
        this.viewer || 'You'
      } .at=${this.at}></wl-watermark>
      </div>`
    }
    return html`
      <div class="card" data-testid="viewer-card">
        <div class="kind">${FILE_KIND_LABEL[kind]}</div>
        <p>${this.allowExport
          ? 'Wardline does not display this type of file. Your organisation allows saving a copy to open it in another app.'
          : 'Wardline does not display this type of file, and your organisation’s policy keeps files inside Wardline.'}</p>
      </div>
    `
  }

  override render() {
    const a = this.file?.attachment
    return html`
      <dialog aria-label="File" data-testid="file-viewer" @cancel=${(
        e: Event,
      ) => (e.preventDefault(), this.close())}
        @close=${() => this.#release()}>
            ${a
              ? html`
                <div class="frame">
                  <header>
                          <h2>${a
                            .name}</h2><span class="sub">${FILE_KIND_LABEL[
                              fileKind(a.mime)
                            ]} · ${formatSize(a.size)}</span>
                          <button data-testid="viewer-close" @click=${() =>
                            this.close()}>Close</button>
                        </header>
                  <div class="stage">${this.#renderStage(a)}</div>
                  <footer>
                          ${this.allowExport && this.url
                            ? html`<a class="button" data-testid="viewer-save" href=${this.url} download=${a.name}>Save a copy</a>`
                            : html`
                              <p class="muted"
                                data-testid="viewer-no-export">Saving and sharing files out of Wardline is off for your organisation.</p>
                            `}
                        </footer>
                </div>
              `
              : null}
          </dialog>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-file-viewer': WlFileViewer
  }
}
