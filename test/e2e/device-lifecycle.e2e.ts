/**
 * Device lifecycle end to end (decision 0012), real relay and real Chromium: an admin reports a
 * device lost while it is open in two tabs — both tabs erase and show the notice, and reading back
 * every store of the origin finds nothing of the device; "Remove Wardline from this device" is
 * refused offline and, online, deregisters and erases; a device whose relay-signed lease runs out
 * offline locks with "Connect to renew" and unlocks only once the relay renews it. Screenshots of
 * the new screens go to /tmp/wl-shots-lifecycle/.
 */
import { type Browser, type BrowserContext, expect, type Page, test } from '@playwright/test'
import { mkdirSync } from 'node:fs'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'

const SHOTS = '/tmp/wl-shots-lifecycle'
const WIDE = { width: 1280, height: 800 }
const NARROW = { width: 360, height: 740 }
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

async function addPerson(admin: Page, page: Page, relayUrl: string, name: string, pin: string) {
  await admin.getByTestId('add-person').click()
  await admin.getByLabel('Display name').fill(name)
  await admin.getByRole('button', { name: 'Create enrollment code' }).click()
  const link = (await admin.getByTestId('enrollment-link').textContent())!.trim()
  await page.goto(link.replace(/^https?:\/\/[^/]+/, relayUrl))
  await fillPin(page, pin)
  await page.getByRole('button', { name: 'Enroll' }).click()
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'online')
  await admin.getByRole('button', { name: 'Add another person' }).click()
}

/** Everything the origin stores, read back through the browser's own APIs. */
function originStores(page: Page) {
  return page.evaluate(async () => ({
    databases: (await indexedDB.databases()).map((d) => d.name),
    caches: await caches.keys(),
    registrations: (await navigator.serviceWorker.getRegistrations()).length,
    localStorage: localStorage.length,
    sessionStorage: sessionStorage.length,
  }))
}

const EMPTY = { databases: [], caches: [], registrations: 0, localStorage: 0, sessionStorage: 0 }

async function newPage(browser: Browser, viewport: typeof WIDE, errors: string[]): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage()
  page.on('pageerror', (e) => errors.push(e.message))
  return page
}

async function openDevices(page: Page) {
  const back = page.getByTestId('back')
  if (await back.isVisible()) await back.click()
  await page.getByTestId('organisation').click()
  await expect(page.getByTestId('your-devices')).toBeVisible()
}

test('a device reported lost while open in two tabs erases itself in both; nothing of it is left in the origin', async ({ browser }) => {
  mkdirSync(SHOTS, { recursive: true })
  const relay = await startRelay()
  const errors: string[] = []
  try {
    const admin = await newPage(browser, WIDE, errors)
    const ben = await newPage(browser, NARROW, errors)
    await setUp(admin, relay)
    await addPerson(admin, ben, relay.url, 'Ben Nurse', 'blue-ward-42')
    // Some content on Ben's device, and everything an origin can hold.
    await admin.getByTestId('new-conversation').click()
    await admin.getByTestId('person').filter({ hasText: 'Ben Nurse' }).click()
    await admin.getByTestId('create-conversation').click()
    await admin.getByTestId('composer').fill('bed 12 handover')
    await admin.getByTestId('send').click()
    await ben.getByTestId('conversation').first().click()
    await expect(ben.getByTestId('message-body').filter({ hasText: 'bed 12 handover' })).toHaveCount(1)
    await ben.evaluate(() => navigator.serviceWorker.ready)
    await ben.evaluate(() => localStorage.setItem('wardline-test-marker', 'x'))
    const before = await originStores(ben)
    expect(before.databases).toContain('wardline')
    expect(before.caches.length).toBeGreaterThan(0)
    expect(before.registrations).toBe(1)
    // A second tab of the same device: it shows "open in another tab".
    const tab2 = await ben.context().newPage()
    tab2.on('pageerror', (e) => errors.push(e.message))
    await tab2.goto(relay.url)
    await expect(tab2.getByTestId('other-tab')).toBeVisible()

    // The admin reports Ben's device lost.
    await openDevices(admin)
    const benGroup = admin.getByTestId('device-person').filter({ hasText: 'Ben Nurse' })
    await benGroup.getByTestId('revoke-device').click()
    await admin.getByLabel('Reason (for example “phone lost”)').fill('phone lost on ward 3')
    await admin.screenshot({ path: `${SHOTS}/report-lost-confirm-1280.png` })
    await admin.getByTestId('confirm').click()
    // The PIN is asked again before anything is signed.
    await admin.getByTestId('reauth-dialog').filter({ visible: true }).getByLabel('Your PIN or passphrase').fill('amber-ward-7')
    await admin.getByTestId('reauth-dialog').filter({ visible: true }).getByTestId('reauth-confirm').click()

    // Both tabs erase and say why; the active one is back at enrollment.
    await expect(ben.getByTestId('wiped-notice')).toContainText('This device was removed from Wardline by your organisation')
    await expect(ben.getByRole('button', { name: 'Enroll' })).toBeVisible()
    await expect(tab2.getByTestId('wiped-notice')).toContainText('This device was removed from Wardline')
    await ben.screenshot({ path: `${SHOTS}/wiped-360.png` })
    await tab2.setViewportSize(NARROW)
    await tab2.screenshot({ path: `${SHOTS}/wiped-other-tab-360.png` })
    await ben.setViewportSize(WIDE)
    await ben.screenshot({ path: `${SHOTS}/wiped-1280.png` })
    expect(await originStores(ben)).toEqual(EMPTY)
    expect((await originStores(tab2)).sessionStorage).toBe(0)
    expect(await ben.content()).not.toContain('bed 12 handover')
    await tab2.getByTestId('use-here').click()
    await expect(tab2.getByRole('button', { name: 'Enroll' })).toBeVisible()
    expect(await originStores(tab2)).toEqual(EMPTY)

    // The admin's list records who reported it, when and why.
    const record = benGroup.getByTestId('revoked-by')
    await expect(record).toContainText('Reported lost by an administrator on')
    await expect(record).toContainText('phone lost on ward 3')
    await admin.screenshot({ path: `${SHOTS}/reported-lost-1280.png` })
    expect(errors).toEqual([])
  } finally {
    await relay.stop()
  }
})

