/**
 * Issue 9 end to end (real relay, built PWA, Debian Chromium): a member sets the conversation's
 * patient context, the other sees it in the header and finds the conversation by the patient's
 * name and MRN; typing a message with a date of birth and an MRN shows the composer's hint, the
 * message goes out tagged as PHI, and the recipient sees it watermarked with their own name. The
 * page blurs when the window loses focus. Nothing the relay wrote holds the patient context or the
 * message (a planted canary proves the scan). Screenshots at 390×844 and 1280×800, light and dark,
 * go to test-results/screens/phi-*.png for a person to look at.
 */
import { expect, type Page, test } from '@playwright/test'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { scanBytes, scanRelay } from './relay-scan.ts'
import { addPerson, DESKTOP, newPage, setupOrganisation, startConversation } from './web5-helpers.ts'

const SHOTS = fileURLToPath(new URL('../../test-results/screens/', import.meta.url))
const PHONE = { width: 390, height: 844 }
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url))

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]))
}

async function shoot(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    await page.waitForTimeout(150)
    await page.screenshot({ path: `${SHOTS}phi-${name}-${page.viewportSize()?.width}-${scheme}.png` })
  }
  await page.emulateMedia({ colorScheme: null })
}

/** The computed filter of the app's root, as the browser paints it. */
const appFilter = (page: Page) => page.evaluate(() => getComputedStyle(document.getElementById('app')!).filter)

