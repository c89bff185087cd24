/**
 * Verified updates (issue 5, decision 0010) with the real relay and Chromium's real service
 * worker: the relay serves v1 (installs, pins the release key), then a signed v2 (offered, taken,
 * no reload loop, the second tab follows), then v3 with a file changed after signing, then v4
 * signed with another key: the open tabs stay on v2, show the warning, and the relay logs the
 * alerts. Then the stated limit: with every tab closed the browser activates v4 by itself; the
 * next launch checks the release it runs, warns and reports. Last, a signed v5 is applied by
 * itself at a safe moment (the PIN prompt just after launch) and the warning goes. Each variant is built once into a temp dir and served by restarting the relay on the
 * same port with another WARDLINE_STATIC.
 */
import { expect, type Page, test } from '@playwright/test'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bytesToHex } from '../../crypto/bytes.ts'
import { publicKeyFromSecret } from '../../crypto/ed25519.ts'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PIN = 'amber-ward-7'
const work = mkdtempSync(join(tmpdir(), 'wardline-releases-'))
const seedA = randomBytes(32)
const seedB = randomBytes(32)
const keyFileA = join(work, 'key-a')
const keyFileB = join(work, 'key-b')
writeFileSync(keyFileA, seedA.toString('hex'))
writeFileSync(keyFileB, seedB.toString('base64'))
const pubA = bytesToHex(publicKeyFromSecret(seedA))
test.afterAll(() => rmSync(work, { recursive: true, force: true }))

