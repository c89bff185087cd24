/**
 * Devices on the "Organisation & this device" screen: "Your devices" (`listDevices` filtered to
 * me, this one marked, the others revocable), and for administrators "All devices" grouped by
 * person with "Revoke" and "Add a device for this person" (`createEnrollmentCode` with `userId`,
 * shown by wl-enrollment-result). Everyone gets "Verify safety number" per person. The worker
 * decides who may do what (`admin/no-root-key`, `admin/not-allowed`); its answer is shown as is.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import type { DeviceView, Person, StatusSnapshot } from '../../workers/protocol.ts'
import { describeError } from '../error-text.ts'
import { baseStyles } from '../styles.ts'
import { errorCode, type WorkerClient } from '../worker-client.ts'
import { WorkerEventsController, coalesce } from '../worker-events.ts'
import type { WlConfirm } from './wl-confirm.ts'
import type { WlReauth } from './wl-reauth.ts'
import type { EnrollmentResult } from './wl-enrollment-result.ts'
import type { WlSafetyNumber } from './wl-safety-number.ts'
import './wl-confirm.ts'
import './wl-reauth.ts'
import './wl-enrollment-result.ts'
import './wl-safety-number.ts'

type Group = { userId: string; displayName: string; devices: DeviceView[] }
/** Where a failure is shown: 'mine', or the userId of a person's group. */
type Scope = string

