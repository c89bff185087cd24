/**
 * Admin console — audit log (issue 8 read from the console of issue 7): pages of records (event,
 * time, actor, fields) read through the worker, "Sign checkpoint" (the worker signs the relay's
 * head and keeps it in this device's encrypted store, decision 0013) and "Export": the records as
 * JSON lines and the checkpoints file that `npm run audit:verify -- --checkpoints FILE` reads.
 */
import { LitElement, css, html } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { AuditCheckpointView, AuditRecordView } from '../../workers/protocol.ts'
import { formatTime } from '../format-time.ts'
import { PendingAction } from '../pending-action.ts'
import { adminStyles, baseStyles } from '../styles.ts'
import type { WorkerClient } from '../worker-client.ts'

const PAGE = 25

/** Saves text as a file through a temporary object URL (no server round trip). */
function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

@customElement('wl-admin-audit')
export class WlAdminAudit extends LitElement {
  static override styles = [
    baseStyles,
    adminStyles,
    css`
      :host { display: block; }
      section { margin-bottom: 1.5rem; }
      h3 { font-size: 1rem; }
      .table { list-style: none; margin: 0; padding: 0; background: var(--wl-surface); border: 1px solid var(--wl-border); border-radius: 12px; overflow: hidden; }
      .record { display: grid; grid-template-columns: 3.5rem 1fr; gap: 0.1rem 0.75rem; padding: 0.55rem 0.85rem; border-top: 1px solid var(--wl-border); }
      .record:first-child { border-top: 0; }
      .seq { color: var(--wl-muted); font-family: var(--wl-mono); font-size: 0.85rem; grid-row: span 2; padding-top: 0.1rem; }
      .event { font-weight: 600; overflow-wrap: anywhere; }
      .detail { font-size: 0.88rem; color: var(--wl-muted); overflow-wrap: anywhere; }
      .pager { display: flex; gap: 0.5rem; align-items: center; justify-content: space-between; margin-top: 0.75rem; flex-wrap: wrap; }
      @media (min-width: 700px) {
        .record { grid-template-columns: 4rem 12rem 1fr; }
        .seq { grid-row: auto; }
      }
    `,
  ]

  @property({ attribute: false }) client: WorkerClient | null = null
  @state() private records: AuditRecordView[] | null = null
  @state() private checkpoints: AuditCheckpointView[] = []
  @state() private exported: string | null = null
  /** The seq the shown page starts after (the relay pages forward from it). */
  @state() private since = 0
  readonly load = new PendingAction(this)
  readonly signing = new PendingAction(this)
  readonly exporting = new PendingAction(this)

  override connectedCallback(): void {
    super.connectedCallback()
    void this.#page(0, true)
    void this.#loadCheckpoints()
  }

  /** One page after `since`, or the newest page. */
  async #page(since: number, newest = false): Promise<void> {
    const client = this.client
    if (!client) return
    await this.load.run(async () => {
      const page = await client.call('auditRecords', { since, limit: PAGE, newest })
      this.records = page.records
      this.since = page.since
    })
  }

  async #loadCheckpoints(): Promise<void> {
    if (this.client) this.checkpoints = await this.client.call('listAuditCheckpoints', {}).catch(() => [])
  }

  #next(): void {
    const last = this.records?.at(-1)
    if (last) void this.#page(last.seq)
  }

  #previous(): void {
    if (this.since > 0) void this.#page(Math.max(0, this.since - PAGE))
  }

  async #sign(): Promise<void> {
    const client = this.client
    if (!client) return
    await this.signing.run(async () => {
      await client.call('signAuditCheckpoint', {})
      await this.#loadCheckpoints()
    })
  }

  async #export(): Promise<void> {
    const client = this.client
    if (!client) return
    await this.exporting.run(async () => {
      const out = await client.call('exportAudit', {})
      const day = new Date().toISOString().slice(0, 10)
      download(`wardline-audit-${day}.jsonl`, out.records)
      download(`wardline-checkpoints-${day}.jsonl`, out.checkpoints)
      this.exported = `Exported ${out.count} records and ${this.checkpoints.length} checkpoints.`
    })
  }

  #renderRecord(r: AuditRecordView) {
    const fields = Object.entries(r.fields).map(([k, v]) => `${k} ${v}`).join(' · ')
    const actor = r.actor.length > 16 ? `${r.actor.slice(0, 8)}…` : r.actor
    return html`<li class="record" data-testid="audit-record">
      <span class="seq">#${r.seq}</span>
      <span class="detail">${formatTime(r.time)} · ${r.actorName ? html`<bdi>${r.actorName}</bdi> ` : null}<span class="mono" title=${r.actor}>${actor}</span></span>
      <span><span class="event">${r.event}</span>${fields ? html` <span class="detail">${fields}</span>` : null}</span>
    </li>`
  }

  override render() {
    const records = this.records
    const range = records?.length ? `Records #${records[0]!.seq}–#${records.at(-1)!.seq}` : ''
    return html`
      <section>
        <div class="row-tools">
          <button class="primary" data-testid="sign-checkpoint" ?disabled=${this.signing.busy} @click=${() => void this.#sign()}>
            ${this.signing.busy ? 'Signing…' : 'Sign checkpoint'}</button>
          <button data-testid="export-audit" ?disabled=${this.exporting.busy} @click=${() => void this.#export()}>
            ${this.exporting.busy ? 'Exporting…' : 'Export'}</button>
        </div>
        ${this.signing.problem ? html`<p class="error" role="alert">${this.signing.problem}</p>` : null}
        ${this.exporting.problem ? html`<p class="error" role="alert">${this.exporting.problem}</p>` : null}
        ${this.exported ? html`<p class="muted" role="status" data-testid="export-done">${this.exported}</p>` : null}
        <p class="muted" data-testid="checkpoint-count">${this.checkpoints.length
          ? `${this.checkpoints.length} checkpoint${this.checkpoints.length === 1 ? '' : 's'} kept on this device; the newest covers records up to #${this.checkpoints[0]!.seq} (${formatTime(this.checkpoints[0]!.time)}).`
          : 'No checkpoint signed on this device yet. A checkpoint lets a verifier notice records cut off or rewritten later.'}</p>
      </section>
      <section>
        <h3>Records</h3>
        ${this.load.problem ? html`<p class="error" role="alert">${this.load.problem}</p>` : null}
        ${records === null
          ? html`<p class="empty">Loading…</p>`
          : records.length === 0
            ? html`<p class="empty">No more records.</p>`
            : html`<ul class="table" aria-label="Audit records">${records.map((r) => this.#renderRecord(r))}</ul>`}
        <div class="pager">
          <button data-testid="audit-previous" ?disabled=${this.since === 0 || this.load.busy} @click=${() => this.#previous()}>← Earlier</button>
          <span class="muted">${range}</span>
          <button data-testid="audit-next" ?disabled=${!records || records.length < PAGE || this.load.busy} @click=${() => this.#next()}>Later →</button>
          <button class="quiet" data-testid="audit-newest" ?disabled=${this.load.busy} @click=${() => void this.#page(0, true)}>Newest</button>
        </div>
      </section>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wl-admin-audit': WlAdminAudit
  }
}
