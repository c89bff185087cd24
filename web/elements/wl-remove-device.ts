/**
 * "This device" lifecycle on the Organisation screen (decision 0012): when its offline lease runs
 * out (and when the device would erase itself if it never reconnects), and "Remove Wardline from
 * this device" — confirmed, then `removeThisDevice`: the worker revokes the device at the relay
 * with its own signature and erases it; main.ts clears the rest of the origin. Offline, the worker
 * refuses and this says why. No keys or content here.
 */
import { LitElement, html } from 'lit'
import { customElement, property, query } from 'lit/decorators.js'
import type { LeaseStatus } from '../../workers/protocol.ts'
import { PendingAction } from '../pending-action.ts'
import { baseStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'
import type { WlConfirm } from './wl-confirm.ts'
import './wl-confirm.ts'

const when = (t: number | null | undefined) => (t ? new Date(t).toLocaleString() : 'unknown')

@customElement('wl-remove-device')
export class WlRemoveDevice extends LitElement {
  static override styles = [baseStyles]

  @property({ attribute: false }) client: WorkerClient | null = null
  @property({ attribute: false }) lease: LeaseStatus | null = null
  readonly action = new PendingAction(this)
  @query('wl-confirm') private confirm!: WlConfirm

  override render() {
    const l = this.lease
    return html`
      ${l && l.locksAt
        ? html`<p data-testid="lease-info">Offline lease: this device must connect to your organisation’s server by
            <strong>${when(l.locksAt)}</strong>, or it locks until it does; if it still has not connected by
            ${when(l.wipesAt)}, Wardline erases its data here.</p>`
        : null}
      <h4>End of shift on a shared device</h4>
      <p class="muted">Signing out erases your messages and keys from this device and tells your organisation; other people’s
        Wardline on this device stays. To use it here again you need a new enrollment code. To step away without erasing, use Switch user.</p>
      <button class="danger" data-testid="sign-out" ?disabled=${this.action.busy} @click=${() => void this.#signOut()}>
        ${this.action.busy ? 'Working…' : 'Sign out and erase my data here'}</button>
      <h4>Remove Wardline</h4>
      <button class="danger" data-testid="remove-this-device" ?disabled=${this.action.busy} @click=${() => void this.#remove()}>
        ${this.action.busy ? 'Removing…' : 'Remove Wardline from this device'}</button>
      ${this.action.problem ? html`<p class="error" role="alert" data-testid="remove-problem">${this.action.problem}</p>` : null}
      <wl-confirm></wl-confirm>
    `
  }

  async #signOut(): Promise<void> {
    const client = this.client
    if (!client) return
    const yes = await this.confirm.ask({
      title: 'Sign out and erase your data here?',
      text: 'Your organisation is told that you signed out of this device, then your messages, keys and stored data are erased from it. Other people’s Wardline on this device is not touched.',
      confirmLabel: 'Sign out and erase',
    })
    if (yes === null) return
    await this.action.run(async () => {
      await client.call('signOut', {})
    })
  }

  async #remove(): Promise<void> {
    const client = this.client
    if (!client) return
    const yes = await this.confirm.ask({
      title: 'Remove Wardline from this device?',
      text: 'Your organisation is told that this device is removed, then every message, key and stored item of Wardline is erased from it. Your other devices keep working. This cannot be undone.',
      confirmLabel: 'Remove and erase',
    })
    if (yes === null) return
    await this.action.run(async () => {
      await client.call('removeThisDevice', {})
    })
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-remove-device': WlRemoveDevice
  }
}
