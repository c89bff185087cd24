/**
 * Relay faults for the simulator (issue 4 "Faults"): a fleet of real relay processes that can be
 * killed with SIGKILL and restarted on the same port and data (directory or Postgres database),
 * or paused with SIGSTOP and resumed. The devices are never told: they find out and reconnect on
 * their own, as they would in a ward.
 */
import { type RelayProcess, startRelayProcess } from './relay-process.ts'

const log = (s: string) => console.error(`sim: ${s}`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export type FleetOptions = {
  /** One data directory per relay; with SQLite only one relay makes sense. */
  dataDirs: string[]
  /** Extra environment for every relay (e.g. WARDLINE_DATABASE_URL). */
  env?: Record<string, string>
}

export class RelayFleet {
  readonly relays: RelayProcess[] = []
  #ports: number[] = []
  #o: FleetOptions

  private constructor(o: FleetOptions) {
    this.#o = o
  }

  static async start(o: FleetOptions): Promise<RelayFleet> {
    // One setup code for all: relays on one database share the organisation's setup.
    const setupCode = crypto.randomUUID().replaceAll('-', '').toUpperCase()
    o = { ...o, env: { WARDLINE_SETUP_CODE: setupCode, ...o.env } }
    const fleet = new RelayFleet(o)
    for (const dir of o.dataDirs) {
      const relay = await startRelayProcess(dir, { env: o.env ?? {} })
      fleet.relays.push(relay)
      fleet.#ports.push(Number(new URL(relay.url).port))
    }
    return fleet
  }

  get urls(): string[] {
    return this.relays.map((r) => r.url)
  }

  /** SIGKILL relay i, wait for it to be gone, start it again on the same port and data. */
  async killAndRestart(i: number): Promise<void> {
    const old = this.relays[i]!
    old.child.kill('SIGKILL')
    await old.child.status
    // The port is free again once the process is gone; retry briefly in case the kernel lags.
    let lastError: unknown = null
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        this.relays[i] = await startRelayProcess(this.#o.dataDirs[i]!, { port: this.#ports[i]!, env: this.#o.env ?? {} })
        return
      } catch (e) {
        lastError = e
        await sleep(250)
      }
    }
    throw new Error(`relay ${i} did not restart on port ${this.#ports[i]}: ${lastError instanceof Error ? lastError.message : lastError}`)
  }

  pause(i: number): void {
    this.relays[i]!.child.kill('SIGSTOP')
  }

  resume(i: number): void {
    this.relays[i]!.child.kill('SIGCONT')
  }

  async stop(): Promise<void> {
    for (const r of this.relays) {
      try {
        r.child.kill('SIGCONT') // a paused relay cannot handle SIGTERM
      } catch { /* gone */ }
      await r.stop()
    }
  }
}

/** What the scenario lets a fault plan watch while the turns are being sent. */
export type FaultContext = {
  /** Turns handed to the engine so far, and in all. */
  sent(): number
  totalTurns: number
  /** Every device (and the admin) is online. */
  allOnline(): boolean
  /**
   * The replay hands no turn past this count to the engine until the fault plan moves it on, so
   * each fault happens at its point of the replay however long the one before took to heal.
   */
  holdAt: number
}

export type FaultPlan = {
  /** SIGKILL + restart this many times, at seeded points of the replay. */
  kills: number
  /** SIGSTOP one relay for this many seconds at a seeded point of the replay (0: never). */
  pauseSeconds: number
  random: () => number
}

export type FaultReport = { kills: number; pauses: number; pauseStartedAt: number | null; pauseEndedAt: number | null }

/**
 * Runs the plan against the fleet while the scenario sends. Kill points are seeded positions in
 * the replay (turn counts): the replay is held at the next point until it fires; when it is
 * reached, a seeded relay is killed (after a few seeded milliseconds, so frames are caught in
 * flight) and restarted, the replay moves on to the following point, and the plan waits until
 * every device has reconnected by itself before that one can fire.
 */
export async function runFaults(fleet: RelayFleet, plan: FaultPlan, ctx: FaultContext): Promise<FaultReport> {
  try {
    return await runPlan(fleet, plan, ctx)
  } finally {
    ctx.holdAt = Infinity // never leave the replay held, even when a restart failed
  }
}

async function runPlan(fleet: RelayFleet, plan: FaultPlan, ctx: FaultContext): Promise<FaultReport> {
  const report: FaultReport = { kills: 0, pauses: 0, pauseStartedAt: null, pauseEndedAt: null }
  const total = Math.max(1, ctx.totalTurns)
  const events: { kind: 'kill' | 'pause'; at: number }[] = Array.from(
    { length: plan.kills },
    () => ({ kind: 'kill' as const, at: Math.floor(plan.random() * total) }),
  )
  if (plan.pauseSeconds > 0) events.push({ kind: 'pause', at: Math.floor((0.25 + plan.random() * 0.5) * total) })
  events.sort((a, b) => a.at - b.at)
  const pick = () => Math.floor(plan.random() * fleet.relays.length)
  ctx.holdAt = events[0]?.at ?? Infinity
  for (const [n, event] of events.entries()) {
    while (ctx.sent() < event.at) await sleep(10)
    await sleep(Math.floor(plan.random() * 50))
    const i = pick()
    if (event.kind === 'kill') {
      await fleet.killAndRestart(i)
      report.kills++
      log(`killed relay ${i} with SIGKILL at turn ${ctx.sent()}/${total} and restarted it (${report.kills}/${plan.kills})`)
    } else {
      report.pauseStartedAt = Date.now()
      fleet.pause(i)
      log(`paused relay ${i} (SIGSTOP) at turn ${ctx.sent()}/${total} for ${plan.pauseSeconds} s`)
      await sleep(plan.pauseSeconds * 1000)
      fleet.resume(i)
      report.pauseEndedAt = Date.now()
      report.pauses++
      log(`resumed relay ${i} (SIGCONT)`)
    }
    ctx.holdAt = events[n + 1]?.at ?? Infinity
    const deadline = Date.now() + 180_000
    while (!ctx.allOnline()) {
      if (Date.now() > deadline) throw new Error('devices did not reconnect within 180 s of a relay fault')
      await sleep(20)
    }
  }
  return report
}

/** The most connection attempts any one device made in any 30 s window starting at or after `from`. */
export function maxAttemptsPer30s(attempts: Map<string, number[]>, from: number): number {
  let max = 0
  for (const times of attempts.values()) {
    const t = times.filter((x) => x >= from).sort((a, b) => a - b)
    let lo = 0
    for (let hi = 0; hi < t.length; hi++) {
      while (t[hi]! - t[lo]! >= 30_000) lo++
      max = Math.max(max, hi - lo + 1)
    }
  }
  return max
}
