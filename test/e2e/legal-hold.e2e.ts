/**
 * Legal hold from the admin console (issue 8): a member reads the conversation's id in its
 * details; the admin puts it on hold (PIN asked again; a malformed id refused first), sees it
 * listed with its title, who set it and when, and releases it; the audit log shows both.
 */
import { expect, type Page, test } from '@playwright/test'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { addPerson, DESKTOP, newPage, send, setupOrganisation, startConversation } from './web5-helpers.ts'

const PIN = 'amber-ward-7'

async function reauth(page: Page, pin: string): Promise<void> {
  const dialog = page.getByTestId('reauth-dialog').filter({ visible: true })
  await dialog.getByLabel('Your PIN or passphrase').fill(pin)
  await dialog.getByTestId('reauth-confirm').click()
}

test('an admin holds a conversation by its id and releases it, with the PIN asked again and both in the audit log', async ({ browser }) => {
  const relay = await startRelay()
  const errors: string[] = []
  const admin = await newPage(browser, DESKTOP, errors)
  const ben = await newPage(browser, DESKTOP, errors)
  await setupOrganisation(admin, relay, 'Ann Admin', PIN)
  await addPerson(admin, ben, relay.url, 'Ben Nurse', 'blue-ward-42')
  await startConversation(admin, ['Ben'])
  await send(admin, 'Handover for bed 12')

  await admin.getByTestId('members-toggle').click()
  const id = (await admin.getByTestId('conversation-id').locator('.mono').textContent())!.trim()
  expect(id).toMatch(/^[0-9a-f]{32}$/)
  await admin.getByTestId('members-toggle').click()

  await admin.getByTestId('admin-console').click()
  await admin.getByTestId('admin-tab-holds').click()
  await expect(admin.getByText('No conversation is on legal hold.')).toBeVisible()
  await admin.getByTestId('hold-id').fill('not-an-id')
  await admin.getByTestId('hold-conversation').click()
  await expect(admin.getByRole('alert')).toContainText('32 characters')
  await admin.getByTestId('hold-id').fill(id)
  await admin.getByTestId('hold-conversation').click()
  await reauth(admin, PIN)
  const hold = admin.getByTestId('legal-hold')
  await expect(hold).toHaveCount(1)
  await expect(hold).toContainText('Ben Nurse')
  await expect(hold).toContainText('by Ann Admin')
  await expect(hold).toContainText(id)
  await admin.screenshot({ path: '/tmp/wl-shots-holds/holds-1280.png' })

  await hold.getByTestId('release-hold').click()
  await reauth(admin, PIN)
  await expect(admin.getByTestId('legal-hold')).toHaveCount(0)

  await admin.getByTestId('admin-tab-audit').click()
  await expect(admin.getByText('legalhold.set')).toBeVisible()
  await expect(admin.getByText('legalhold.released')).toBeVisible()
  expect(errors).toEqual([])
  await relay.stop()
})
