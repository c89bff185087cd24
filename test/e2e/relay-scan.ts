/**
 * Zero-knowledge checks for end-to-end tests (DESIGN §7): search every byte the relay wrote (its
 * data directory and its log output) for canary strings as UTF-8, UTF-16 and base64, and read the
 * SQLite database through SQLite itself (Deno's node:sqlite), since pages can hide raw bytes.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { canaryForms } from '../canary-forms.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? filesUnder(p) : [p]
  })
}

/** Names of the canaries found in raw bytes of these files or texts. */
export function scanBytes(sources: { files: string[]; texts: string[] }, canaries: string[]): string[] {
  const blobs = [...sources.files.map((f) => readFileSync(f)), ...sources.texts.map((t) => Buffer.from(t))]
  return canaries.filter((c) => canaryForms(c).some((form) => blobs.some((b) => b.includes(form))))
}

/** Every cell of every table of the SQLite file, as text, read through SQLite itself. */
export function dumpSqlite(dbFile: string): string {
  const script = `
    import { DatabaseSync } from 'node:sqlite'
    const db = new DatabaseSync(Deno.args[0], { readOnly: true })
    const tables = db.prepare("select name from sqlite_master where type='table'").all()
    const out = []
    for (const { name } of tables) {
      for (const row of db.prepare('select * from "' + name + '"').all()) {
        for (const v of Object.values(row)) {
          if (v instanceof Uint8Array) out.push(new TextDecoder().decode(v), btoa(String.fromCharCode(...v.subarray(0, 65536))))
          else out.push(String(v))
        }
      }
    }
    console.log(out.join('\\n'))`
  return execFileSync(join(root, 'node_modules/.bin/deno'), ['eval', '--quiet', script, dbFile], {
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' },
    maxBuffer: 512 * 1024 * 1024,
  }).toString()
}

export function scanRelay(dataDir: string, logs: string, canaries: string[]): string[] {
  const files = filesUnder(dataDir)
  const found = new Set(scanBytes({ files, texts: [logs] }, canaries))
  const sqlText = files.filter((f) => f.endsWith('.sqlite')).map(dumpSqlite).join('\n')
  for (const c of canaries) if (canaryForms(c).some((form) => Buffer.from(sqlText).includes(form))) found.add(c)
  return [...found]
}
