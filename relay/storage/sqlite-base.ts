/**
 * The SQLite plumbing shared by the relay's SQLite storage classes: prepared-statement helpers,
 * IMMEDIATE transactions and value conversions. No table knowledge lives here.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite'

export type Row = Record<string, unknown>
export const bytes = (v: unknown): Uint8Array => v as Uint8Array
export const num = (v: unknown): number => Number(v)

// Not secret material, so a plain early-exit comparison is fine here.
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}

export function isConstraintError(e: unknown): boolean {
  return e instanceof Error && /constraint/i.test(e.message)
}

export class SqliteBase {
  /** Prepared once per SQL text: every hot path (append, catch-up) reuses its statement. */
  private readonly statements = new Map<string, StatementSync>()

  constructor(protected readonly db: DatabaseSync) {}

  private prepare(sql: string): StatementSync {
    let s = this.statements.get(sql)
    if (!s) {
      s = this.db.prepare(sql)
      this.statements.set(sql, s)
    }
    return s
  }

  /**
   * Runs before every transaction: the storage class commits its queued appends here, so writes
   * keep the order they were called in.
   */
  protected beforeTx(): void {}

  /** Runs fn in one IMMEDIATE transaction; rolls back on any throw. */
  protected tx<T>(fn: () => T): T {
    this.beforeTx()
    this.db.exec('BEGIN IMMEDIATE')
    try {
      const out = fn()
      this.db.exec('COMMIT')
      return out
    } catch (e) {
      this.db.exec('ROLLBACK')
      throw e
    }
  }

  protected get(sql: string, ...params: unknown[]): Row | undefined {
    return this.prepare(sql).get(...(params as never[])) as Row | undefined
  }

  protected all(sql: string, ...params: unknown[]): Row[] {
    return this.prepare(sql).all(...(params as never[])) as Row[]
  }

  protected run(sql: string, ...params: unknown[]): { changes: number } {
    const r = this.prepare(sql).run(...(params as never[]))
    return { changes: Number(r.changes) }
  }
}
