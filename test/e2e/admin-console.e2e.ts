/**
 * The admin console end to end (issue 7), real relay (with SCIM on) and real Chromium: the admin
 * enrolls a nurse and sees her with "last seen"; a SCIM user awaiting enrollment gets a code; the
 * policy is re-signed only after the PIN is asked again (a wrong PIN refused); an unused code is
 * revoked; the nurse is disabled (her device erases itself); a SCIM deactivation raises the banner
 * and a person confirms the revocations; the audit log is read, a checkpoint signed, and the
 * exported checkpoints file passes `npm run audit:verify`. Screenshots of every console screen at
 * 390×844 and 1280×800 go to /tmp/wl-shots-admin/.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { expect, type Page, test } from '@playwright/test'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { addPerson, newPage, setupOrganisation } from './web5-helpers.ts'

const SHOTS = '/tmp/wl-shots-admin'
const PIN_A = 'amber-ward-7'
const PIN_B = 'blue-ward-42'
const SCIM_TOKEN = 'e2e-scim-token-0123456789'
const WIDE = { width: 1280, height: 800 }
const PHONE = { width: 390, height: 844 }
test.use({ actionTimeout: 30_000 })

async function shoot(page: Page, name: string, dark = false): Promise<void> {
  for (const [label, size] of [['desktop', WIDE], ['phone', PHONE]] as const) {
    await page.setViewportSize(size)
    await page.screenshot({ path: `${SHOTS}/${name}-${label}.png` })
  }
  if (dark) {
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: `${SHOTS}/${name}-phone-dark.png` })
    await page.emulateMedia({ colorScheme: 'light' })
  }
  await page.setViewportSize(WIDE)
}

async function reauth(page: Page, pin: string): Promise<void> {
  const dialog = page.getByTestId('reauth-dialog').filter({ visible: true })
  await dialog.getByLabel('Your PIN or passphrase').fill(pin)
  await dialog.getByTestId('reauth-confirm').click()
}

async function scim(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}/scim/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${SCIM_TOKEN}`, 'content-type': 'application/scim+json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  expect(res.status).toBeLessThan(300)
  return res.status === 204 ? null : await res.json()
}

test('admin console: people with last seen, policy with the PIN asked again, codes, disable, directory deactivation, audit export', async ({ browser }) => {
  mkdirSync(SHOTS, { recursive: true })
  const relay = await startRelay({ env: { WARDLINE_SCIM_TOKEN: SCIM_TOKEN } })
  const errors: string[] = []
  const admin = await newPage(browser, WIDE, errors)
  const nurse = await newPage(browser, PHONE, errors)
  try {
    await setupOrganisation(admin, relay, 'Ann Admin', PIN_A)
    await addPerson(admin, nurse, relay.url, 'Ben Nurse', PIN_B)
    const dora = await scim(relay.url, 'POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'dora.doctor@example.org',
      displayName: 'Dora Doctor',
      active: true,
    })

    // People: Ben enrolled with last seen; Dora from the directory, awaiting enrollment.
    await admin.getByTestId('admin-console').click()
    const ben = admin.getByTestId('admin-person').filter({ hasText: 'Ben Nurse' })
    await expect(ben.getByTestId('person-state')).toHaveText('Enrolled')
    await expect(ben.getByTestId('last-seen')).toContainText(/last seen (just now|\d+ min ago)/)
    const doraCard = admin.getByTestId('admin-person').filter({ hasText: 'Dora Doctor' })
    await expect(doraCard.getByTestId('person-state')).toHaveText('Awaiting enrollment')
    await admin.getByTestId('admin-search').fill('ben')
    await expect(admin.getByTestId('admin-person')).toHaveCount(1)
    await admin.getByTestId('admin-search').fill('')
    await doraCard.getByTestId('issue-code').click()
    const doraLink = (await doraCard.getByTestId('enrollment-link').textContent())!.trim()
    await shoot(admin, '1-people', true)
    // Dora enrolls with the code that carries her directory user id.
    const doraPage = await newPage(browser, PHONE, errors)
    await doraPage.goto(doraLink.replace(/^https?:\/\/[^/]+/, relay.url))
    await doraPage.getByLabel('PIN or passphrase', { exact: true }).fill(PIN_B)
    await doraPage.getByLabel('Confirm PIN or passphrase').fill(PIN_B)
    await doraPage.getByRole('button', { name: 'Enroll' }).click()
    await expect(doraPage.getByTestId('connection')).toHaveAttribute('data-state', 'online')

    // Policy: a wrong PIN is refused, the right one signs version 1.
    await admin.getByTestId('admin-tab-policy').click()
    await admin.getByLabel('Idle lock').fill('20')
    await shoot(admin, '2-policy')
    await admin.getByTestId('save-policy').click()
    await reauth(admin, 'not-my-pin')
    await expect(admin.getByTestId('reauth-error')).toHaveText('Wrong PIN')
    await shoot(admin, '3-reauth')
    await reauth(admin, PIN_A)
    await expect(admin.getByTestId('policy-saved')).toBeVisible()
    await expect(admin.getByTestId('policy-version')).toContainText('Version 1')
    expect(typeof (await (await fetch(`${relay.url}/api/policy`)).json()).policy).toBe('string')

    // Codes: a new one for Cara, revoked (PIN again) before anyone used it.
    await admin.getByTestId('admin-tab-codes').click()
    await admin.getByTestId('new-code').click()
    await admin.getByLabel('Display name').fill('Cara Temp')
    await admin.getByRole('button', { name: 'Create enrollment code' }).click()
    await expect(admin.getByTestId('enrollment-link')).toBeVisible()
    await admin.getByTestId('admin-console').click()
    await admin.getByTestId('admin-tab-codes').click()
    await expect(admin.getByTestId('admin-code')).toHaveCount(3)
    await expect(admin.getByTestId('admin-code').filter({ hasText: 'Ben Nurse' }).getByTestId('code-state')).toHaveText('Used')
    const caraCode = admin.getByTestId('admin-code').filter({ hasText: 'Cara Temp' })
    await caraCode.getByTestId('revoke-code').click()
    await reauth(admin, PIN_A)
    await expect(caraCode.getByTestId('code-state')).toHaveText('Revoked')
    await shoot(admin, '4-codes')

    // Disable Ben: root-signed revocation of his device, which erases itself.
    await admin.getByTestId('admin-tab-users').click()
    await ben.getByTestId('disable-person').click()
    await reauth(admin, PIN_A)
    await expect(nurse.getByTestId('wiped-notice')).toContainText('This device was removed from Wardline by your organisation')
    await expect(ben.getByTestId('person-state')).toHaveText('Disabled')

    // The directory deactivates Dora: the relay refuses her device at once and the console asks
    // a person to confirm the revocation, signed here only after the PIN.
    await scim(relay.url, 'PATCH', `/Users/${dora.id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    })
    const banner = admin.getByTestId('deactivated-banner')
    await expect(banner).toContainText('Directory deactivated Dora Doctor — revoke their devices?')
    await shoot(admin, '6-banner')
    await banner.getByTestId('revoke-deactivated').click()
    await reauth(admin, PIN_A)
    await expect(banner).toHaveCount(0)
    await expect(doraCard.getByTestId('person-state')).toHaveText('Deactivated in directory')
    await expect(doraCard.getByTestId('admin-device').first()).toContainText('Revoked')
    await doraPage.close()

    // Audit log: records, a signed checkpoint, and an export the verifier accepts.
    await admin.getByTestId('admin-tab-audit').click()
    // The newest page first; this short log fits in one, so it starts at #1.
    await expect(admin.getByTestId('audit-record').first()).toContainText('org.setup')
    await expect(admin.getByTestId('audit-record').filter({ hasText: 'authorization.revoked' })).toHaveCount(1)
    await expect(admin.getByTestId('audit-previous')).toBeDisabled()
    await admin.getByTestId('sign-checkpoint').click()
    await expect(admin.getByTestId('checkpoint-count')).toContainText('1 checkpoint kept on this device')
    await shoot(admin, '5-audit', true)
    const downloads: string[] = []
    admin.on('download', async (d) => {
      const path = `${SHOTS}/${d.suggestedFilename()}`
      await d.saveAs(path)
      downloads.push(path)
    })
    await admin.getByTestId('export-audit').click()
    await expect(admin.getByTestId('export-done')).toContainText('1 checkpoints')
    await expect.poll(() => downloads.length).toBe(2)
    const checkpoints = downloads.find((p) => p.includes('checkpoints'))!
    const line = JSON.parse(readFileSync(checkpoints, 'utf8').trim())
    expect(line.signer).toBeTruthy()
    await relay.stop()
    // Exit 0 or execFileSync throws (with the verifier's report).
    execFileSync('npm', ['run', '--silent', 'audit:verify', '--', '--data', relay.dataDir, '--checkpoints', checkpoints], {
      cwd: new URL('../..', import.meta.url).pathname,
      stdio: 'pipe',
    })
    expect(errors).toEqual([])
  } finally {
    await relay.stop().catch(() => {})
  }
})
