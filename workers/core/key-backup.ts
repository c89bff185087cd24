/**
 * Keeps the user's encrypted key backup on the relay current from this device, and restores
 * from it (issue 3, decision 0007). The device stores only the derived backup key (in its
 * encrypted store, `kb/state`), never the recovery key text. Each upload merges with what the
 * relay holds (any device of the user may have added keys) and carries the next version; two
 * devices racing get `relay/stale-backup` and the loser merges again. Runs outside the client's
 * frame queue: it waits for relay answers that arrive through that queue.
 */
import * as c from '../../crypto/mod.ts'
import type { Frame, FrameOf } from '../../relay/wire/frames.ts'
import type { KeyBackupStatus, RestoreReport } from '../protocol.ts'
import type { ClientStore } from './store.ts'

/** How long new keys wait before an upload, so one burst of commits makes one backup. */
export const KEY_BACKUP_DELAY_MS = 3000
const FETCH_TIMEOUT_MS = 15_000
const STATE = 'kb/state'
/** Keys restored for conversations this device is not in yet, by conversation id. */
export const RESTORED_PREFIX = 'kb/restored/'

type State = {
  backupKey: Uint8Array
  keyId: string
  version: number
  /** A backup under this key is on the relay (uploaded or read): never overwrite another key's then. */
  onRelay: boolean
  backedUpAt: number | null
  problem: string | null
}

export type KeyBackupHost = {
  store: ClientStore
  userId: string
  now: () => number
  /** Sends a frame now; false when offline. */
  send(frame: Frame): boolean
  /** Waits a moment for the connection (it may be logging in right now); false if it stays down. */
  whenOnline(): Promise<boolean>
  /** Sends a request and resolves with the ack's seq, or rejects with the relay's code. */
  request(frame: Frame & { ref: string }): Promise<number>
  /** Every epoch key this device holds, also those kept for conversations it is not in yet. */
  collect(): Promise<c.BackupEntry[]>
  /** Adds opened keys to the conversations and opens what they unlock. */
  merge(entries: c.BackupEntry[]): Promise<RestoreReport>
  delayMs?: number
}

const fail = (code: string) => Object.assign(new Error(code), { code })
const entryKey = (e: c.BackupEntry) => `${e.conversationId}\u0000${e.epoch}`

/** The union of two key lists (this device's copy wins a disagreement; none is expected). */
function union(local: c.BackupEntry[], remote: c.BackupEntry[]): { all: c.BackupEntry[]; added: number } {
  const map = new Map(remote.map((e) => [entryKey(e), e]))
  let added = 0
  for (const e of local) {
    if (!map.has(entryKey(e))) added++
    map.set(entryKey(e), e)
  }
  // Over the bound, the latest epochs win: they protect the most recent history.
  const all = [...map.values()].sort((a, b) => b.epoch - a.epoch).slice(0, c.MAX_BACKUP_KEYS)
  return { all, added }
}

export class KeyBackupSync {
  #h: KeyBackupHost
  #fetches = new Map<string, { resolve: (blob: Uint8Array) => void; reject: (e: Error) => void }>()
  #timer: ReturnType<typeof setTimeout> | null = null
  #running: Promise<void> = Promise.resolve()
  /** Whether this device keeps a backup (null until the store was read): no timers otherwise. */
  #enabled: boolean | null = null
  #stopped = false

  constructor(host: KeyBackupHost) {
    this.#h = host
  }

  /** The relay's answer to getKeyBackup. */
  onFrame(frame: FrameOf<'keyBackup'>): void {
    const f = this.#fetches.get(frame.ref)
    this.#fetches.delete(frame.ref)
    f?.resolve(frame.backup)
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    for (const f of this.#fetches.values()) f.reject(fail('net/stopped'))
    this.#fetches.clear()
  }

  /** New epoch keys were learned: upload a fresh backup soon (if this device keeps one). */
  schedule(): void {
    if (this.#timer || this.#stopped || this.#enabled === false) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      void this.backupNow().catch(() => {}) // the problem is kept in the state and shown in settings
    }, this.#h.delayMs ?? KEY_BACKUP_DELAY_MS)
  }

  /** After (re)connecting: retry an upload that failed or never happened. */
  async resume(): Promise<void> {
    const state = await this.#state()
    if (state && (!state.onRelay || (state.problem !== null && state.problem !== 'backup/key-replaced'))) this.schedule()
  }

  /** One upload at a time from this device. */
  backupNow(): Promise<void> {
    const run = this.#running.then(() => this.#backup())
    this.#running = run.catch(() => {})
    return run
  }

  async #state(): Promise<State | undefined> {
    const state = await this.#h.store.get<State>(STATE)
    this.#enabled = state !== undefined
    return state
  }