test('patient context, PHI hint and tag, watermark for the recipient, privacy blur, and a relay that saw none of it', async ({ browser }) => {
  const relay = await startRelay()
  const errors: string[] = []
  const admin = await newPage(browser, DESKTOP, errors)
  const ben = await newPage(browser, PHONE, errors)
  const suffix = Math.random().toString(36).slice(2, 8)
  const NAME = `Zelphine Quorravax${suffix}`
  const MRN = `QX${Math.floor(1e6 + Math.random() * 8e6)}`
  const TEXT = `Quorravax${suffix} DOB 12/03/1958, MRN 4829113, needs bloods before 10`
  try {
    await setupOrganisation(admin, relay, 'Ann Admin', 'amber-ward-7')
    await addPerson(admin, ben, relay.url, 'Ben Nurse', 'blue-ward-42')
    await startConversation(admin, ['Ben Nurse'])

    // Ann sets the patient context; it shows in her header at once.
    await admin.getByTestId('patient-toggle').click()
    await admin.getByTestId('patient-name').fill(NAME)
    await admin.getByTestId('patient-mrn').fill(MRN)
    await admin.getByTestId('patient-ward').fill('7B')
    await admin.getByTestId('patient-bed').fill('4')
    await shoot(admin, 'patient-form')
    await admin.getByTestId('save-patient').click()
    await expect(admin.getByTestId('patient-context')).toContainText(NAME)
    await expect(admin.getByTestId('patient-context')).toContainText(`MRN ${MRN}`)
    await expect(admin.getByTestId('patient-notice')).toContainText(`set the patient: ${NAME}`)

    // Ben finds it in his list by the patient's MRN and name (a local filter), not by another name.
    await expect(ben.getByTestId('conversation-patient')).toContainText(NAME)
    const search = ben.getByTestId('conversation-search')
    await search.fill('nobody-like-this')
    await expect(ben.getByTestId('no-search-results')).toBeVisible()
    await search.fill(MRN.toLowerCase())
    await expect(ben.getByTestId('conversation')).toHaveCount(1)
    await search.fill(`quorravax${suffix}`)
    await expect(ben.getByTestId('conversation')).toHaveCount(1)
    await shoot(ben, 'list-search')
    await ben.getByTestId('conversation').first().click()
    await expect(ben.getByTestId('patient-context')).toContainText(NAME)
    // The panel opens with the context as set, for any member to change.
    await ben.getByTestId('patient-toggle').click()
    await expect(ben.getByTestId('patient-name')).toHaveValue(NAME)
    await expect(ben.getByTestId('patient-mrn')).toHaveValue(MRN)
    await shoot(ben, 'patient-form')
    await ben.getByRole('button', { name: 'Close' }).click()

    // Typing a date of birth and an MRN shows the hint, listing what was found; sending is not blocked.
    await ben.getByTestId('composer').fill(TEXT)
    const hint = ben.getByTestId('phi-hint')
    await expect(hint).toContainText('a date of birth')
    await expect(hint).toContainText('an MRN')
    await expect(hint).toContainText('the patient’s name')
    await expect(hint.locator('li[data-kind="dob"] mark')).toHaveText('12/03/1958')
    await expect(hint.locator('li[data-kind="mrn"] mark')).toHaveText('4829113')
    await shoot(ben, 'composer-hint')
    await ben.getByTestId('send').click()
    await expect(hint).toHaveCount(0)
    const mine = ben.getByTestId('message').filter({ hasText: TEXT })
    await expect(mine).toHaveAttribute('data-phi', 'dob mrn name')
    await expect(mine.getByTestId('message-status')).not.toHaveText('queued')
    await expect(mine.getByTestId('phi-watermark')).toHaveAttribute('data-mark', /^Ben Nurse · /)
    await ben.getByTestId('composer').fill('bloods done, all normal')
    await expect(hint).toHaveCount(0)
    await ben.getByTestId('send').click()

    // Ann receives it tagged — the tag was signed inside the record — with her own name on it.
    const received = admin.getByTestId('message').filter({ hasText: TEXT })
    await expect(received).toHaveAttribute('data-phi', 'dob mrn name')
    await expect(received.getByTestId('phi-label')).toHaveText('Patient information')
    await expect(received.getByTestId('phi-watermark')).toHaveAttribute('data-mark', /^Ann Admin · \S/)
    const plain = admin.getByTestId('message').filter({ hasText: 'bloods done, all normal' })
    await expect(plain).not.toHaveAttribute('data-phi', /.*/)
    await expect(plain.getByTestId('phi-watermark')).toHaveCount(0)
    await shoot(admin, 'conversation')
    await shoot(ben, 'conversation')

    // The privacy screen: losing focus blurs the app, coming back clears it.
    for (const page of [admin, ben]) {
      expect(await appFilter(page)).toBe('none')
      await page.evaluate(() => window.dispatchEvent(new FocusEvent('blur')))
      expect(await appFilter(page)).toMatch(/^blur\(/)
      await shoot(page, 'privacy-blur')
      await page.evaluate(() => window.dispatchEvent(new FocusEvent('focus')))
      expect(await appFilter(page)).toBe('none')
    }
    // Hidden (the app switcher): the cover turns opaque, so its snapshot shows only the notice.
    await ben.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' })
      document.dispatchEvent(new Event('visibilitychange'))
    })
    expect(await ben.evaluate(() => document.documentElement.getAttribute('data-wl-privacy'))).toBe('hidden')
    await shoot(ben, 'privacy-hidden')
    await ben.evaluate(() => {
      delete (document as { visibilityState?: unknown }).visibilityState
      document.dispatchEvent(new Event('visibilitychange'))
    })
    expect(await appFilter(ben)).toBe('none')
    // Notifications: the app shows none, so none can carry content — no notification or push
    // code in the built app or its service worker, and no permission asked for.
    const built = filesUnder(DIST).filter((f) => /\.(js|html)$/.test(f)).map((f) => readFileSync(f, 'utf8'))
    expect(built.length).toBeGreaterThan(3)
    expect(built.filter((src) => /showNotification|new Notification\(|requestPermission|pushManager/i.test(src))).toEqual([])
    expect(await admin.evaluate(() => typeof Notification === 'undefined' ? 'default' : Notification.permission)).not.toBe('granted')
    expect(errors).toEqual([])
  } finally {
    await admin.context().close()
    await ben.context().close()
    const logs = relay.logs()
    await relay.stop()
    // Zero knowledge: none of the patient context nor the message in the relay's files and logs.
    expect(scanRelay(relay.dataDir, logs, [NAME, MRN, `Quorravax${suffix}`, TEXT, '12/03/1958, MRN 4829113'])).toEqual([])
    const planted = mkdtempSync(join(tmpdir(), 'wardline-planted-'))
    writeFileSync(join(planted, 'p.bin'), Buffer.from(`..${MRN}..`, 'utf16le'))
    expect(scanBytes({ files: [join(planted, 'p.bin')], texts: [] }, [MRN])).toEqual([MRN])
  }
})
