/**
 * In-app camera (DESIGN §1 rule 3): a live preview from getUserMedia and a "Take photo" button
 * that draws the frame to a canvas and hands it to the composer as a File in memory — it goes
 * straight into the encrypted pipeline and never into the photo library. The stream's tracks stop
 * when the dialog closes. Dispatches `wl-photo` (the File) and `wl-dismiss`.
 */
import { css, html, LitElement } from 'lit'
import { customElement, query, state } from 'lit/decorators.js'
import { baseStyles } from '../styles.ts'

@customElement('wl-camera')
export class WlCamera extends LitElement {
  static override styles = [
    baseStyles,
    css`
      dialog {
        border: none;
        padding: 0;
        background: #000;
        color: #fff;
        width: 100vw;
        height: 100dvh;
        max-width: 100vw;
        max-height: 100dvh;
      }
      dialog::backdrop {
        background: #000;
      }
      .frame {
        display: flex;
        flex-direction: column;
        height: 100%;
      }
      video {
        flex: 1;
        min-height: 0;
        width: 100%;
        object-fit: contain;
        background: #000;
      }
      .bar {
        display: flex;
        justify-content: space-between;
        align-items: center;
        gap: 0.75rem;
        padding: 0.75rem 1rem calc(0.75rem + env(safe-area-inset-bottom));
      }
      .error {
        margin: 1rem;
        color: #fff;
      }
      button.shutter {
        min-width: 8rem;
      }
    `,
  ]

  @query('dialog')
  private dialog!: HTMLDialogElement
  @query('video')
  private video!: HTMLVideoElement
  @state()
  private problem: string | null = null
  @state()
  private ready = false
  #stream: MediaStream | null = null

  async open(): Promise<void> {
    await this.updateComplete
    this.problem = null
    this.ready = false
    if (!this.dialog.open) this.dialog.showModal()
    try {
      this.#stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: 'environment' },
        audio: false,
      })
      this.video.srcObject = this.#stream
      await this.video.play()
      this.ready = true
    } catch {
      this.problem = 'The camera could not be started. Check that Wardline may use it.'
    }
  }

  close(): void {
    for (const t of this.#stream?.getTracks() ?? []) t.stop()
    this.#stream = null
    if (this.video) this.video.srcObject = null
    if (this.dialog?.open) this.dialog.close()
    this.dispatchEvent(new Event('wl-dismiss', { bubbles: true, composed: true }))
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    for (const t of this.#stream?.getTracks() ?? []) t.stop()
  }

  async #take(): Promise<void> {
    const v = this.video
    if (!v.videoWidth) return
    const canvas = document.createElement('canvas')
    canvas.width = v.videoWidth
    canvas.height = v.videoHeight
    canvas.getContext('2d')!.drawImage(v, 0, 0)
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/jpeg', 0.92))
    canvas.width = canvas.height = 0
    if (!blob) return
    const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')
    const file = new File([blob], `photo-${stamp}.jpg`, { type: 'image/jpeg' })
    this.dispatchEvent(new CustomEvent('wl-photo', { detail: file, bubbles: true, composed: true }))
    this.close()
  }

  override render() {
    return html`
      <dialog aria-label="Camera" @cancel=${(e: Event) => (e.preventDefault(), this.close())}>
        <div class="frame">
              ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : null}
              <video data-testid="camera-preview" playsinline muted></video>
              <div class="bar">
                <button @click=${() => this.close()}>Cancel</button>
                <button class="primary shutter" data-testid="camera-shutter" ?disabled=${!this
                  .ready} @click=${() => void this.#take()}>Take photo</button>
              </div>
            </div>
      </dialog>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-camera': WlCamera
  }
  interface HTMLElementEventMap {
    'wl-photo': CustomEvent<File>
  }
}
