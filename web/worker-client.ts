/**
 * The UI's only door to the Wardline worker (DESIGN §2): starts the module worker, sends typed
 * requests from workers/protocol.ts and dispatches its typed events. The main thread imports
 * nothing else from workers/ and nothing from crypto/; it never sees a key.
 */
import {
  PROTOCOL_VERSION,
  type EventMessage,
  type EventName,
  type Events,
  type Method,
  type Methods,
  type Response,
} from '../workers/protocol.ts'

/** A failed call: `code` is the worker's namespaced code (`'local/wrong-pin'`), or `ui/…`. */
export class WorkerCallError extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
    this.name = 'WorkerCallError'
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (error: WorkerCallError) => void }
type Listener<E extends EventName> = (data: Events[E]) => void

export class WorkerClient {
  #worker: Worker | null
  #nextId = 1
  #pending = new Map<number, Pending>()
  #listeners = new Map<EventName, Set<Listener<EventName>>>()

  constructor(worker: Worker) {
    this.#worker = worker
    worker.addEventListener('message', (e: MessageEvent<unknown>) => this.#onMessage(e.data))
    worker.addEventListener('error', (e) => {
      // A load or top-level failure: nothing pending will ever be answered.
      e.preventDefault()
      this.#failAll('ui/worker-failed', 'The app could not start its secure worker')
      this.#emit('alert', { code: 'ui/worker-failed', message: 'The app could not start. Reload the page.' })
    })
  }

  call<M extends Method>(method: M, params: Methods[M]['params']): Promise<Methods[M]['result']> {
    const worker = this.#worker
    if (!worker) return Promise.reject(new WorkerCallError('ui/worker-stopped', 'The worker was stopped'))
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      worker.postMessage({ v: PROTOCOL_VERSION, id, method, params })
    })
  }

  /** Subscribes to one event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(event)
    if (!set) this.#listeners.set(event, (set = new Set()))
    set.add(listener as Listener<EventName>)
    return () => set.delete(listener as Listener<EventName>)
  }

  get isRunning(): boolean {
    return this.#worker !== null
  }

  /** Stops the worker at once (another tab takes over); pending calls reject. */
  terminate(): void {
    this.#worker?.terminate()
    this.#worker = null
    this.#failAll('ui/worker-stopped', 'The worker was stopped')
    this.#listeners.clear()
  }

  #onMessage(data: unknown): void {
    if (!isRecord(data) || data.v !== PROTOCOL_VERSION) return
    if (typeof data.event === 'string') {
      const msg = data as EventMessage
      this.#emit(msg.event, msg.data)
      return
    }
    if (typeof data.id !== 'number') return
    const res = data as Response
    const pending = this.#pending.get(res.id)
    if (!pending) return
    this.#pending.delete(res.id)
    if (res.ok) pending.resolve(res.result)
    else pending.reject(new WorkerCallError(String(res.error?.code ?? 'ui/unknown'), String(res.error?.message ?? '')))
  }

  #emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        listener(payload)
      } catch (error) {
        console.error('wardline: event listener failed', event, error)
      }
    }
  }

  #failAll(code: string, message: string): void {
    const pending = [...this.#pending.values()]
    this.#pending.clear()
    for (const p of pending) p.reject(new WorkerCallError(code, message))
  }
}

/**
 * Starts the real module worker; Vite emits it as its own file so `worker-src 'self'` holds.
 * `db` names the one profile database it may open (shared-device mode, web/profiles.ts).
 */
export function startWorkerClient(db?: string): WorkerClient {
  const worker = new Worker(new URL('../workers/wardline.worker.ts', import.meta.url), {
    type: 'module',
    name: db ? `wardline:${db}` : 'wardline',
  })
  return new WorkerClient(worker)
}

/** The code of any error a call rejected with. */
export function errorCode(error: unknown): string {
  return error instanceof WorkerCallError ? error.code : 'ui/unknown'
}

function isRecord(value: unknown): value is Record<string, unknown> & { [k: string]: any } {
  return typeof value === 'object' && value !== null
}
