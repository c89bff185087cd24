/**
 * The Postgres plumbing shared by the relay's Postgres storage classes (issue 4): connecting with
 * a clear error when the server is unreachable, transactions that retry what Postgres asks to be
 * retried, and value conversions. No table knowledge lives here. Connection errors name the host,
 * port and database only: never the URL, which may carry a password.
 */
import postgres from 'postgres'

export type Sql = postgres.Sql
export type Tx = postgres.TransactionSql
export type Row = postgres.Row

/** Postgres returns bytea as a Buffer: copy into a plain Uint8Array (what SQLite returns). */
export const bytes = (v: unknown): Uint8Array => new Uint8Array(v as Uint8Array)
/** BIGINT arrives as a string; every stored number stays far below 2^53. */
export const num = (v: unknown): number => Number(v)

/** SQLSTATEs that mean "run the transaction again": serialization failure and deadlock. */
const RETRY_CODES = new Set(['40001', '40P01'])
const MAX_TX_ATTEMPTS = 5

export const isUniqueViolation = (e: unknown): boolean => sqlState(e) === '23505'

function sqlState(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined
}

/** Runs fn in one transaction, again (up to 5 times) when Postgres reports a deadlock. */
export async function transaction<T>(sql: Sql, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await sql.begin(fn) as T
    } catch (e) {
      if (attempt >= MAX_TX_ATTEMPTS || !RETRY_CODES.has(sqlState(e) ?? '')) throw e
    }
  }
}

export type PostgresOptions = {
  /** Tables live in this schema (it must exist); tests give each storage its own. */
  schema?: string
  /** Pool size per relay process (default 10). */
  max?: number
}

/** Where the URL points, without user or password, for error messages and logs. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.hostname || 'localhost'}:${u.port || 5432}${u.pathname || '/'}`
  } catch {
    return 'an unparsable URL'
  }
}

/** Connects and checks the server answers; a down server is a clear error, not a stack trace. */
export async function connectPostgres(url: string, options: PostgresOptions = {}): Promise<Sql> {
  let sql: Sql
  try {
    sql = postgres(url, {
      max: options.max ?? 10,
      connect_timeout: 10,
      onnotice: () => {},
      connection: {
        application_name: 'wardline-relay',
        ...(options.schema ? { search_path: options.schema } : {}),
      },
    })
  } catch {
    throw new RangeError('expected a postgres:// URL in WARDLINE_DATABASE_URL, got an invalid one')
  }
  try {
    await sql`SELECT 1`
  } catch (e) {
    await sql.end({ timeout: 1 }).catch(() => {})
    const reason = sqlState(e) ?? (e instanceof Error ? e.message.split('\n')[0] : 'unknown')
    throw new Error(`cannot reach Postgres at ${describeDatabaseUrl(url)} (${reason})`)
  }
  return sql
}

// Not secret material, so a plain early-exit comparison is fine here.
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}
