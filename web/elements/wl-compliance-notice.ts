/**
 * The one-time notice after enrollment that the organisation can lawfully access messages
 * (DESIGN §1 rule 2, issue 8): k of n compliance officers together can export a conversation,
 * every export is written to the audit log that administrators see, and a conversation under
 * legal hold is kept until the hold is released. "OK" hides it for this device for good (a
 * localStorage flag per device id, cleared with everything else by "Remove Wardline"); the same
 * facts stay on the Organisation screen. Holds no key and no message.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { ComplianceSummary } from '../../workers/protocol.ts'
import { baseStyles } from '../styles.ts'

const seenKey = (deviceId: string) => `wardline-compliance-notice-seen:${deviceId}`

/** The plain words both this notice and the Organisation screen use. */
export function complianceAccessText(c: ComplianceSummary): string {
  return `Your organisation can open your messages for a lawful request or an audit: ${c.threshold} of its ` +
    `${c.officers.length} compliance officers must act together. Every such access is recorded in the ` +
    'organisation’s audit log, which administrators can see, and a conversation under legal hold is kept ' +
    'until the hold is released.'
}

@customElement('wl-compliance-notice')
export class WlComplianceNotice extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; flex: none; }
      .bar { display: flex; align-items: center; gap: 0.75rem; padding: 0.5rem 0.75rem 0.5rem 1rem;
        border-bottom: 1px solid var(--wl-border); background: var(--wl-primary-soft); color: var(--wl-text); }
      .text { flex: 1; margin: 0; font-size: 0.92rem; }
      button { min-height: 40px; flex: none; }
    `,
  ]

  @property({ attribute: false }) compliance: ComplianceSummary | null = null
  @property() deviceId = ''
  @state() private dismissed = false

  #seen(): boolean {
    try {
      return this.dismissed || localStorage.getItem(seenKey(this.deviceId)) === '1'
    } catch {
      return this.dismissed
    }
  }

  #dismiss(): void {
    this.dismissed = true
    try {
      localStorage.setItem(seenKey(this.deviceId), '1')
    } catch { /* storage blocked: hidden for this session only */ }
  }

  override render() {
    const c = this.compliance
    if (!c || !this.deviceId || this.#seen()) return null
    return html`<div class="bar" role="status" data-testid="compliance-notice">
      <p class="text">Your organisation can open your messages for a lawful request or an audit, only if
        ${c.threshold} of its ${c.officers.length} compliance officers act together, and every such access is
        logged for administrators to see. Details: Organisation &amp; this device.</p>
      <button data-testid="compliance-notice-ok" @click=${() => this.#dismiss()}>OK</button>
    </div>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-compliance-notice': WlComplianceNotice
  }
}