  async #save(state: State): Promise<void> {
    await this.#h.store.write([{ key: STATE, value: state }])
    this.#enabled = true
  }

  async #fetch(options: { wait: boolean } = { wait: true }): Promise<Uint8Array> {
    if (options.wait) await this.#h.whenOnline()
    const ref = `kb/${c.bytesToHex(c.randomBytes(6))}`
    const answer = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fetches.delete(ref)
        reject(fail('net/timeout'))
      }, FETCH_TIMEOUT_MS)
      const done = <T>(fn: (v: T) => void) => (v: T) => (clearTimeout(timer), fn(v))
      this.#fetches.set(ref, { resolve: done(resolve), reject: done(reject) })
    })
    if (!this.#h.send({ type: 'getKeyBackup', ref })) this.#fetches.get(ref)?.reject(fail('net/offline'))
    return await answer
  }

  async #backup(): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const state = await this.#state()
      if (!state || state.problem === 'backup/key-replaced') return
      try {
        if (await this.#uploadOnce(state)) return
      } catch (e) {
        const code = (e as { code?: string }).code ?? 'backup/failed'
        if (code === 'relay/stale-backup') continue // another device of the user stored one first
        await this.#save({ ...state, problem: code })
        throw e
      }
    }
  }

  /** Merges with the relay's backup and uploads the next version; true when done. */
  async #uploadOnce(state: State): Promise<boolean> {
    const remote = await this.#fetch()
    const local = await this.#h.collect()
    let base = state.version
    let merged = union(local, [])
    const header = remote.length > 0 ? c.parseKeyBackupHeader(remote) : null
    if (header?.ok) {
      base = Math.max(base, header.value.version)
      if (header.value.keyId !== state.keyId && state.onRelay) {
        // A newer recovery key was made on another device: do not destroy its backup.
        await this.#save({ ...state, problem: 'backup/key-replaced' })
        return true
      }
      const opened = header.value.keyId === state.keyId ? c.openKeyBackup(remote, state.backupKey, { userId: this.#h.userId }) : null
      if (opened?.ok) {
        merged = union(local, opened.value.entries)
        if (merged.added === 0) {
          await this.#save({ ...state, version: base, onRelay: true, problem: null })
          return true // the relay's copy already holds every key this device has
        }
      }
    }
    const version = base + 1
    const backup = c.sealKeyBackup(merged.all, state.backupKey, { userId: this.#h.userId, createdAt: this.#h.now(), version })
    await this.#h.request({ type: 'putKeyBackup', ref: `kb/put/${version}`, backup })
    await this.#save({ ...state, version, onRelay: true, backedUpAt: this.#h.now(), problem: null })
    return true
  }

  /** Makes a new recovery key, keeps its backup key, uploads; the text is returned once. */
  async create(): Promise<{ recoveryKey: string; backedUp: boolean }> {
    const { text, secret } = c.newRecoveryKey()
    const backupKey = c.deriveBackupKey(secret)
    c.wipe(secret)
    const previous = await this.#state()
    await this.#save({
      backupKey,
      keyId: c.backupKeyId(backupKey),
      version: previous?.version ?? 0,
      onRelay: false,
      backedUpAt: null,
      problem: null,
    })
    const backedUp = await this.backupNow().then(() => true, () => false)
    return { recoveryKey: text, backedUp: backedUp && (await this.#state())?.onRelay === true }
  }

  /** Opens the relay's backup with a typed recovery key and merges its keys; nothing changes on failure. */
  async restore(text: string): Promise<RestoreReport> {
    const secret = c.parseRecoveryKey(text)
    if (!secret.ok) throw fail(secret.code)
    const backupKey = c.deriveBackupKey(secret.value)
    c.wipe(secret.value)
    const remote = await this.#fetch()
    if (remote.length === 0) throw fail('backup/none')
    const opened = c.openKeyBackup(remote, backupKey, { userId: this.#h.userId })
    if (!opened.ok) throw fail(opened.code)
    const report = await this.#h.merge(opened.value.entries)
    const previous = await this.#state()
    await this.#save({
      backupKey,
      keyId: opened.value.header.keyId,
      version: opened.value.header.version,
      onRelay: true,
      backedUpAt: previous?.backedUpAt ?? null,
      problem: null,
    })
    this.schedule() // this device's own keys join the backup
    return report
  }

  async status(): Promise<KeyBackupStatus> {
    const state = await this.#state()
    let offerRestore = false
    if (!state) {
      const remote = await this.#fetch({ wait: false }).catch(() => new Uint8Array(0))
      const header = remote.length > 0 ? c.parseKeyBackupHeader(remote) : null
      offerRestore = header?.ok === true && header.value.userId === this.#h.userId
    }
    return {
      enabled: state !== undefined,
      version: state?.onRelay ? state.version : null,
      backedUpAt: state?.backedUpAt ?? null,
      pending: this.#timer !== null,
      problem: state?.problem ?? null,
      offerRestore,
    }
  }
}

/** Keys restored for a conversation before this device was in it (merged when it arrives). */
export async function restoredKeysFor(store: ClientStore, conversationId: string): Promise<Record<string, Uint8Array> | undefined> {
  return await store.get<Record<string, Uint8Array>>(RESTORED_PREFIX + conversationId)
}
