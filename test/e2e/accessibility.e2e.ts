/**
 * axe-core scan of each main screen — setup, enrollment, unlock, conversation list, a
 * conversation, the patient panel and a PHI-tagged message with the composer's PHI hint, organisation, the admin console's sections — in light and dark mode (prefers-color-scheme), at phone and
 * desktop widths: no `serious` or `critical` violation. axe walks open shadow roots itself.
 * axe is evaluated in the page (not via addScriptTag: the CSP rightly refuses inline scripts).
 * Screenshots of each screen go to test-results/screens/ for a person to look at.
 */
import { expect, type Page, test } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { addPerson, DESKTOP, fillPin, newPage, PHONE, send, setupOrganisation, startConversation, unlock } from './web5-helpers.ts'

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const SHOTS = fileURLToPath(new URL('../../test-results/screens/', import.meta.url))

type Violation = { id: string; impact: string | null; help: string; nodes: Array<{ target: unknown; failureSummary?: string }> }

async function scan(page: Page, screen: string, found: string[]): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    await page.waitForTimeout(100)
    // The app's CSP (script-src 'self') refuses addScriptTag's inline script, and the scan must
    // not loosen it: axe is evaluated through the DevTools protocol instead, which CSP does not govern.
    await page.evaluate(AXE_SOURCE)
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: Violation[] }> } }).axe
      const r = await axe.run(document, { resultTypes: ['violations'] })
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }))
    }) as Violation[]
    for (const v of violations) {
      if (v.impact === 'serious' || v.impact === 'critical') {
        found.push(`${screen} (${scheme}, ${page.viewportSize()?.width}px): ${v.id} [${v.impact}] ${v.help} — ${JSON.stringify(v.nodes)}`)
      }
    }
    await page.screenshot({ path: `${SHOTS}${screen}-${page.viewportSize()?.width}-${scheme}.png` })
  }
  await page.emulateMedia({ colorScheme: null })
}

test('every main screen passes an axe scan in light and dark mode', async ({ browser }) => {
  const relay = await startRelay()
  const errors: string[] = []
  const found: string[] = []
  const admin = await newPage(browser, DESKTOP, errors)
  const ben = await newPage(browser, PHONE, errors)

  await admin.goto(`${relay.url}/#setup=${relay.setupCode}`)
  await expect(admin.getByLabel('Your name')).toBeVisible()
  await scan(admin, 'setup', found)
  await setupOrganisation(admin, relay, 'Ann Admin', 'amber-ward-7')

  // Enrollment: the screen the link opens, scanned before enrolling.
  await admin.getByTestId('add-person').click()
  await admin.getByLabel('Display name').fill('Ben Nurse')
  await admin.getByRole('button', { name: 'Create enrollment code' }).click()
  await scan(admin, 'enrollment-code', found)
  const link = (await admin.getByTestId('enrollment-link').textContent())!.trim()
  await ben.goto(link.replace(/^https?:\/\/[^/]+/, relay.url))
  await expect(ben.getByRole('button', { name: 'Enroll' })).toBeVisible()
  await scan(ben, 'enroll', found)
  await fillPin(ben, 'blue-ward-42')
  await ben.getByRole('button', { name: 'Enroll' }).click()
  await expect(ben.getByTestId('connection')).toHaveAttribute('data-state', 'online')
  await admin.getByRole('button', { name: 'Add another person' }).click()

  await startConversation(admin, ['Ben Nurse'])
  await send(admin, 'Bed 4 needs obs at 14:00')
  await send(admin, 'x'.repeat(1500))
  await scan(admin, 'conversation', found)
  // Issue 9: the patient panel, a PHI-tagged message with its watermark, and the composer's hint.
  await admin.getByTestId('patient-toggle').click()
  await admin.getByTestId('patient-name').fill('Margaret Okafor')
  await admin.getByTestId('patient-mrn').fill('4829113')
  await scan(admin, 'patient', found)
  await admin.getByTestId('save-patient').click()
  await expect(admin.getByTestId('patient-context')).toBeVisible()
  await send(admin, 'Okafor DOB 12/03/1958, for review')
  await admin.getByTestId('composer').fill('MRN 4829113 bloods')
  await expect(admin.getByTestId('phi-hint')).toBeVisible()
  await scan(admin, 'phi', found)
  await admin.getByTestId('composer').fill('')
  await admin.getByTestId('members-toggle').click()
  await scan(admin, 'members', found)
  await admin.getByTestId('organisation').click()
  await scan(admin, 'organisation', found)
  // The admin console's four sections (issue 7).
  await admin.getByTestId('admin-console').click()
  await expect(admin.getByTestId('admin-person')).toHaveCount(2)
  await scan(admin, 'admin-people', found)
  for (const [tab, ready] of [['codes', 'admin-code'], ['policy', 'policy-form'], ['audit', 'audit-record']] as const) {
    await admin.getByTestId(`admin-tab-${tab}`).click()
    await expect(admin.getByTestId(ready).first()).toBeVisible()
    await scan(admin, `admin-${tab}`, found)
  }

  // Phone: list, then a conversation with an incoming message, then unlock after a reload.
  await expect(ben.getByTestId('conversation')).toHaveCount(1)
  await scan(ben, 'list', found)
  await ben.getByTestId('conversation').first().click()
  await expect(ben.getByTestId('message-body')).toHaveCount(3)
  await scan(ben, 'conversation', found)
  await ben.reload()
  await expect(ben.getByRole('button', { name: 'Unlock' })).toBeVisible()
  await scan(ben, 'unlock', found)
  await unlock(ben, 'blue-ward-42')
  await admin.reload()
  await expect(admin.getByRole('button', { name: 'Unlock' })).toBeVisible()
  await scan(admin, 'unlock', found)

  expect(found).toEqual([])
  expect(errors).toEqual([])
  await relay.stop()
})
