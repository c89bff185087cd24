/**
 * Starts the real relay (relay/main.ts, the server `npm start` runs) as a child process on a free
 * port with its own data directory and setup code, and stops it. Used by the simulator and tests.
 */
const ROOT = new URL('../../', import.meta.url)

export type RelayProcess = { url: string; setupCode: string; stop: () => Promise<void>; child: Deno.ChildProcess; logs: () => string }

export async function startRelayProcess(
  dataDir: string,
  options: { port?: number; env?: Record<string, string>; staticDir?: string } = {},
): Promise<RelayProcess> {
  // A given WARDLINE_SETUP_CODE wins: relays sharing one Postgres must agree on it.
  const setupCode = options.env?.WARDLINE_SETUP_CODE ?? crypto.randomUUID().replaceAll('-', '').toUpperCase()
  const child = new Deno.Command(Deno.execPath(), {
    args: ['run', '--allow-net', '--allow-read', '--allow-write', '--allow-env', '--allow-sys', 'relay/main.ts'],
    cwd: ROOT,
    env: {
      DENO_NO_UPDATE_CHECK: '1',
      PORT: String(options.port ?? 0),
      WARDLINE_HOST: '127.0.0.1',
      WARDLINE_DATA: dataDir,
      WARDLINE_SETUP_CODE: setupCode,
      WARDLINE_STATIC: options.staticDir ?? `${dataDir}/no-static`,
      ...options.env,
    },
    stdout: 'piped',
    stderr: 'piped',
  }).spawn()
  let stderr = ''
  void (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk
      if (Deno.env.get('WARDLINE_SIM_RELAY_LOG')) Deno.stderr.writeSync(new TextEncoder().encode(chunk))
    }
  })()
  const lines = child.stdout.pipeThrough(new TextDecoderStream())
  let buffered = ''
  let url: string | null = null
  const reader = lines.getReader()
  const deadline = Date.now() + 30_000
  while (!url && Date.now() < deadline) {
    const { value, done } = await reader.read()
    if (done) break
    buffered += value
    const m = buffered.match(/Wardline relay listening on (http:\/\/\S+)/)
    if (m) url = m[1]!
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  void (async () => {
    try {
      while (!(await reader.read()).done) { /* drain */ }
    } catch { /* closed */ }
  })()
  if (!url) {
    try {
      child.kill('SIGKILL')
    } catch { /* already gone */ }
    throw new Error(`relay did not start: ${stderr.slice(-2000)}`)
  }
  return {
    url,
    setupCode,
    child,
    logs: () => stderr,
    stop: async () => {
      try {
        child.kill('SIGTERM')
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill('SIGKILL')
        } catch { /* gone */ }
      }, 5000)
      await child.status
      clearTimeout(timer)
    },
  }
}
