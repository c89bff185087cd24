/**
 * Admin console — people (issue 7): everyone in the verified directory and the SCIM directory,
 * searchable by name, with their state, role, devices and when each device was last seen. "Add
 * person" reuses the add-person flow; a directory user awaiting enrollment gets "Issue enrollment
 * code" carrying their Wardline user id; "Disable" and "Revoke" sign root revocations after the
 * PIN is asked again (wl-reauth). Shows what the worker returns; decides nothing itself.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import type { AdminDevice, AdminPerson, Methods } from '../../workers/protocol.ts'
import { emit } from '../events.ts'
import { formatAgo } from '../format-time.ts'
import { PendingAction } from '../pending-action.ts'
import { adminStyles, baseStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'
import type { WlReauth } from './wl-reauth.ts'
import './wl-enrollment-result.ts'
import './wl-reauth.ts'

type Issued = Methods['createEnrollmentCode']['result'] & { userId: string; displayName: string }

const STATE_TEXT: Record<AdminPerson['state'], [string, string]> = {
  'enrolled': ['Enrolled', 'ok'],
  'awaiting-enrollment': ['Awaiting enrollment', 'warn'],
  'deactivated': ['Deactivated in directory', 'danger'],
  'disabled': ['Disabled', 'danger'],
}

@customElement('wl-admin-users')
export class WlAdminUsers extends LitElement {
  static override styles = [
    baseStyles,
    adminStyles,
    css`
      :host { display: block; }
      .devices { list-style: none; margin: 0.5rem 0 0; padding: 0; display: grid; gap: 0.35rem; }
      .device {
        display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 0.75rem; padding: 0.4rem 0.6rem;
        border-radius: 8px; background: var(--wl-bg);
      }
      .device .mono { flex: 1 1 9rem; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .device button { min-height: 40px; padding: 0 0.75rem; }
      .seen { font-size: 0.9rem; color: var(--wl-muted); white-space: nowrap; }
      .issued { margin-top: 0.75rem; }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) people: AdminPerson[] | null = null
  @property({ type: Boolean }) loading = false
  @property({ attribute: false }) problem: string | null = null
  @state() private search = ''
  @state() private issued: Issued | null = null
  @query('wl-reauth') private reauth!: WlReauth
  readonly issue = new PendingAction(this)

  #changed(): void {
    this.dispatchEvent(new Event('wl-admin-changed', { bubbles: true, composed: true }))
  }

  async #revoke(p: AdminPerson, devices: AdminDevice[], disable: boolean): Promise<void> {
    const client = this.client
    const ids = devices.filter((d) => !d.revoked && !d.isThisDevice).map((d) => d.deviceId)
    if (!client || ids.length === 0) return
    const n = ids.length
    const done = await this.reauth.ask({
      title: disable ? `Disable ${p.displayName}?` : `Revoke this device of ${p.displayName}?`,
      text: disable
        ? `Every device of ${p.displayName} (${n}) is revoked with the organisation’s signature: refused at once, and each erases itself when it next connects. They need a new enrollment code to come back.`
        : 'The device is refused at once and erases itself when it next connects. This cannot be undone.',
      confirmLabel: disable ? 'Disable' : 'Revoke device',
      run: async (pin) => void (await client.call('adminRevokeDevices', { deviceIds: ids, reason: disable ? 'disabled by an administrator' : 'revoked by an administrator', pin })),
    })
    if (done) this.#changed()
  }

  async #issueCode(p: AdminPerson): Promise<void> {
    const client = this.client
    if (!client) return
    await this.issue.run(async () => {
      // The directory's wish becomes a role only here, signed by the organisation key (decision 0014).
      const role = p.roleWish === 'admin' || p.roleWish === 'compliance' ? p.roleWish : 'clinician'
      const made = await client.call('createEnrollmentCode', { displayName: p.displayName, role, validHours: 72, userId: p.userId })
      this.issued = { ...made, userId: p.userId, displayName: p.displayName }
    })
  }

  #renderDevice(p: AdminPerson, d: AdminDevice) {
    return html`<li class="device" data-testid="admin-device">
      <span class="mono" title=${d.deviceId}>${d.isThisDevice ? 'This device' : d.deviceId}</span>
      <span class="seen" data-testid="last-seen">${d.lastSeenAt ? `last seen ${formatAgo(d.lastSeenAt)}` : 'not seen yet'}</span>
      ${d.revoked
        ? html`<span class="chip danger">Revoked</span>`
        : d.refused
          ? html`<span class="chip warn">Refused by directory</span>`
          : null}
      ${!d.revoked && !d.isThisDevice
        ? html`<button class="danger-outline" data-testid="revoke-device" @click=${() => void this.#revoke(p, [d], false)}>Revoke</button>`
        : null}
    </li>`
  }

  #renderPerson(p: AdminPerson) {
    const [stateText, tone] = STATE_TEXT[p.state]
    const active = p.devices.filter((d) => !d.revoked && !d.isThisDevice)
    const role = p.role ?? (p.roleWish ? `${p.roleWish} (directory wish)` : null)
    return html`<li class="card" data-testid="admin-person" data-user=${p.userId}>
      <div class="card-head">
        <h3><bdi>${p.displayName}</bdi>${p.isMe ? html` <span class="meta">(you)</span>` : null}</h3>
        <span class="chip ${tone}" data-testid="person-state">${stateText}</span>
      </div>
      <div class="meta">${[role, p.userName, p.fromDirectory ? 'from directory' : null].filter(Boolean).join(' · ')}</div>
      ${p.devices.length ? html`<ul class="devices">${p.devices.map((d) => this.#renderDevice(p, d))}</ul>` : null}
      <div class="actions">
        ${p.state === 'awaiting-enrollment'
          ? html`<button class="primary" data-testid="issue-code" ?disabled=${this.issue.busy} @click=${() => void this.#issueCode(p)}>Issue enrollment code</button>`
          : null}
        ${active.length && !p.isMe
          ? html`<button class="danger-outline" data-testid="disable-person" @click=${() => void this.#revoke(p, active, true)}>Disable</button>`
          : null}
      </div>
      ${this.issued?.userId === p.userId
        ? html`<div class="issued"><wl-enrollment-result .result=${this.issued} heading="Enrollment code for ${p.displayName}"></wl-enrollment-result></div>`
        : null}
    </li>`
  }

  override render() {
    const q = this.search.trim().toLocaleLowerCase()
    const shown = (this.people ?? []).filter((p) => !q || p.displayName.toLocaleLowerCase().includes(q) || (p.userName ?? '').toLocaleLowerCase().includes(q))
    return html`
      <div class="row-tools">
        <input type="search" aria-label="Search people by name" placeholder="Search by name" data-testid="admin-search"
          .value=${this.search} @input=${(e: InputEvent) => (this.search = (e.target as HTMLInputElement).value)} />
        <button class="primary" data-testid="admin-add-person" @click=${() => emit(this, 'wl-navigate', { view: 'add-person' })}>Add person</button>
      </div>
      ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : null}
      ${this.issue.problem ? html`<p class="error" role="alert">${this.issue.problem}</p>` : null}
      ${this.people === null
        ? html`<p class="empty">${this.loading ? 'Loading people…' : 'Not loaded.'}</p>`
        : shown.length === 0
          ? html`<p class="empty">${q ? 'Nobody matches that name.' : 'No people yet.'}</p>`
          : html`<ul class="cards" aria-label="People">${shown.map((p) => this.#renderPerson(p))}</ul>`}
      <wl-reauth></wl-reauth>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-admin-users': WlAdminUsers
  }
}
