/**
 * The compliance export's command line (decision 0019): options, and the shares file — one share
 * per line as printed at setup, blank lines and `#` comments skipped, an `Officer name:` prefix
 * allowed.
 */
import type { StoreLocation } from './store.ts'

export const USAGE =
  'usage: compliance:export (--data DIR | --database-url URL) --conversation ID ' +
  '--shares FILE [--out DIR] [--root FINGERPRINT]'

export type Args = StoreLocation & {
  conversation: string
  shares: string
  out?: string
  root?: string
}

export function parseArgs(argv: string[]): Args | string {
  const names = ['data', 'database-url', 'conversation', 'shares', 'out', 'root']
  const got: Record<string, string> = {}
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined]
    const value = inline ?? argv[++i]
    if (!flag.startsWith('--') || !names.includes(flag.slice(2)) || !value) {
      return `unknown or incomplete option ${flag}`
    }
    got[flag.slice(2)] = value
  }
  if ((got.data === undefined) === (got['database-url'] === undefined)) {
    return 'give exactly one of --data or --database-url'
  }
  if (!got.conversation || !got.shares) return '--conversation and --shares are required'
  const at: StoreLocation = got.data ? { data: got.data } : { databaseUrl: got['database-url']! }
  return {
    ...at,
    conversation: got.conversation,
    shares: got.shares,
    ...(got.out ? { out: got.out } : {}),
    ...(got.root ? { root: got.root } : {}),
  }
}

/** One share per line; blank lines and `#` comments skipped; an `Officer name:` prefix allowed. */
export function readShareLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => l.match(/WLCS1[0-9A-Za-z\s-]*$/i)?.[0] ?? l)
}
