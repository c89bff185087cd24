// npm run bench:web — the PWA on Debian Chromium against the real relay (issue 5 "Bench").
// Builds the production app (sizes) and a bench build (`--mode bench`: the worker can write a
// 10,000-message conversation into its encrypted store, workers/bench-hooks.ts), then measures
// on a 1280×800 page:
//   coldStartMs       offline navigation (service worker installed) to the PIN prompt on screen
//   unlockMs          Unlock pressed (offline) to the unlocked app on screen, with the 10,000
//                     messages in the encrypted store: PIN KDF, decrypting and verifying every record
//   openConversationMs  that 10,000-message conversation, loaded from the local store at unlock:
//                     click to its newest messages painted (median of 5; listMessagesPage → DOM)
//   openConversationPlainMs  baseline: the same 10,001 messages as one plain Yjs document, no
//                     crypto, in the same page's worker: decode + sort + take the window (median of 5)
//   scrollFrameP95Ms  95th percentile frame interval while scrolling up through history 40 px a frame
//   appJsGzipBytes / workerJsGzipBytes  gzip -9 of the main-thread JS / the Wardline worker
//   listWindowWorkerMs / listConversationsWorkerMs  worker-side time of the two calls an open makes
// Prints progress on stderr and, as its last stdout line, one JSON object.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { startRelay } from '../test/relay-node.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const COUNT = 10_000
const PIN = 'amber-ward-7'
const log = (...a) => console.error('[bench:web]', ...a)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const round = (x) => Math.round(x * 10) / 10