function build(outDir: string, id: string, releasedAt: number, keyFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // --bypass-lock: two builds of this project run at once (into different outDirs).
    const args = ['build', '--outDir', outDir, '--logLevel', 'error', '--bypass-lock']
    const child = spawn(join(ROOT, 'node_modules/.bin/vite'), args, {
      cwd: ROOT,
      env: { ...process.env, WARDLINE_BUILD_ID: id, WARDLINE_RELEASED_AT: String(releasedAt), WARDLINE_RELEASE_KEY_FILE: keyFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build ${id} failed:\n${err}`))))
  })
}

/** A file changed on the server after the build signed it (sw.js untouched, so its precache
 * manifest still names the signed revision): only the hash check can catch it. */
function tamperAfterSigning(dir: string): void {
  writeFileSync(join(dir, 'index.html'), readFileSync(join(dir, 'index.html'), 'utf8') + '<!-- changed after signing -->\n')
}

const running = (page: Page) => page.evaluate(() => document.documentElement.dataset.wardlineRelease)
const checkForUpdate = (page: Page) =>
  page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration()
    await reg!.update()
  })

function countNavigations(page: Page): () => number {
  let n = 0
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) n++
  })
  return () => n
}

test('v1 installs and pins its key, signed v2 is taken without a loop, tampered v3 and foreign-key v4 are refused and reported, signed v5 recovers', async ({ browser }, testInfo) => {
  const started = Date.now()
  const [v1, v2, v3, v4, v5] = ['v1', 'v2', 'v3', 'v4', 'v5'].map((v) => join(work, v))
  await Promise.all([build(v1!, 'b1', 1_000, keyFileA), build(v2!, 'b2', 2_000, keyFileA)])
  // v4 is signed with another key, and carries that key: what a foreign build would.
  await Promise.all([build(v3!, 'b3', 3_000, keyFileA), build(v4!, 'b4', 4_000, keyFileB), build(v5!, 'b5', 5_000, keyFileA)])
  tamperAfterSigning(v3!)
  const buildSeconds = (Date.now() - started) / 1000
  const shot = async (page: Page, name: string) => {
    for (const [w, h, label] of [[1280, 800, 'desktop'], [360, 740, 'phone']] as const) {
      await page.setViewportSize({ width: w, height: h })
      await page.screenshot({ path: testInfo.outputPath(`${name}-${label}.png`) })
    }
    await page.setViewportSize({ width: 1280, height: 800 })
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'wardline-relay-'))
  let relay = await startRelay({ dataDir, staticDir: v1 })
  const port: number = relay.port
  let logs = ''
  const serve = async (staticDir: string) => {
    logs += relay.logs()
    await relay.stop()
    relay = await startRelay({ dataDir, port, staticDir })
  }

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const errors: string[] = []
  const pageA = await context.newPage()
  pageA.on('pageerror', (e) => errors.push(e.message))
  const navsA = countNavigations(pageA)
  await pageA.goto(`${relay.url}/#setup=${relay.setupCode}`)
  await pageA.evaluate(() => navigator.serviceWorker.ready)
  await expect.poll(() => pageA.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
  expect(await running(pageA)).toBe('0.1.0+b1')
  // The first (trusted) load pinned the key its build carries.
  expect(await pageA.evaluate(() => localStorage.getItem('wardline-release-key'))).toBe(pubA)
  await pageA.getByLabel('Your name').fill('Ann Admin')
  await pageA.getByLabel('Compliance officers').fill('Cora Officer')
  await pageA.getByLabel('Organisation key holders').fill('Ann Admin\nBo Admin\nCy Admin')
  await pageA.getByLabel('PIN or passphrase', { exact: true }).fill(PIN)
  await pageA.getByLabel('Confirm PIN or passphrase').fill(PIN)
  await pageA.getByRole('button', { name: 'Create organisation' }).click()
  await pageA.getByRole('button', { name: 'I have handed out the shares' }).click()
  await expect(pageA.getByTestId('connection')).toBeVisible()
  const pageB = await context.newPage()
  pageB.on('pageerror', (e) => errors.push(e.message))
  const navsB = countNavigations(pageB)
  await pageB.goto(relay.url)
  await expect(pageB.getByTestId('other-tab')).toBeVisible()

  // v2, signed with the pinned key: A is in use (unlocked, visible), so it is offered, then taken.
  await serve(v2!)
  await pageA.bringToFront()
  expect(await pageA.evaluate(() => document.visibilityState)).toBe('visible')
  await checkForUpdate(pageA)
  await expect(pageA.getByTestId('update-ready')).toBeVisible()
  await expect(pageB.getByTestId('update-ready')).toBeVisible() // checked there too, not applied
  await shot(pageA, 'update-ready')
  const beforeA = navsA()
  const beforeB = navsB()
  await pageA.getByTestId('update-reload').click()
  await expect.poll(() => running(pageA).catch(() => null)).toBe('0.1.0+b2')
  // The other tab was stranded on v1: it has nothing unsaved, so it reloads by itself.
  await expect.poll(() => running(pageB).catch(() => null)).toBe('0.1.0+b2')
  await pageA.waitForTimeout(3000) // a loop would show up as more navigations meanwhile
  expect(navsA() - beforeA).toBe(1)
  expect(navsB() - beforeB).toBe(1)
  await expect(pageA.getByTestId('update-ready')).toHaveCount(0)
  expect(await pageA.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.waiting)).toBeNull()
  await pageA.getByLabel('PIN or passphrase', { exact: true }).fill(PIN)
  await pageA.getByRole('button', { name: 'Unlock' }).click()
  await expect(pageA.getByTestId('connection')).toBeVisible()

  // v3 with index.html changed after signing: the waiting worker's bytes fail the signed hashes.
  await serve(v3!)
  await checkForUpdate(pageA)
  const refused = pageA.getByTestId('update-refused')
  await expect(refused).toBeVisible()
  await expect(refused).toHaveAttribute('data-code', 'release/hash-mismatch')
  await expect(refused).toContainText('This update could not be verified; Wardline kept the current version. Tell your administrator.')
  await expect(pageB.getByTestId('update-refused')).toBeVisible() // the other tab checked too
  await shot(pageA, 'update-refused')
  expect(await running(pageA)).toBe('0.1.0+b2')
  expect(await running(pageB)).toBe('0.1.0+b2')
  expect(await pageA.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.waiting !== null)).toBe(true)
  // A reload still runs v2 (the verified worker keeps control) and warns again.
  await pageA.reload()
  expect(await running(pageA)).toBe('0.1.0+b2')
  await expect(pageA.getByTestId('update-refused')).toHaveAttribute('data-code', 'release/hash-mismatch')

  // v4 signed with another key (the build even carries that key): the pinned key refuses it.
  await serve(v4!)
  await checkForUpdate(pageA)
  await expect(pageA.getByTestId('update-refused')).toHaveAttribute('data-code', 'release/bad-signature')
  expect(await running(pageA)).toBe('0.1.0+b2')
  expect(await running(pageB)).toBe('0.1.0+b2')
  expect(await pageA.evaluate(() => localStorage.getItem('wardline-release-key'))).toBe(pubA)

  // The documented limit: once every tab is closed the browser activates the waiting worker
  // without asking the app. The next launch runs v4, checks the release it runs against the
  // pinned key, and warns and reports instead of staying silent.
  await pageA.close()
  await pageB.close()
  const pageC = await context.newPage()
  pageC.on('pageerror', (e) => errors.push(e.message))
  const navsC = countNavigations(pageC)
  await pageC.goto(relay.url)
  await expect.poll(async () => {
    if ((await running(pageC)) !== '0.1.0+b4') await pageC.reload()
    return running(pageC)
  }).toBe('0.1.0+b4')
  const unverified = pageC.getByTestId('update-refused')
  await expect(unverified).toHaveAttribute('data-code', 'release/bad-signature')
  await expect(unverified).toContainText('This version of Wardline could not be verified')
  await shot(pageC, 'running-refused')

  // Recovery: the organisation ships v5 signed with its key. The device is at the PIN prompt just
  // after launch — a safe moment — so v5 is applied by itself, with one reload.
  await serve(v5!)
  await pageC.reload()
  await expect(pageC.getByLabel('PIN or passphrase', { exact: true })).toBeVisible()
  const beforeC = navsC()
  await checkForUpdate(pageC)
  await expect.poll(() => running(pageC).catch(() => null)).toBe('0.1.0+b5')
  await pageC.waitForTimeout(3000)
  expect(navsC() - beforeC).toBe(1)
  await expect(pageC.getByLabel('PIN or passphrase', { exact: true })).toBeVisible()
  await expect(pageC.getByTestId('update-refused')).toHaveCount(0)

  await context.close()
  logs += relay.logs()
  await relay.stop()
  // The relay logs one JSON object per line (relay/log.ts).
  const alerts = logs.split('\n').filter((l) => l.includes('"release.verification-failed"')).map((l) => JSON.parse(l.slice(l.indexOf('{'))))
  const has = (want: Record<string, string>) => alerts.some((a) => Object.entries(want).every(([k, v]) => a[k] === v))
  expect(has({ code: 'release/hash-mismatch', check: 'update', version: '0.1.0+b3', running: '0.1.0+b2' })).toBe(true)
  expect(has({ code: 'release/bad-signature', check: 'update' })).toBe(true)
  expect(has({ code: 'release/bad-signature', check: 'running', version: 'unknown', running: '0.1.0+b4' })).toBe(true)
  expect(errors).toEqual([])
  console.log(`pwa-update: builds ${buildSeconds.toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s`)
})
