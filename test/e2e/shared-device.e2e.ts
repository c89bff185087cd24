/**
 * Shared-device mode (decision 0012, issue 6), real relay and real Chromium: two people enrolled
 * in one browser profile ("the ward PC"). Each sees only their own conversations; Switch user
 * terminates the first person's worker; the second person's lock screen refuses the first
 * person's PIN; reading every IndexedDB value of the origin from the second person's unlocked
 * session finds none of the first person's canaries (UTF-8, UTF-16, base64: test/canary-forms.ts);
 * the first person's sign-out revokes that registration at the relay and deletes that database,
 * and the second person still unlocks and reads their messages. Screenshots go to
 * /tmp/wl-shots-shared/.
 */
import { type Browser, expect, type Page, test } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { canaryForms } from '../canary-forms.ts'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'

const SHOTS = '/tmp/wl-shots-shared'
const WIDE = { width: 1280, height: 800 }
const NARROW = { width: 360, height: 740 }
const BEN_PIN = 'blue-ward-42'
const CAT_PIN = 'cedar-ward-93'
const BEN_CANARY = 'ben-canary-7f3e91c2 bed 4 obs'
const CAT_CANARY = 'cat-canary-2a9d54b8 bay 2 meds'
test.use({ actionTimeout: 30_000 })

async function fillPin(page: Page, pin: string) {
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(pin)
  await page.getByLabel('Confirm PIN or passphrase').fill(pin)
}

async function setUp(page: Page, relay: { url: string; setupCode: string }) {
  await page.goto(`${relay.url}/#setup=${relay.setupCode}`)
  await page.getByLabel('Your name').fill('Ann Admin')
  await page.getByLabel('Compliance officers').fill('Cora Officer\nDev Officer')
  await page.getByLabel('Organisation key holders').fill('Ann Admin\nBo Admin\nCy Admin')
  await fillPin(page, 'amber-ward-7')
  await page.getByRole('button', { name: 'Create organisation' }).click()
  await page.getByRole('button', { name: 'I have handed out the shares' }).click()
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'online')
}

/** The admin makes an enrollment code; returns the code. */
async function enrollmentCode(admin: Page, name: string): Promise<string> {
  await admin.getByTestId('add-person').click()
  await admin.getByLabel('Display name').fill(name)
  await admin.getByRole('button', { name: 'Create enrollment code' }).click()
  const link = (await admin.getByTestId('enrollment-link').textContent())!.trim()
  await admin.getByRole('button', { name: 'Add another person' }).click()
  return decodeURIComponent(link.split('#enroll=')[1]!)
}

async function enrollHere(page: Page, code: string, label: string, pin: string) {
  await page.getByLabel('Enrollment code').fill(code)
  await page.getByLabel('Name on this device’s lock screen (optional)').fill(label)
  await fillPin(page, pin)
  await page.getByRole('button', { name: 'Enroll' }).click()
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'online')
}

async function message(admin: Page, to: string, body: string) {
  const back = admin.getByTestId('back')
  if (await back.isVisible()) await back.click()
  await admin.getByTestId('new-conversation').click()
  await admin.getByTestId('person').filter({ hasText: to }).click()
  await admin.getByTestId('create-conversation').click()
  await admin.getByTestId('composer').fill(body)
  await admin.getByTestId('send').click()
}

async function unlock(page: Page, label: string, pin: string) {
  await page.getByTestId('pick-profile').filter({ hasText: label }).click()
  await expect(page.getByTestId('unlock-profile')).toHaveText(label)
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(pin)
  await page.getByRole('button', { name: 'Unlock', exact: true }).click()
}

/** Every key and value of every IndexedDB database of the origin, as base64 byte strings. */
function dumpOrigin(page: Page): Promise<{ databases: string[]; chunks: string[] }> {
  return page.evaluate(async () => {
    const chunks: string[] = []
    const b64 = (b: Uint8Array) => {
      let s = ''
      for (const x of b) s += String.fromCharCode(x)
      return btoa(s)
    }
    const collect = (v: unknown, seen: Set<unknown>): void => {
      if (v === null || v === undefined || seen.has(v)) return
      if (typeof v === 'string') chunks.push(b64(new TextEncoder().encode(v)))
      else if (v instanceof Uint8Array) chunks.push(b64(v))
      else if (v instanceof ArrayBuffer) chunks.push(b64(new Uint8Array(v)))
      else if (typeof v === 'object') {
        seen.add(v)
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
          chunks.push(b64(new TextEncoder().encode(k)))
          collect(x, seen)
        }
      }
    }
    const databases = (await indexedDB.databases()).map((d) => d.name!)
    for (const name of databases) {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open(name)
        r.onsuccess = () => res(r.result)
        r.onerror = () => rej(r.error)
      })
      for (const store of Array.from(db.objectStoreNames)) {
        const all = await new Promise<unknown[]>((res) => {
          const r = db.transaction(store).objectStore(store).getAll()
          r.onsuccess = () => res(r.result)
        })
        const keys = await new Promise<IDBValidKey[]>((res) => {
          const r = db.transaction(store).objectStore(store).getAllKeys()
          r.onsuccess = () => res(r.result)
        })
        collect(all, new Set())
        collect(keys.map(String), new Set())
      }
      db.close()
    }
    chunks.push(b64(new TextEncoder().encode(JSON.stringify({ ...localStorage }))))
    return { databases, chunks }
  })
}

function found(chunks: string[], canary: string): boolean {
  const bufs = chunks.map((c) => Buffer.from(c, 'base64'))
  return canaryForms(canary).some((form) => bufs.some((b) => b.indexOf(Buffer.from(form)) !== -1))
}

const wardlineWorkers = (page: Page) => page.workers().filter((w) => w.url().includes('wardline.worker')).length

