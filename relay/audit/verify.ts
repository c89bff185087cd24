/**
 * `npm run audit:verify -- (--data DIR | --database-url URL) [--root FINGERPRINT]
 * [--checkpoints FILE]` (issue 8): verifies a relay's audit log where it is stored, read-only.
 * Human-readable lines first; the LAST stdout line is exactly one JSON object
 * `{"ok":bool,"records":n,"firstBad":null|{"seq":n,"reason":"…"}}`. Exit 0 on an intact log,
 * 1 on a broken one, 2 when it could not run (bad arguments, unreadable store or file).
 * Without --root it trusts the relay's copy of the root key; without --checkpoints it cannot see
 * truncation or a rewritten chain: both say so on stderr.
 */
import { type AuditCheckpoint, parseCheckpointLine } from '../crypto-surface.ts'
import type { AuditSource } from '../storage/audit.ts'
import { openSqliteAuditSource } from '../storage/sqlite-audit.ts'
import { openPostgresAuditSource } from '../storage/postgres-audit.ts'
import { type AuditVerdict, formatRootFingerprint, verifyAuditLog } from './verify-log.ts'

const USAGE =
  'usage: audit:verify (--data DIR | --database-url URL) [--root FINGERPRINT] [--checkpoints FILE]'

type Args = { data?: string; databaseUrl?: string; root?: string; checkpoints?: string }

export function parseArgs(argv: string[]): Args | string {
  const out: Args = {}
  const names: Record<string, keyof Args> = {
    '--data': 'data',
    '--database-url': 'databaseUrl',
    '--root': 'root',
    '--checkpoints': 'checkpoints',
  }
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined]
    const key = names[flag]
    const value = inline ?? argv[++i]
    if (!key || value === undefined || value === '') return `unknown or incomplete option ${flag}`
    out[key] = value
  }
  if ((out.data === undefined) === (out.databaseUrl === undefined)) {
    return 'give exactly one of --data or --database-url'
  }
  return out
}

/** One checkpoint per non-empty line; an unparsable line is an error naming its line number. */
async function readCheckpoints(file: string): Promise<AuditCheckpoint[] | string> {
  const lines = (await Deno.readTextFile(file)).split('\n')
  const out: AuditCheckpoint[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue
    const c = parseCheckpointLine(lines[i]!)
    if (!c.ok) return `${file}:${i + 1}: not a checkpoint line (${c.code})`
    out.push(c.value)
  }
  return out
}

const err = (line: string) => console.error(`audit:verify: ${line}`)

function report(v: AuditVerdict): number {
  if (v.ok) console.log(`audit log intact: ${v.records} records`)
  else {console.log(
      `audit log NOT intact: first bad record at seq ${v.firstBad?.seq} (${v.firstBad?.reason})`,
    )}
  console.log(JSON.stringify({ ok: v.ok, records: v.records, firstBad: v.firstBad }))
  return v.ok ? 0 : 1
}

function failToRun(message: string): number {
  err(message)
  console.log(JSON.stringify({ ok: false, records: 0, firstBad: null }))
  return 2
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv)
  if (typeof args === 'string') return failToRun(`${args}\n${USAGE}`)
  let checkpoints: AuditCheckpoint[] = []
  if (args.checkpoints !== undefined) {
    const read = await readCheckpoints(args.checkpoints).catch((e) =>
      `cannot read ${args.checkpoints}: ${e?.name}`
    )
    if (typeof read === 'string') return failToRun(read)
    checkpoints = read
  } else {
    err(
      'warning: no --checkpoints: records cut off the end, or a whole chain rewritten with fresh hashes, cannot be detected',
    )
  }
  let source: AuditSource
  try {
    source = args.data !== undefined
      ? openSqliteAuditSource(args.data)
      : await openPostgresAuditSource(args.databaseUrl!)
  } catch (e) {
    return failToRun(e instanceof Error ? e.message : 'cannot open the store')
  }
  try {
    if (args.root === undefined) {
      const shown = source.rootPublicKey
        ? formatRootFingerprint(source.rootPublicKey)
        : 'none stored'
      err(
        `warning: no --root: trusting the relay's copy of the root key (fingerprint ${shown}); compare it with the one the app shows`,
      )
    }
    const verdict = await verifyAuditLog(source, {
      ...(args.root !== undefined ? { rootFingerprint: args.root } : {}),
      checkpoints,
    })
    return report(verdict)
  } finally {
    await source.close()
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args))
