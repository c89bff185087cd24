/**
 * The encrypted key backup through the UI, real relay, real Chromium (issue 3, decision 0007):
 * Ben's only device creates a recovery key (shown once), takes part in a group and is then gone
 * for good; Ben is removed while away and later added back without history, on a new device the
 * admin enrolled for him, so no member re-seals the earlier keys to it. The new device offers
 * "Restore history", refuses a mistyped key, and with the right one shows the earlier messages and
 * lists plainly the one sent while Ben was not a member. Nothing of it reaches the relay's disk.
 * Screenshots (phone 360×740, desktop 1280×800) go to /tmp/wl-shots-backup/.
 */
import { type Browser, expect, type Page, test } from '@playwright/test'
import { mkdirSync } from 'node:fs'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { scanRelay } from './relay-scan.ts'

const SHOTS = '/tmp/wl-shots-backup'
const WIDE = { width: 1280, height: 800 }
const NARROW = { width: 360, height: 740 }
test.use({ actionTimeout: 30_000 })
const say = (label: string) => `${label} ${Math.random().toString(36).slice(2, 8)}`

async function fillPin(page: Page, pin: string) {
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(pin)
  await page.getByLabel('Confirm PIN or passphrase').fill(pin)
}

async function newPage(browser: Browser, viewport: typeof WIDE, errors: string[]): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage()
  page.on('pageerror', (e) => errors.push(e.message))
  return page
}

async function enrollWithLink(page: Page, link: string, relayUrl: string, pin: string) {
  await page.goto(link.replace(/^https?:\/\/[^/]+/, relayUrl))
  await fillPin(page, pin)
  await page.getByRole('button', { name: 'Enroll' }).click()
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'online')
}

async function addPerson(admin: Page, page: Page, relayUrl: string, name: string, pin: string) {
  await admin.getByTestId('add-person').click()
  await admin.getByLabel('Display name').fill(name)
  await admin.getByRole('button', { name: 'Create enrollment code' }).click()
  const link = (await admin.getByTestId('enrollment-link').textContent())!.trim()
  await enrollWithLink(page, link, relayUrl, pin)
  await admin.getByRole('button', { name: 'Add another person' }).click()
}

async function send(page: Page, text: string) {
  await page.getByTestId('composer').fill(text)
  await page.getByTestId('send').click()
  await expect(page.getByTestId('message').filter({ hasText: text })).toHaveCount(1)
}

const body = (page: Page, text: string) => page.getByTestId('message-body').filter({ hasText: text })

async function openOrganisation(page: Page) {
  const back = page.getByTestId('back')
  if (await back.isVisible()) await back.click()
  await page.getByTestId('organisation').click()
  await expect(page.getByTestId('recovery-section')).toBeVisible()
}

async function shoot(page: Page, name: string, locator?: string) {
  for (const [label, size] of [['360', NARROW], ['1280', WIDE]] as const) {
    await page.setViewportSize(size)
    if (locator) await page.getByTestId(locator).first().scrollIntoViewIfNeeded()
    await page.screenshot({ path: `${SHOTS}/${name}-${label}.png` })
  }
}

