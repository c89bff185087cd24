// Browser tests in real headless Debian Chromium (no browser download works here), with the real
// Deno relay started for the suites that need it (its URL is served as /__relay.js).
import { esbuildPlugin } from '@web/dev-server-esbuild'
import { playwrightLauncher } from '@web/test-runner-playwright'
import { startRelay } from './test/relay-node.mjs'

let relay
const relayPlugin = {
  name: 'wardline-relay',
  async serverStart({ config }) {
    relay = await startRelay({ env: { WARDLINE_ALLOWED_ORIGINS: `http://localhost:${config.port}` } })
  },
  async serverStop() {
    await relay?.stop()
  },
  serve(context) {
    if (context.path === '/__relay.js') {
      return { body: `export const RELAY_URL = ${JSON.stringify(relay.url)}; export const RELAY_SETUP_CODE = ${JSON.stringify(relay.setupCode)}`, type: 'js' }
    }
  },
}

// Dexie's ESM entry wraps its UMD build, which only bundlers interop (see STACK-NOTES).
const dexiePlugin = {
  name: 'dexie-esm',
  resolveImport({ source }) {
    if (source === 'dexie') return '/node_modules/dexie/dist/dexie.mjs'
  },
}

export default {
  files: ['workers/**/*.browser.test.ts', 'web/**/*.browser.test.ts'],
  nodeResolve: true,
  port: 8765,
  concurrency: 1,
  plugins: [dexiePlugin, relayPlugin, esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json', define: { 'import.meta.env.MODE': '"test"', 'import.meta.env.PROD': 'false', 'import.meta.env.DEV': 'true', 'import.meta.env.BASE_URL': '"/"' } })],
  browsers: [playwrightLauncher({
    product: 'chromium',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  })],
  testFramework: { config: { timeout: 60_000 } },
  testsFinishTimeout: 300_000,
}
