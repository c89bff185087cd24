/**
 * Two clinicians on two browser profiles exchange messages through the real relay, then do the
 * offline scenario of the v0 issue: a device offline (browser offline and reloaded from the
 * service worker), the relay stopped and restarted, a second tab, repeated reconnects — and at
 * the end every message shows exactly once, in the same order, on both sides, while nothing the
 * relay wrote contains any message text.
 */
import { type BrowserContext, expect, type Page, test } from '@playwright/test'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { dumpSqlite, scanBytes, scanRelay } from './relay-scan.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PIN_A = 'amber-ward-7'
const PIN_B = 'blue-ward-42'
const texts: string[] = []
const say = (label: string) => {
  const t = `${label} ${Math.random().toString(36).slice(2, 10)} chest pain 72yo`
  texts.push(t)
  return t
}

async function fillPin(page: Page, pin: string) {
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(pin)
  await page.getByLabel('Confirm PIN or passphrase').fill(pin)
}

async function unlock(page: Page, pin: string) {
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(pin)
  await page.getByRole('button', { name: 'Unlock' }).click()
  await expect(page.getByTestId('connection')).toBeVisible()
}

async function openConversation(page: Page) {
  await page.getByTestId('conversation').first().click()
  await expect(page.getByTestId('composer')).toBeVisible()
}

async function send(page: Page, text: string) {
  await page.getByTestId('composer').fill(text)
  await page.getByTestId('send').click()
  await expect(page.getByTestId('message').filter({ hasText: text })).toHaveCount(1)
}

/** Runs in the page: every value this origin stores, as one string (bytes as Latin-1). */
async function dumpOriginStorage(): Promise<string> {
  const parts: string[] = []
  const add = (v: unknown): void => {
    if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
      const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : v
      let s = ''
      for (const b of bytes) s += String.fromCharCode(b)
      parts.push(s)
    } else if (v && typeof v === 'object') Object.values(v).forEach(add)
    else parts.push(String(v))
  }
  for (const info of await indexedDB.databases()) {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open(info.name!)
      r.onsuccess = () => res(r.result)
      r.onerror = () => rej(r.error)
    })
    for (const name of Array.from(db.objectStoreNames)) {
      const all = await new Promise<unknown[]>((res) => {
        const r = db.transaction(name).objectStore(name).getAll()
        r.onsuccess = () => res(r.result)
      })
      add(all)
    }
    db.close()
  }
  for (const store of [localStorage, sessionStorage]) {
    for (let i = 0; i < store.length; i++) parts.push(store.key(i)!, store.getItem(store.key(i)!)!)
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name)
    for (const req of await cache.keys()) parts.push(req.url, await (await cache.match(req))!.text())
  }
  return parts.join('\n')
}

const bodies = (page: Page) => page.getByTestId('message-body').allTextContents()
const statusOf = (page: Page, text: string) =>
  page.getByTestId('message').filter({ hasText: text }).getAttribute('data-status')

