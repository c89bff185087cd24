/**
 * A Lit reactive controller that subscribes to worker events while its host is connected, and
 * a coalescing runner so bursts of events cause one refresh at a time, never out of order.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit'
import type { WorkerClient } from './worker-client.ts'

type Host = ReactiveControllerHost & { client: WorkerClient | null }

export class WorkerEventsController implements ReactiveController {
  #unsubscribe: Array<() => void> = []

  constructor(
    private readonly host: Host,
    private readonly subscribe: (client: WorkerClient) => Array<() => void>,
  ) {
    host.addController(this)
  }

  hostConnected(): void {
    if (this.host.client) this.#unsubscribe = this.subscribe(this.host.client)
  }

  hostDisconnected(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
    this.#unsubscribe = []
  }
}

/** Wraps an async job: calls made while it runs collapse into one more run afterwards. */
export function coalesce(job: () => Promise<void>): () => void {
  let running = false
  let again = false
  const run = async (): Promise<void> => {
    if (running) {
      again = true
      return
    }
    running = true
    try {
      do {
        again = false
        await job()
      } while (again)
    } finally {
      running = false
    }
  }
  return () => void run()
}
