/**
 * Test-only: `deno run relay/main.ts` as an operator starts it — any free port, loopback, data in
 * `dataDir`, no static files — with `env` added, stdout and stderr piped.
 */
export function spawnMain(dataDir: string, env: Record<string, string> = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ['run', '--allow-all', new URL('../main.ts', import.meta.url).pathname],
    env: {
      PORT: '0',
      WARDLINE_DATA: dataDir,
      WARDLINE_HOST: '127.0.0.1',
      WARDLINE_STATIC: `${dataDir}/none`,
      DENO_NO_UPDATE_CHECK: '1',
      ...env,
    },
    stdout: 'piped',
    stderr: 'piped',
  }).spawn()
}