test('"Remove Wardline from this device" is refused offline; online it deregisters the device and erases it', async ({ browser }) => {
  mkdirSync(SHOTS, { recursive: true })
  const relay = await startRelay()
  const errors: string[] = []
  try {
    const admin = await newPage(browser, WIDE, errors)
    const ben = await newPage(browser, NARROW, errors)
    await setUp(admin, relay)
    await addPerson(admin, ben, relay.url, 'Ben Nurse', 'blue-ward-42')
    await ben.evaluate(() => navigator.serviceWorker.ready)
    await openDevices(ben)
    await expect(ben.getByTestId('lease-info')).toContainText('must connect to your organisation’s server by')
    const ctx: BrowserContext = ben.context()
    await ctx.setOffline(true)
    await expect(ben.getByTestId('connection')).toHaveAttribute('data-state', 'offline')
    await ben.getByTestId('remove-this-device').click()
    await ben.screenshot({ path: `${SHOTS}/remove-confirm-360.png` })
    await ben.getByTestId('confirm').click()
    await expect(ben.getByTestId('remove-problem')).toContainText('You are offline')
    await ben.getByTestId('remove-this-device').scrollIntoViewIfNeeded()
    await ben.screenshot({ path: `${SHOTS}/remove-offline-360.png` })
    await ctx.setOffline(false)
    await expect(ben.getByTestId('connection')).toHaveAttribute('data-state', 'online', { timeout: 60_000 })
    await ben.getByTestId('remove-this-device').click()
    await ben.getByTestId('confirm').click()
    await expect(ben.getByTestId('wiped-notice')).toContainText('Wardline was removed from this device')
    expect(await originStores(ben)).toEqual(EMPTY)
    await ben.screenshot({ path: `${SHOTS}/removed-360.png` })
    // The organisation sees it removed, by its own signature.
    await openDevices(admin)
    await expect(admin.getByTestId('device-person').filter({ hasText: 'Ben Nurse' }).getByTestId('revoked-by'))
      .toContainText('Removed from the device itself by Ben Nurse')
    expect(errors).toEqual([])
  } finally {
    await relay.stop()
  }
})

test('a device offline past its lease locks, cannot unlock without the relay, and unlocks once the lease is renewed', async ({ browser }) => {
  mkdirSync(SHOTS, { recursive: true })
  // The relay's own setting (operator-only, not reachable from a page) signs 25-second leases.
  const env = { WARDLINE_LEASE_SECONDS: '25' }
  let relay = await startRelay({ env })
  const { dataDir, port } = relay
  const errors: string[] = []
  try {
    const admin = await newPage(browser, WIDE, errors)
    const ben = await newPage(browser, NARROW, errors)
    await setUp(admin, relay)
    await addPerson(admin, ben, relay.url, 'Ben Nurse', 'blue-ward-42')
    // The whole lease is within its last 12 hours: the warning shows, with the deadline.
    await expect(ben.getByTestId('lease-warning')).toBeVisible()
    await ben.screenshot({ path: `${SHOTS}/lease-warning-360.png` })
    await admin.close()
    // The relay goes away; the device keeps running on what it has until the lease runs out.
    await relay.stop()
    await expect(ben.getByRole('heading', { name: 'Wardline is locked' })).toBeVisible({ timeout: 90_000 })
    await expect(ben.getByTestId('lease-expired')).toContainText('has not reached your organisation’s Wardline')
    await expect(ben.getByRole('button', { name: 'Connect to renew' })).toBeVisible()
    await ben.screenshot({ path: `${SHOTS}/lease-expired-360.png` })
    await ben.setViewportSize(WIDE)
    await ben.screenshot({ path: `${SHOTS}/lease-expired-1280.png` })
    // The right PIN alone does not open it while the relay is unreachable.
    await ben.getByLabel('PIN or passphrase', { exact: true }).fill('blue-ward-42')
    await ben.getByRole('button', { name: 'Connect to renew' }).click()
    await expect(ben.getByRole('alert').filter({ hasText: 'Connect to the network, then enter your PIN' })).toBeVisible({ timeout: 30_000 })
    await expect(ben.getByTestId('connection')).toHaveCount(0)
    // The relay is back: the same PIN renews the lease and opens the app.
    relay = await startRelay({ env, dataDir, port })
    await ben.getByLabel('PIN or passphrase', { exact: true }).fill('blue-ward-42')
    await ben.getByRole('button', { name: 'Connect to renew' }).click()
    await expect(ben.getByTestId('connection')).toHaveAttribute('data-state', 'online', { timeout: 30_000 })
    expect(errors).toEqual([])
  } finally {
    await relay.stop()
  }
})