test('a recovery key made on the only device restores the history on a new device no member re-seals it to', async ({ browser }) => {
  mkdirSync(SHOTS, { recursive: true })
  const relay = await startRelay()
  const errors: string[] = []
  const admin = await newPage(browser, WIDE, errors)
  const ben1 = await newPage(browser, NARROW, errors)
  const cara = await newPage(browser, WIDE, errors)

  await admin.goto(`${relay.url}/#setup=${relay.setupCode}`)
  await admin.getByLabel('Your name').fill('Ann Admin')
  await admin.getByLabel('Compliance officers').fill('Cora Officer')
  await admin.getByLabel('Organisation key holders').fill('Ann Admin\nBo Admin\nCy Admin')
  await fillPin(admin, 'amber-ward-7')
  await admin.getByRole('button', { name: 'Create organisation' }).click()
  await admin.getByRole('button', { name: 'I have handed out the shares' }).click()
  await expect(admin.getByTestId('connection')).toHaveAttribute('data-state', 'online')
  await addPerson(admin, ben1, relay.url, 'Ben Nurse', 'blue-ward-42')
  await addPerson(admin, cara, relay.url, 'Cara Doctor', 'coral-ward-9')
  await cara.context().close() // Cara only needs an enrolled device to be in the group

  // A group; one message each way.
  await admin.getByTestId('new-conversation').click()
  await admin.getByTestId('person').filter({ hasText: 'Ben Nurse' }).click()
  await admin.getByTestId('person').filter({ hasText: 'Cara Doctor' }).click()
  await admin.getByTestId('create-conversation').click()
  const m1 = say('bed 4 needs fluids')
  await send(admin, m1)
  await ben1.getByTestId('conversation').first().click()
  await expect(body(ben1, m1)).toHaveCount(1)
  const m2 = say('on it')
  await send(ben1, m2)
  await expect(body(admin, m2)).toHaveCount(1)

  // Ben's only device makes a recovery key: shown once, with the explanation; then hidden.
  await openOrganisation(ben1)
  await expect(ben1.getByTestId('recovery-section')).toContainText('It is not your PIN')
  await ben1.getByTestId('create-recovery-key').click()
  const shown = ben1.getByTestId('recovery-key')
  await expect(shown).toBeVisible()
  const recoveryKey = (await shown.textContent())!.replace(/\s+/g, '')
  expect(recoveryKey).toMatch(/^WLRK[0-9A-Z]{40}$/)
  await expect(ben1.getByTestId('recovery-key-shown')).toContainText('Your backup is on the server')
  await shoot(ben1, 'recovery-key-shown', 'recovery-key')
  await ben1.setViewportSize(NARROW)
  await ben1.getByTestId('recovery-key-stored').click()
  await expect(ben1.getByTestId('recovery-key')).toHaveCount(0)
  await expect(ben1.getByTestId('backup-state')).toContainText('Key backup is on: version 1')
  await shoot(ben1, 'recovery-key-on', 'recovery-section')
  await ben1.context().close() // gone for good

  // Ben is removed while away; a message follows that no device of his ever gets a key for.
  await admin.getByTestId('members-toggle').click()
  await admin.getByTestId('member').filter({ hasText: 'Ben Nurse' }).getByTestId('remove-member').click()
  await admin.getByTestId('confirm').click()
  await expect(admin.getByTestId('member')).toHaveCount(2)
  const m3 = say('while ben was away')
  await send(admin, m3)

  // A new device for Ben; the admin adds Ben back without history.
  await openOrganisation(admin)
  const benGroup = admin.getByTestId('device-person').filter({ hasText: 'Ben Nurse' })
  await benGroup.getByTestId('add-device-for-person').click()
  const link = (await benGroup.getByTestId('enrollment-link').textContent())!.trim()
  const ben2 = await newPage(browser, NARROW, errors)
  await enrollWithLink(ben2, link, relay.url, 'blue-ward-43')
  await admin.getByTestId('conversation').first().click()
  await admin.getByTestId('members-toggle').click()
  await admin.getByTestId('add-members').click()
  await admin.getByTestId('candidate').filter({ hasText: 'Ben Nurse' }).click()
  await admin.getByTestId('share-history').uncheck()
  await admin.getByTestId('confirm-add-members').click()
  await expect(admin.getByTestId('member')).toHaveCount(3)
  const m4 = say('welcome back')
  await send(admin, m4)

  // The new device: only the new message, and an offer to restore.
  await expect(ben2.getByTestId('conversation')).toHaveCount(1)
  const offer = ben2.getByTestId('restore-offer')
  await expect(offer).toBeVisible()
  await shoot(ben2, 'restore-offer', 'restore-offer')
  await ben2.setViewportSize(NARROW)

  // A mistyped key is caught by its checksum; nothing opens.
  const typo = recoveryKey.slice(0, 10) + (recoveryKey[10] === 'A' ? 'B' : 'A') + recoveryKey.slice(11)
  await offer.getByTestId('recovery-key-input').fill(typo)
  await offer.getByTestId('restore-history').click()
  await expect(offer.getByTestId('restore-error')).toContainText('One of the characters of the recovery key is wrong')
  await shoot(ben2, 'restore-typo', 'restore-offer')
  await ben2.setViewportSize(NARROW)

  // The right key, typed in lower case with spaces: the earlier messages open, the rest is listed.
  const loose = recoveryKey.toLowerCase().replace(/(.{4})/g, '$1 ')
  await offer.getByTestId('recovery-key-input').fill(loose)
  await offer.getByTestId('restore-history').click()
  const report = offer.getByTestId('restore-report')
  await expect(report).toContainText('Opened 2 earlier messages in 1 conversation')
  await expect(offer.getByTestId('restore-unavailable')).toContainText('1 message')
  await shoot(ben2, 'restore-report', 'restore-report')
  await ben2.setViewportSize(NARROW)
  await ben2.getByTestId('conversation').first().click()
  for (const m of [m1, m2, m4]) await expect(body(ben2, m)).toHaveCount(1)
  await expect(body(ben2, m3)).toHaveCount(0)
  await expect(ben2.getByTestId('history-unavailable')).toBeVisible()
  await shoot(ben2, 'restored-conversation', 'history-unavailable')

  // The new device now keeps the backup itself (its own new key joins a higher version).
  await ben2.setViewportSize(NARROW)
  await openOrganisation(ben2)
  await expect(ben2.getByTestId('backup-state')).toContainText('Key backup is on')
  await shoot(ben2, 'settings-new-device', 'recovery-section')

  await relay.stop()
  const found = scanRelay(relay.dataDir, relay.logs(), [recoveryKey, recoveryKey.slice(4), m1, m2, m3, m4])
  expect(found).toEqual([])
  expect(errors).toEqual([])
})
