/**
 * Counters, gauges and one latency histogram, rendered in the Prometheus text format for
 * `GET /metrics`. Label values are only frame types, error codes and close codes — fixed sets
 * from the relay's own code — never ids, names, addresses or content (DESIGN §5).
 */

/** Upper bounds (seconds) of the frame-handling latency histogram. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

type Labelled = Map<string, number>

const HELP: Record<string, [type: 'counter' | 'gauge', help: string]> = {
  wardline_connections: ['gauge', 'Open WebSocket connections'],
  wardline_connections_authenticated: ['gauge', 'Logged-in WebSocket connections'],
  wardline_buffered_bytes: ['gauge', 'Outbound bytes queued on all open connections'],
  wardline_frames_in_total: ['counter', 'Frames received, by type'],
  wardline_frames_out_total: ['counter', 'Frames sent'],
  wardline_bytes_in_total: ['counter', 'WebSocket bytes received'],
  wardline_bytes_out_total: ['counter', 'WebSocket bytes sent'],
  wardline_appends_total: ['counter', 'Envelopes and commits durably appended'],
  wardline_errors_total: ['counter', 'Error frames sent and HTTP errors, by code'],
  wardline_closes_total: ['counter', 'Connections closed by the relay, by close code'],
  wardline_rate_limited_total: ['counter', 'Send frames refused by the per-device rate limit'],
  wardline_buffered_drops_total: ['counter', 'Connections dropped for not reading (buffer cap)'],
  wardline_refused_upgrades_total: ['counter', 'WebSocket upgrades refused, by code'],
  wardline_http_responses_total: ['counter', 'HTTP responses (not upgrades), by status code'],
  wardline_pruned_envelopes_total: ['counter', 'Envelopes deleted by the mailbox time-to-live'],
}

const escape = (v: string) => v.replace(/["\\\n]/g, '_')

export class Metrics {
  private readonly values = new Map<string, Labelled>()
  private readonly histogram = new Map<string, { buckets: number[]; sum: number; count: number }>()
  /** Gauges computed when scraped (open connections, buffered bytes). */
  private readonly gauges = new Map<string, () => number>()

  inc(name: keyof typeof HELP, label = '', by = 1): void {
    const m = this.values.get(name) ?? new Map<string, number>()
    m.set(label, (m.get(label) ?? 0) + by)
    this.values.set(name, m)
  }

  get(name: keyof typeof HELP, label = ''): number {
    return this.gauges.get(name)?.() ?? this.values.get(name)?.get(label) ?? 0
  }

  gauge(name: keyof typeof HELP, read: () => number): void {
    this.gauges.set(name, read)
  }

  /** Records how long handling one frame of `type` took. */
  observe(type: string, seconds: number): void {
    const h = this.histogram.get(type) ??
      { buckets: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 }
    LATENCY_BUCKETS.forEach((le, i) => {
      if (seconds <= le) h.buckets[i]!++
    })
    h.sum += seconds
    h.count++
    this.histogram.set(type, h)
  }

  render(): string {
    const lines: string[] = []
    const labelName = (name: string) => name === 'wardline_frames_in_total' ? 'type' : 'code'
    for (const [name, [type, help]] of Object.entries(HELP)) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
      const read = this.gauges.get(name)
      if (read) {
        lines.push(`${name} ${read()}`)
        continue
      }
      const m = this.values.get(name)
      if (!m || m.size === 0) lines.push(`${name} 0`)
      for (const [label, v] of m ?? []) {
        lines.push(label ? `${name}{${labelName(name)}="${escape(label)}"} ${v}` : `${name} ${v}`)
      }
    }
    const h = 'wardline_frame_seconds'
    lines.push(`# HELP ${h} Time to handle one frame, by type`, `# TYPE ${h} histogram`)
    for (const [type, v] of this.histogram) {
      const t = `type="${escape(type)}"`
      LATENCY_BUCKETS.forEach((le, i) => lines.push(`${h}_bucket{${t},le="${le}"} ${v.buckets[i]}`))
      lines.push(`${h}_bucket{${t},le="+Inf"} ${v.count}`)
      lines.push(`${h}_sum{${t}} ${v.sum}`, `${h}_count{${t}} ${v.count}`)
    }
    return lines.join('\n') + '\n'
  }
}
