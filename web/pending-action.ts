/**
 * A user action that calls the worker, rendered in every state (idle, pending, failed) the way
 * Lit's Task controller does: one place for "ignore a second tap while pending" and "show a
 * failure in plain words", shared by every form.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit'
import { describeError } from './error-text.ts'
import { errorCode } from './worker-client.ts'

export class PendingAction implements ReactiveController {
  busy = false
  problem: string | null = null

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this)
  }

  hostConnected(): void {}

  /** Shows a problem found before calling the worker (or clears it with null). */
  fail(problem: string | null): void {
    this.problem = problem
    this.host.requestUpdate()
  }

  /** Runs `work` unless it is already running; a failure becomes the problem to show. */
  async run(work: () => Promise<void>): Promise<boolean> {
    if (this.busy) return false
    this.busy = true
    this.problem = null
    this.host.requestUpdate()
    try {
      await work()
      return true
    } catch (error) {
      this.problem = describeError(errorCode(error))
      return false
    } finally {
      this.busy = false
      this.host.requestUpdate()
    }
  }
}
