/**
 * A QR code of `value`, drawn with uqr's module matrix as one SVG path in a Lit svg template
 * (no innerHTML of markup strings, no inline styles: CSP `style-src 'self'`).
 */
import { LitElement, css, html, svg } from 'lit'
import { customElement, property } from 'lit/decorators.js'
import { encode } from 'uqr'

@customElement('wl-qr-code')
export class WlQrCode extends LitElement {
  static override styles = css`
    :host { display: inline-block; background: #fff; line-height: 0; }
    svg { width: 100%; height: 100%; display: block; }
    .bg { fill: #fff; }
    .fg { fill: #000; }
  `

  @property() value = ''
  @property() label = 'QR code'

  override render() {
    if (!this.value) return html``
    const qr = encode(this.value, { ecc: 'M', border: 2 })
    let d = ''
    qr.data.forEach((row, y) =>
      row.forEach((dark, x) => {
        if (dark) d += `M${x} ${y}h1v1h-1z`
      }),
    )
    return html`<svg viewBox="0 0 ${qr.size} ${qr.size}" role="img" aria-label=${this.label} shape-rendering="crispEdges"
      xmlns="http://www.w3.org/2000/svg">
      ${svg`<rect class="bg" width=${qr.size} height=${qr.size}></rect><path class="fg" d=${d}></path>`}
    </svg>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-qr-code': WlQrCode
  }
}