@customElement('wl-devices')
export class WlDevices extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      section { margin-bottom: 1.5rem; }
      h3 { font-size: 1rem; }
      h4 { margin: 0; font-size: 1rem; flex: 1 1 8rem; }
      ul { list-style: none; margin: 0 0 0.5rem; padding: 0; }
      li.device { display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 0.75rem; padding: 0.5rem 0; border-bottom: 1px solid var(--wl-border); }
      .label { flex: 1 1 10rem; min-width: 0; }
      .label .mono { font-size: 0.9rem; }
      .tag { font-size: 0.8rem; font-weight: 700; border-radius: 999px; padding: 0.1rem 0.55rem; background: var(--wl-primary-soft); color: var(--wl-text); }
      .tag.revoked { background: var(--wl-danger-soft); color: var(--wl-danger); }
      li.revoked .mono { text-decoration: line-through; color: var(--wl-muted); }
      .person { border: 1px solid var(--wl-border); border-radius: var(--wl-radius); padding: 0.75rem; margin-bottom: 0.75rem; }
      .person-head { display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 0.5rem; margin-bottom: 0.25rem; }
      li.device button, .person-head button { min-height: 40px; padding: 0 0.7rem; font-size: 0.92rem; }
      button.danger-text { color: var(--wl-danger); }
      .revoked-by { flex: 1 1 100%; font-size: 0.88rem; }
      .add { margin-top: 0.5rem; }
      wl-enrollment-result { margin-top: 0.75rem; }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) me: StatusSnapshot['me'] = null
  @state() private devices: DeviceView[] | null = null
  @state() private people: Person[] = []
  @state() private busy: Scope | null = null
  @state() private problems = new Map<Scope, string>()
  @state() private enrollments = new Map<string, EnrollmentResult>()
  @query('wl-confirm') private confirm!: WlConfirm
  @query('wl-reauth') private reauth!: WlReauth
  @query('wl-safety-number') private safety!: WlSafetyNumber

  #refresh = coalesce(async () => {
    if (!this.client) return
    try {
      const [devices, people] = await Promise.all([this.client.call('listDevices', {}), this.client.call('listPeople', {})])
      this.devices = devices
      this.people = people
      this.#setProblem('load', null)
    } catch (error) {
      this.#setProblem('load', describeError(errorCode(error)))
    }
  })

  constructor() {
    super()
    new WorkerEventsController(this, (client) => [client.on('people', () => this.#refresh())])
  }

  override connectedCallback(): void {
    super.connectedCallback()
    this.#refresh()
  }

  #setProblem(scope: Scope, problem: string | null): void {
    const next = new Map(this.problems)
    if (problem) next.set(scope, problem)
    else next.delete(scope)
    this.problems = next
  }

  /** Runs one action for a scope; a failure is shown in that scope in plain words. */
  async #run(scope: Scope, work: () => Promise<void>): Promise<void> {
    if (this.busy) return
    this.busy = scope
    this.#setProblem(scope, null)
    try {
      await work()
    } catch (error) {
      this.#setProblem(scope, describeError(errorCode(error)))
    } finally {
      this.busy = null
      this.#refresh()
    }
  }

  override render() {
    const me = this.me
    if (!me) return null
    if (!this.devices) {
      const problem = this.problems.get('load')
      return problem ? html`<p class="error" role="alert">${problem}</p>` : html`<p aria-busy="true">Loading devices…</p>`
    }
    const mine = this.devices.filter((d) => d.userId === me.userId)
    return html`
      <section data-testid="your-devices" aria-labelledby="your-devices-title">
        <h3 id="your-devices-title">Your devices</h3>
        <ul>${mine.map((d) => this.#renderDevice(d, 'mine'))}</ul>
        ${this.#problem('mine')}
      </section>
      ${me.role === 'admin' ? this.#renderAll(me.userId) : this.#renderPeople(me.userId)}
      <wl-confirm></wl-confirm>
      <wl-reauth></wl-reauth>
      <wl-safety-number .client=${this.client}></wl-safety-number>
    `
  }

  #problem(scope: Scope) {
    const p = this.problems.get(scope)
    return p ? html`<p class="error" role="alert" data-testid="devices-problem">${p}</p>` : null
  }

  #renderDevice(d: DeviceView, scope: Scope) {
    return html`<li class="device ${d.revoked ? 'revoked' : ''}" data-testid="device" data-device-id=${d.deviceId}
      data-revoked=${d.revoked ? 'true' : 'false'}>
      <span class="label">Device <span class="mono">${d.deviceId.slice(0, 12)}</span></span>
      ${d.isThisDevice ? html`<span class="tag" data-testid="this-device">This device</span>` : null}
      ${d.revoked ? html`<span class="tag revoked">Revoked</span>` : null}
      ${d.revokedBy
        ? html`<span class="muted revoked-by" data-testid="revoked-by">${d.revokedBy.self ? 'Removed from the device itself by' : 'Reported lost by'} ${d.revokedBy.by} on
            ${new Date(d.revokedBy.at).toLocaleDateString()}${d.revokedBy.reason ? ` · “${d.revokedBy.reason}”` : ''}</span>`
        : null}
      ${!d.revoked && !d.isThisDevice
        ? html`<button class="quiet danger-text" data-testid="revoke-device" ?disabled=${this.busy !== null}
            @click=${() => void this.#revoke(d, scope)}>Report lost</button>`
        : null}
    </li>`
  }

  #groups(meUserId: string): Group[] {
    const groups = new Map<string, Group>()
    for (const d of this.devices ?? []) {
      if (d.userId === meUserId) continue
      const g = groups.get(d.userId) ?? { userId: d.userId, displayName: d.displayName, devices: [] }
      g.devices.push(d)
      groups.set(d.userId, g)
    }
    return [...groups.values()].sort((a, b) => a.displayName.localeCompare(b.displayName))
  }

  #renderAll(meUserId: string) {
    return html`<section data-testid="all-devices" aria-labelledby="all-devices-title">
      <h3 id="all-devices-title">All devices</h3>
      <p class="muted">Revoke a lost or stolen device at once: it can no longer read new messages or send any.</p>
      ${this.#groups(meUserId).map((g) => html`<div class="person" data-testid="device-person" data-user-id=${g.userId}>
        <div class="person-head">
          <h4><bdi>${g.displayName}</bdi></h4>
          ${this.#verifyButton(g)}
        </div>
        <ul>${g.devices.map((d) => this.#renderDevice(d, g.userId))}</ul>
        ${this.#problem(g.userId)}
        <button class="add" data-testid="add-device-for-person" ?disabled=${this.busy !== null}
          @click=${() => void this.#addDevice(g)}>Add a device for this person</button>
        ${this.enrollments.has(g.userId)
          ? html`<wl-enrollment-result .result=${this.enrollments.get(g.userId)!} heading="New device for ${g.displayName}"></wl-enrollment-result>`
          : null}
      </div>`)}
    </section>`
  }

  #renderPeople(meUserId: string) {
    const others = this.people.filter((p) => p.userId !== meUserId)
    if (others.length === 0) return null
    return html`<section data-testid="people" aria-labelledby="people-title">
      <h3 id="people-title">People</h3>
      <ul>${others.map((p) => html`<li class="device" data-testid="device-person" data-user-id=${p.userId}>
        <span class="label"><bdi>${p.displayName}</bdi> <span class="muted">· ${p.role}</span></span>${this.#verifyButton(p)}
      </li>`)}</ul>
    </section>`
  }

  #verifyButton(p: { userId: string; displayName: string }) {
    return html`<button class="quiet" data-testid="verify-safety"
      @click=${() => void this.safety.open({ userId: p.userId, displayName: p.displayName })}>Verify safety number</button>`
  }

  async #revoke(d: DeviceView, scope: Scope): Promise<void> {
    const client = this.client
    if (!client) return
    const whose = d.userId === this.me?.userId ? 'your device' : `${d.displayName}’s device`
    const reason = await this.confirm.ask({
      title: `Report ${whose} lost and revoke it?`,
      text: `Device ${d.deviceId.slice(0, 12)} will be signed out for good: it cannot read new messages or send any, and conversations move on without it. When it next connects it erases Wardline’s data. Your name is recorded as who reported it. This cannot be undone.`,
      confirmLabel: 'Revoke device',
      reasonLabel: 'Reason (for example “phone lost”)',
    })
    if (reason === null) return
    // Destructive and final: the PIN is asked again, and the worker checks it like an unlock.
    await this.#run(scope, async () => {
      await this.reauth.ask({
        title: 'Enter your PIN to revoke the device',
        text: `Revoking ${whose} cannot be undone.`,
        confirmLabel: 'Revoke device',
        run: async (pin) => void (await client.call('revokeDevice', { deviceId: d.deviceId, reason: reason || 'revoked', pin })),
      })
    })
  }

  async #addDevice(g: Group): Promise<void> {
    const client = this.client
    if (!client) return
    const role = this.people.find((p) => p.userId === g.userId)?.role === 'admin' ? 'admin' : 'clinician'
    await this.#run(g.userId, async () => {
      const result = await client.call('createEnrollmentCode', { displayName: g.displayName, role, validHours: 72, userId: g.userId })
      this.enrollments = new Map(this.enrollments).set(g.userId, result)
    })
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-devices': WlDevices
  }
}
