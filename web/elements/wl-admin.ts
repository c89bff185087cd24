/**
 * The admin console (issue 7), shown to the admin role only (wl-shell): four sections — people,
 * enrollment codes, policy, audit log — and above them the banner a directory deactivation raises
 * ("Directory deactivated N — revoke their devices?"). Revocations are signed on this device only
 * after a person confirms and re-enters the PIN (decision 0014); never on the relay's word alone.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import type { AdminPerson, StatusSnapshot } from '../../workers/protocol.ts'
import { emit } from '../events.ts'
import { describeError } from '../error-text.ts'
import { adminStyles, baseStyles, sideViewStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import type { WlReauth } from './wl-reauth.ts'
import './wl-admin-audit.ts'
import './wl-admin-codes.ts'
import './wl-admin-holds.ts'
import './wl-admin-policy.ts'
import './wl-admin-users.ts'
import './wl-reauth.ts'

const SECTIONS = [
  { id: 'users', label: 'People' },
  { id: 'codes', label: 'Codes' },
  { id: 'policy', label: 'Policy' },
  { id: 'audit', label: 'Audit log' },
  { id: 'holds', label: 'Holds' },
] as const
type Section = (typeof SECTIONS)[number]['id']

@customElement('wl-admin')
export class WlAdmin extends LitElement {
  static override styles = [
    baseStyles,
    sideViewStyles,
    adminStyles,
    css`
      :host { display: flex; flex-direction: column; min-height: 0; background: var(--wl-bg); }
      .head { background: var(--wl-surface); }
      nav {
        display: flex; gap: 0.25rem; padding: 0.4rem 0.5rem 0; background: var(--wl-surface);
        border-bottom: 1px solid var(--wl-border); overflow-x: auto; scrollbar-width: none;
      }
      nav button {
        flex: none; border: 0; border-bottom: 3px solid transparent; border-radius: 0; background: transparent; white-space: nowrap;
        color: var(--wl-muted); padding: 0 0.8rem; min-width: 0;
      }
      nav button[aria-selected='true'] { color: var(--wl-primary); border-bottom-color: var(--wl-primary); }
      .scroll { flex: 1; min-height: 0; overflow-y: auto; }
      .content { padding: 1rem; max-width: 52rem; }
      .banner {
        margin: 0 0 1rem; padding: 0.75rem 1rem; border-radius: 12px; border: 1px solid var(--wl-warn);
        background: color-mix(in srgb, var(--wl-warn) 12%, var(--wl-surface));
      }
      .banner p { margin: 0 0 0.5rem; font-weight: 600; }
      @media (min-width: 900px) { .back { display: none; } }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) me: StatusSnapshot['me'] = null
  @state() private section: Section = 'users'
  @state() private people: AdminPerson[] | null = null
  @state() private problem: string | null = null
  @state() private loading = false
  @query('wl-reauth') private reauth!: WlReauth
  #unsubscribe: (() => void)[] = []
  #again = false

  override connectedCallback(): void {
    super.connectedCallback()
    void this.refresh()
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    for (const off of this.#unsubscribe) off()
    this.#unsubscribe = []
  }

  protected override updated(changed: Map<string, unknown>): void {
    if (changed.has('client') && this.client) {
      for (const off of this.#unsubscribe) off()
      const refresh = () => void this.refresh()
      this.#unsubscribe = [this.client.on('people', refresh), this.client.on('userDeactivated', refresh)]
      if (changed.get('client') !== undefined) refresh()
    }
  }

  /** Reloads the people list (directory, SCIM users, last seen). */
  async refresh(): Promise<void> {
    const client = this.client
    if (!client) return
    // A change reported while a load runs is loaded right after it, never dropped.
    if (this.loading) {
      this.#again = true
      return
    }
    this.loading = true
    try {
      do {
        this.#again = false
        this.people = await client.call('adminPeople', {})
        this.problem = null
      } while (this.#again)
    } catch (error) {
      this.problem = describeError(errorCode(error))
    } finally {
      this.loading = false
    }
  }

  async #revokeDeactivated(p: AdminPerson): Promise<void> {
    const client = this.client
    if (!client) return
    const n = p.toRevoke.length
    const done = await this.reauth.ask({
      title: `Revoke ${p.displayName}’s devices?`,
      text: `The directory deactivated ${p.displayName}. This device signs a revocation for ${n} device${n === 1 ? '' : 's'}: they are refused at once and erase themselves.`,
      confirmLabel: 'Revoke devices',
      run: async (pin) => void (await client.call('adminRevokeDevices', { deviceIds: p.toRevoke, reason: 'deactivated in the directory', pin })),
    })
    if (done) await this.refresh()
  }

  #renderBanner() {
    const pending = (this.people ?? []).filter((p) => p.toRevoke.length > 0)
    return pending.map((p) =>
      html`<div class="banner" role="alert" data-testid="deactivated-banner">
        <p>Directory deactivated <bdi>${p.displayName}</bdi> — revoke their devices?</p>
        <div class="actions">
          <button class="primary" data-testid="revoke-deactivated" @click=${() => void this.#revokeDeactivated(p)}>
            Revoke ${p.toRevoke.length} device${p.toRevoke.length === 1 ? '' : 's'}</button>
        </div>
      </div>`
    )
  }

  #renderSection() {
    switch (this.section) {
      case 'users':
        return html`<wl-admin-users .client=${this.client} .people=${this.people} .loading=${this.loading}
          .problem=${this.problem} @wl-admin-changed=${() => void this.refresh()}></wl-admin-users>`
      case 'codes':
        return html`<wl-admin-codes .client=${this.client}></wl-admin-codes>`
      case 'policy':
        return html`<wl-admin-policy .client=${this.client}></wl-admin-policy>`
      case 'audit':
        return html`<wl-admin-audit .client=${this.client}></wl-admin-audit>`
      case 'holds':
        return html`<wl-admin-holds .client=${this.client}></wl-admin-holds>`
    }
  }

  override render() {
    return html`
      <div class="head">
        <button class="quiet back" data-testid="back" @click=${() => emit(this, 'wl-navigate', { view: 'list' })}>← Back</button>
        <h2>Admin console</h2>
      </div>
      <nav role="tablist" aria-label="Admin console sections">
        ${SECTIONS.map((s) => html`<button role="tab" aria-selected=${this.section === s.id ? 'true' : 'false'}
          data-testid="admin-tab-${s.id}" @click=${() => (this.section = s.id)}>${s.label}</button>`)}
      </nav>
      <div class="scroll">
        <div class="content" role="tabpanel">
          ${this.#renderBanner()}
          ${this.#renderSection()}
        </div>
      </div>
      <wl-reauth></wl-reauth>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-admin': WlAdmin
  }
  interface HTMLElementEventMap {
    /** An admin action changed people or devices: reload the list. */
    'wl-admin-changed': Event
  }
}
