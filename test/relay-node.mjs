// Starts the real Deno relay (relay/main.ts) from Node for the browser and end-to-end suites:
// free port, its own data directory and setup code; resolves once it prints its address.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..')

/** @returns {Promise<{url:string, port:number, setupCode:string, dataDir:string, logs:()=>string, stop:()=>Promise<void>}>} */
export function startRelay({ dataDir = mkdtempSync(join(tmpdir(), 'wardline-relay-')), port = 0, env = {}, staticDir = join(root, 'dist') } = {}) {
  const setupCode = randomBytes(10).toString('hex').toUpperCase()
  const child = spawn(join(root, 'node_modules/.bin/deno'), ['run', '--allow-net', '--allow-read', '--allow-write', '--allow-env', '--allow-sys', 'relay/main.ts'], {
    cwd: root,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', PORT: String(port), WARDLINE_HOST: '127.0.0.1', WARDLINE_DATA: dataDir, WARDLINE_SETUP_CODE: setupCode, WARDLINE_STATIC: staticDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${err}`)), 30_000)
    child.on('exit', (code) => reject(new Error(`relay exited (${code}):\n${err}`)))
    child.stdout.on('data', (d) => {
      out += d
      const m = out.match(/Wardline relay listening on http:\/\/localhost:(\d+)/)
      if (!m) return
      clearTimeout(timer)
      const actualPort = Number(m[1])
      resolvePromise({
        url: `http://localhost:${actualPort}`,
        port: actualPort,
        setupCode,
        dataDir,
        logs: () => out + err,
        stop: () => new Promise((done) => {
          if (child.exitCode !== null) return done()
          child.once('exit', () => done())
          try { process.kill(-child.pid, 'SIGTERM') } catch { done() }
          setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL') } catch { /* gone */ } }, 5000).unref()
        }),
      })
    })
  })
}
