/**
 * Where the build gets its Ed25519 release key (docs/decisions/0010): WARDLINE_RELEASE_KEY_FILE
 * names a file holding the 32-byte seed as 64 hex digits or base64; without it a development key
 * is made once under `.wardline/release-key` (git-ignored) and the build warns, because a
 * development key on a build machine is not a release key an organisation should pin.
 * Node-only build code: never bundled into the app.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

export const DEV_KEY_PATH = '.wardline/release-key'

export type ReleaseKeySource = { seed: Uint8Array; path: string; development: boolean }

/** 64 hex digits or base64 of 32 bytes, surrounding whitespace ignored. */
export function parseReleaseSeed(text: string): Uint8Array {
  const t = text.trim()
  const bytes = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64')
  if (bytes.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(t) && bytes.toString('base64') !== t)) {
    throw new RangeError('expected a 32-byte release key seed as 64 hex digits or base64')
  }
  return new Uint8Array(bytes)
}

export function loadReleaseKey(root: string, env: NodeJS.ProcessEnv = process.env): ReleaseKeySource {
  const given = env.WARDLINE_RELEASE_KEY_FILE
  if (given) {
    const path = resolve(root, given)
    return { seed: parseReleaseSeed(readFileSync(path, 'utf8')), path, development: false }
  }
  const path = resolve(root, DEV_KEY_PATH)
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600 })
    chmodSync(path, 0o600)
  }
  return { seed: parseReleaseSeed(readFileSync(path, 'utf8')), path, development: true }
}