function build(outDir, mode) {
  execFileSync(join(ROOT, 'node_modules/.bin/vite'), ['build', '--mode', mode, '--outDir', outDir, '--logLevel', 'error'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
}

function sizes(dir) {
  const assets = join(dir, 'assets')
  let app = 0
  let worker = 0
  for (const f of readdirSync(assets).filter((f) => f.endsWith('.js'))) {
    const gz = gzipSync(readFileSync(join(assets, f)), { level: 9 }).length
    if (f.startsWith('wardline.worker-')) worker += gz
    else if (!f.includes('.worker-')) app += gz
  }
  return { appJsGzipBytes: app, workerJsGzipBytes: worker }
}

async function fillPin(page) {
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(PIN)
  await page.getByLabel('Confirm PIN or passphrase').fill(PIN)
}

function benchCall(page, name, ...args) {
  const worker = page.workers().filter((w) => w.url().includes('wardline.worker')).at(-1)
  return worker.evaluate(([n, a]) => self.__wardlineBench[n](...a), [name, args])
}

/** In the page: the shadow root of the open conversation (or null). */
function conversationRoot() {
  return document.querySelector('wl-app')?.shadowRoot?.querySelector('wl-shell')?.shadowRoot
    ?.querySelector('wl-conversation')?.shadowRoot ?? null
}

build(join(ROOT, 'dist'), 'production')
const result = sizes(join(ROOT, 'dist'))
log('sizes', result)
build(join(ROOT, 'dist-bench'), 'bench')
const relay = await startRelay({ staticDir: join(ROOT, 'dist-bench') })
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const benCtx = await browser.newContext({ viewport: { width: 360, height: 740 } })
  let page = await ctx.newPage()
  const ben = await benCtx.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(e.message))

  log('setting up an organisation')
  await page.goto(`${relay.url}/#setup=${relay.setupCode}`)
  await page.getByLabel('Your name').fill('Ann Admin')
  await page.getByLabel('Compliance officers').fill('Cora Officer')
  await fillPin(page)
  await page.getByRole('button', { name: 'Create organisation' }).click()
  await page.getByRole('button', { name: 'I have handed out the shares' }).click()
  await page.locator('[data-testid="connection"][data-state="online"]').waitFor()
  await page.getByTestId('add-person').click()
  await page.getByLabel('Display name').fill('Ben Nurse')
  await page.getByRole('button', { name: 'Create enrollment code' }).click()
  const link = (await page.getByTestId('enrollment-link').textContent()).trim()
  await ben.goto(link.replace(/^https?:\/\/[^/]+/, relay.url))
  await ben.getByLabel('PIN or passphrase', { exact: true }).fill('blue-ward-42')
  await ben.getByLabel('Confirm PIN or passphrase').fill('blue-ward-42')
  await ben.getByRole('button', { name: 'Enroll' }).click()
  await ben.locator('[data-testid="connection"][data-state="online"]').waitFor()
  await page.getByRole('button', { name: 'Add another person' }).click()
  await page.getByTestId('new-conversation').click()
  await page.getByTestId('person').filter({ hasText: 'Ben Nurse' }).click()
  await page.getByTestId('create-conversation').click()
  await page.getByTestId('composer').fill('the newest message')
  await page.getByTestId('send').click()
  await page.getByTestId('message').first().waitFor()
  const id = await page.getByTestId('conversation').first().getAttribute('data-conversation-id')

  log(`seeding ${COUNT} signed messages into the encrypted store`)
  let t = Date.now()
  await benchCall(page, 'seedStored', id, COUNT)
  log(`seeded in ${Date.now() - t} ms; locking and unlocking (every record is read, decrypted and verified)`)
  await page.getByTestId('lock').click()
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(PIN)
  t = Date.now()
  await page.getByRole('button', { name: 'Unlock' }).click()
  await page.getByTestId('connection').waitFor({ timeout: 600_000 })
  log(`unlocked in ${Date.now() - t} ms`)

  const opens = []
  for (let i = 0; i < 5; i++) {
    await page.getByTestId('organisation').click()
    await page.waitForTimeout(300)
    opens.push(await page.evaluate(async ([cid, root]) => {
      const find = new Function(`return (${root})()`)
      const row = document.querySelector('wl-app').shadowRoot.querySelector('wl-shell').shadowRoot
        .querySelector('wl-conversation-list').shadowRoot.querySelector(`[data-conversation-id="${cid}"]`)
      const t0 = performance.now()
      row.click()
      for (;;) {
        await new Promise((r) => requestAnimationFrame(r))
        const bodies = find()?.querySelectorAll('[data-testid="message-body"]')
        if (bodies && bodies.length > 1 && bodies[bodies.length - 1].textContent === 'the newest message') break
      }
      return performance.now() - t0
    }, [id, conversationRoot.toString()]))
  }
  result.openConversationMs = round(median(opens))
  const plain = await benchCall(page, 'plainOpen', id, COUNT, 150, 5)
  result.openConversationPlainMs = round(median(plain.ms))
  log('open', opens.map(round), 'plain', plain.ms.map(round))
  const views = await benchCall(page, 'timeViews', id, 150, 5)
  result.listWindowWorkerMs = round(median(views.page))
  result.listConversationsWorkerMs = round(median(views.summaries))

  result.scrollFrameP95Ms = round(await page.evaluate(async (root) => {
    const s = new Function(`return (${root})()`)().querySelector('.scroll')
    const frames = []
    let last = performance.now()
    for (let i = 0; i < 600; i++) {
      s.scrollTop -= 40
      await new Promise((r) => requestAnimationFrame(r))
      const now = performance.now()
      frames.push(now - last)
      last = now
    }
    frames.sort((a, b) => a - b)
    return frames[Math.floor(frames.length * 0.95)]
  }, conversationRoot.toString()))
  const start = await page.evaluate((root) => new Function(`return (${root})()`)().querySelector('ol').dataset.start, conversationRoot.toString())
  log('scroll p95', result.scrollFrameP95Ms, 'window now starts at', start)

  // Cold start offline: the service worker is installed; each run is a fresh tab.
  await ctx.setOffline(true)
  const cold = []
  const unlocks = []
  for (let i = 0; i < 3; i++) {
    await page.close()
    page = await ctx.newPage()
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(relay.url, { waitUntil: 'commit' })
    const handle = await page.waitForFunction(() => {
      const unlock = document.querySelector('wl-app')?.shadowRoot?.querySelector('wl-unlock')?.shadowRoot?.querySelector('input')
      return unlock && unlock.getBoundingClientRect().height > 0 ? performance.now() : 0
    }, undefined, { polling: 'raf', timeout: 30_000 })
    cold.push(await handle.jsonValue())
    await page.getByLabel('PIN or passphrase', { exact: true }).fill(PIN)
    const t0 = Date.now()
    await page.getByRole('button', { name: 'Unlock' }).click()
    await page.getByTestId('connection').waitFor({ timeout: 600_000 })
    unlocks.push(Date.now() - t0)
  }
  result.coldStartMs = round(median(cold))
  result.unlockMs = round(median(unlocks))
  log('cold', cold.map(round), 'unlock', unlocks)
  result.messages = COUNT + 1
  result.errors = errors.length
  await ctx.close()
  await benCtx.close()
} finally {
  await browser.close()
  await relay.stop()
}
console.log(JSON.stringify(result))