test('two clinicians message each other online, offline, across relay restarts and tabs, and the relay learns no text', async ({ browser }) => {
  let relay = await startRelay()
  const dataDir: string = relay.dataDir
  const port: number = relay.port
  let logs = ''
  const a: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const b: BrowserContext = await browser.newContext({ viewport: { width: 360, height: 740 } })
  const pageA = await a.newPage()
  let pageB = await b.newPage()
  const errors: string[] = []
  for (const p of [pageA, pageB]) p.on('pageerror', (e) => errors.push(e.message))

  // The first admin creates the organisation with the printed setup code.
  await pageA.goto(`${relay.url}/#setup=${relay.setupCode}`)
  await pageA.getByLabel('Your name').fill('Ann Admin')
  await pageA.getByLabel('Compliance officers').fill('Cora Officer\nDev Officer')
  await pageA.getByLabel('Organisation key holders').fill('Ann Admin\nBo Admin\nCy Admin')
  await fillPin(pageA, PIN_A)
  await pageA.getByRole('button', { name: 'Create organisation' }).click()
  // Each officer's share of the compliance key is shown once, before the app opens.
  await expect(pageA.getByTestId('compliance-share')).toHaveCount(2)
  await expect(pageA.getByTestId('compliance-share').first()).toBeVisible()
  await pageA.getByRole('button', { name: 'I have handed out the shares' }).click()
  await expect(pageA.getByTestId('connection')).toHaveAttribute('data-state', 'online')

  // The admin adds a nurse, who enrolls with the link on another device.
  await pageA.getByTestId('add-person').click()
  await pageA.getByLabel('Display name').fill('Ben Nurse')
  await pageA.getByRole('button', { name: 'Create enrollment code' }).click()
  const link = (await pageA.getByTestId('enrollment-link').textContent())!.trim()
  expect(link).toContain('#enroll=')
  await pageB.goto(link.replace(/^https?:\/\/[^/]+/, relay.url))
  await fillPin(pageB, PIN_B)
  await pageB.getByRole('button', { name: 'Enroll' }).click()
  await expect(pageB.getByTestId('connection')).toHaveAttribute('data-state', 'online')

  // A starts a 1:1 conversation and they talk; statuses go sent → delivered → read.
  await pageA.getByTestId('new-conversation').click()
  await pageA.getByTestId('person').filter({ hasText: 'Ben Nurse' }).click()
  await pageA.getByTestId('create-conversation').click()
  const first = say('A1')
  await send(pageA, first)
  await expect(pageB.getByTestId('conversation')).toHaveCount(1)
  await openConversation(pageB)
  await expect(pageB.getByTestId('message-body').filter({ hasText: first })).toHaveCount(1)
  await expect.poll(() => statusOf(pageA, first)).toBe('read')
  const reply = say('B1')
  await send(pageB, reply)
  await expect(pageA.getByTestId('message-body').filter({ hasText: reply })).toHaveCount(1)

  // B goes offline and reloads: the app opens from the service worker and asks for the PIN.
  await b.setOffline(true)
  // the indicator never claims "online" once the browser knows it is offline
  await expect(pageB.getByTestId('connection')).not.toHaveAttribute('data-state', 'online')
  const response = await pageB.reload()
  expect(response?.fromServiceWorker()).toBe(true)
  await unlock(pageB, PIN_B)
  await expect(pageB.getByTestId('connection')).not.toHaveAttribute('data-state', 'online')
  await openConversation(pageB)
  expect(await bodies(pageB)).toEqual([first, reply])
  const offline1 = say('B-offline-1')
  const offline2 = say('B-offline-2')
  await send(pageB, offline1)
  await send(pageB, offline2)
  expect(await statusOf(pageB, offline1)).toBe('queued')
  await expect(pageB.getByTestId('connection')).toContainText('2')
  // a reload while offline keeps the queued messages, once each
  await pageB.reload()
  await unlock(pageB, PIN_B)
  await openConversation(pageB)
  expect(await bodies(pageB)).toEqual([first, reply, offline1, offline2])
  const meanwhile = say('A-meanwhile')
  await send(pageA, meanwhile)
  await expect.poll(() => statusOf(pageA, meanwhile)).toBe('sent')
  await b.setOffline(false)
  await expect.poll(() => statusOf(pageB, offline2), { timeout: 60_000 }).not.toBe('queued')
  await expect(pageB.getByTestId('message-body').filter({ hasText: meanwhile })).toHaveCount(1)
  await expect(pageA.getByTestId('message-body').filter({ hasText: offline2 })).toHaveCount(1)

  // The relay stops: A keeps writing; after the restart everything goes out exactly once.
  logs += relay.logs()
  await relay.stop()
  await expect(pageA.getByTestId('connection')).not.toHaveAttribute('data-state', 'online')
  const down = say('A-relay-down')
  await send(pageA, down)
  expect(await statusOf(pageA, down)).toBe('queued')
  relay = await startRelay({ dataDir, port })
  await expect.poll(() => statusOf(pageA, down), { timeout: 60_000 }).not.toBe('queued')
  await expect(pageB.getByTestId('message-body').filter({ hasText: down })).toHaveCount(1)

  // A second tab of A's device: "open in another tab — use here".
  const pageA2 = await a.newPage()
  pageA2.on('pageerror', (e) => errors.push(e.message))
  await pageA2.goto(relay.url)
  await expect(pageA2.getByTestId('other-tab')).toBeVisible()
  await pageA2.getByTestId('use-here').click()
  await expect(pageA.getByTestId('other-tab')).toBeVisible()
  await unlock(pageA2, PIN_A)
  await openConversation(pageA2)
  const fromTab2 = say('A-tab2')
  await send(pageA2, fromTab2)
  await expect(pageB.getByTestId('message-body').filter({ hasText: fromTab2 })).toHaveCount(1)

  // A closed tab loses nothing: B writes offline, closes the tab and opens the app again.
  await b.setOffline(true)
  const closedTab = say('B-closed-tab')
  await send(pageB, closedTab)
  await pageB.close()
  pageB = await b.newPage()
  pageB.on('pageerror', (e) => errors.push(e.message))
  await pageB.goto(relay.url)
  await unlock(pageB, PIN_B)
  await openConversation(pageB)
  expect(await statusOf(pageB, closedTab)).toBe('queued')
  await b.setOffline(false)
  await expect(pageA2.getByTestId('message-body').filter({ hasText: closedTab })).toHaveCount(1)

  // Both sides end with the same messages, once each, in the same order.
  const expected = [first, reply, offline1, offline2, meanwhile, down, fromTab2, closedTab]
  await expect.poll(async () => (await bodies(pageB)).slice().sort()).toEqual(expected.slice().sort())
  const shownA = await bodies(pageA2)
  const shownB = await bodies(pageB)
  expect(shownA).toEqual(shownB)
  expect(new Set(shownB).size).toBe(shownB.length)
  expect(shownB.indexOf(offline1)).toBeLessThan(shownB.indexOf(offline2))
  expect(errors).toEqual([])

  // At rest on the devices: IndexedDB, Web Storage and Cache Storage hold none of the texts.
  for (const page of [pageA2, pageB]) {
    const stored = await page.evaluate(dumpOriginStorage)
    for (const t of texts) expect(stored.includes(t)).toBe(false)
    expect(stored.length).toBeGreaterThan(1000) // the dump really read the stores
  }
  await pageB.evaluate(() => localStorage.setItem('planted', 'PLANTED-DEVICE-CANARY'))
  expect(await pageB.evaluate(dumpOriginStorage)).toContain('PLANTED-DEVICE-CANARY')

  await a.close()
  await b.close()
  // Metrics are scanned with the logs: counters and codes only, never text, names or ids.
  logs += await (await fetch(`${relay.url}/metrics`)).text()
  logs += relay.logs()
  await relay.stop()

  // Zero knowledge: no message text in anything the relay wrote; a planted canary proves the scan.
  expect(scanRelay(dataDir, logs, [...texts, 'chest pain 72yo'])).toEqual([])
  const planted = mkdtempSync(join(tmpdir(), 'wardline-planted-'))
  const canary = 'PLANTED-CANARY-5e1d-wardline'
  writeFileSync(join(planted, 'utf16.bin'), Buffer.from(`..${canary}..`, 'utf16le'))
  writeFileSync(join(planted, 'b64.bin'), Buffer.from(Buffer.from(`x${canary}yz`).toString('base64')))
  expect(scanBytes({ files: [join(planted, 'utf16.bin')], texts: [] }, [canary])).toEqual([canary])
  expect(scanBytes({ files: [join(planted, 'b64.bin')], texts: [] }, [canary])).toEqual([canary])
  const dbCopy = join(planted, 'copy.sqlite')
  execFileSync(join(ROOT, 'node_modules/.bin/deno'), ['eval', '--quiet', `
    import { DatabaseSync } from 'node:sqlite'
    const db = new DatabaseSync(Deno.args[0]); db.exec('create table t (v blob)')
    db.prepare('insert into t values (?)').run(new TextEncoder().encode(Deno.args[1]))`, dbCopy, canary],
  { env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' } })
  expect(dumpSqlite(dbCopy)).toContain(canary)
})