async function newPage(browser: Browser, viewport: typeof WIDE, errors: string[]): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage()
  page.on('pageerror', (e) => errors.push(e.message))
  return page
}

test('two people on one device: separate stores, switch locks, wrong person’s PIN fails, sign-out erases only that person', async ({ browser }) => {
  mkdirSync(SHOTS, { recursive: true })
  const relay = await startRelay()
  const errors: string[] = []
  try {
    const admin = await newPage(browser, WIDE, errors)
    const ward = await newPage(browser, NARROW, errors)
    await setUp(admin, relay)

    // Ben enrolls the ward PC first (as on any device), then Cat adds herself.
    const benCode = await enrollmentCode(admin, 'Ben Nurse')
    await ward.goto(relay.url)
    await enrollHere(ward, benCode, 'BN', BEN_PIN)
    await message(admin, 'Ben Nurse', BEN_CANARY)
    await ward.getByTestId('conversation').first().click()
    await expect(ward.getByTestId('message-body').filter({ hasText: BEN_CANARY })).toHaveCount(1)

    await ward.getByTestId('switch-user').click()
    await expect(ward.getByRole('heading', { name: 'Who is using Wardline?' })).toBeVisible()
    await expect.poll(() => wardlineWorkers(ward)).toBe(0)
    expect(await ward.content()).not.toContain(BEN_CANARY)
    await ward.getByTestId('add-profile').click()
    const catCode = await enrollmentCode(admin, 'Cat Nurse')
    await enrollHere(ward, catCode, 'CN', CAT_PIN)
    await message(admin, 'Cat Nurse', CAT_CANARY)
    await ward.getByTestId('conversation').first().click()
    await expect(ward.getByTestId('message-body').filter({ hasText: CAT_CANARY })).toHaveCount(1)
    // Cat's list holds her conversation only.
    const back = ward.getByTestId('back')
    if (await back.isVisible()) await back.click()
    await expect(ward.getByTestId('conversation')).toHaveCount(1)
    await ward.screenshot({ path: `${SHOTS}/cat-list-360.png` })
    expect(await ward.content()).not.toContain(BEN_CANARY)

    // Two databases, one per person; the index names them by the labels typed, not by name.
    const { databases } = await dumpOrigin(ward)
    expect(databases.filter((d) => d.startsWith('wardline')).length).toBe(2)
    const index = await ward.evaluate(() => localStorage.getItem('wardline-profiles') ?? '')
    expect(index).toContain('"BN"')
    expect(index).not.toContain('Nurse')

    // Cat's unlocked session reads every stored byte of the origin: nothing of Ben's in clear.
    const catSession = await dumpOrigin(ward)
    expect(found(catSession.chunks, 'wrapped-key')).toBe(true) // the scan does see stored data
    expect(found(catSession.chunks, BEN_CANARY)).toBe(false)
    expect(found(catSession.chunks, CAT_CANARY)).toBe(false)

    // Switch: Cat's worker is gone; the picker lists both; Ben's PIN does not open Cat's store.
    await ward.getByTestId('switch-user').click()
    await expect.poll(() => wardlineWorkers(ward)).toBe(0)
    await expect(ward.getByTestId('pick-profile')).toHaveCount(2)
    await ward.screenshot({ path: `${SHOTS}/picker-360.png` })
    await ward.setViewportSize(WIDE)
    await ward.screenshot({ path: `${SHOTS}/picker-1280.png` })
    await ward.setViewportSize(NARROW)
    await unlock(ward, 'CN', BEN_PIN)
    await expect(ward.getByRole('alert').filter({ hasText: 'Wrong PIN' })).toBeVisible()
    await ward.screenshot({ path: `${SHOTS}/unlock-wrong-person-360.png` })
    await expect(ward.getByTestId('connection')).toHaveCount(0)
    await ward.getByTestId('switch-user').click()

    // Ben signs out at the end of his shift.
    await unlock(ward, 'BN', BEN_PIN)
    await expect(ward.getByTestId('connection')).toHaveAttribute('data-state', 'online')
    await ward.getByTestId('organisation').click()
    await ward.getByTestId('sign-out').click()
    await ward.screenshot({ path: `${SHOTS}/sign-out-confirm-360.png` })
    await ward.getByTestId('confirm').click()
    await expect(ward.getByTestId('picker-notice')).toContainText('Signed out')
    await expect(ward.getByTestId('pick-profile')).toHaveCount(1)
    await ward.screenshot({ path: `${SHOTS}/signed-out-360.png` })
    const after = await dumpOrigin(ward)
    expect(after.databases.filter((d) => d.startsWith('wardline')).length).toBe(1)
    expect(await ward.evaluate(() => localStorage.getItem('wardline-profiles') ?? '')).not.toContain('"BN"')
    expect(found(after.chunks, BEN_CANARY)).toBe(false)

    // Cat still unlocks and reads her messages (the picker goes straight to her lock screen next time too).
    await unlock(ward, 'CN', CAT_PIN)
    await ward.getByTestId('conversation').first().click()
    await expect(ward.getByTestId('message-body').filter({ hasText: CAT_CANARY })).toHaveCount(1)
    await ward.setViewportSize(WIDE)
    await ward.screenshot({ path: `${SHOTS}/cat-after-1280.png` })

    // The relay heard Ben's sign-out: the admin sees that registration removed by its own signature.
    const adminBack = admin.getByTestId('back')
    if (await adminBack.isVisible()) await adminBack.click()
    await admin.getByTestId('organisation').click()
    await expect(admin.getByTestId('device-person').filter({ hasText: 'Ben Nurse' }).getByTestId('revoked-by'))
      .toContainText('Removed from the device itself by Ben Nurse')
    expect(errors).toEqual([])
  } finally {
    await relay.stop()
  }
})
