/**
 * Roles (issue 7): an admin makes a compliance officer and a role the organisation names itself
 * ("pharmacist"); each is signed into the person's enrollment, shows in the admin console, and
 * gives no admin powers (no console); a malformed role name is refused before anything is signed.
 */
import { expect, test } from '@playwright/test'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { addPerson, DESKTOP, newPage, setupOrganisation } from './web5-helpers.ts'


test('compliance officers and organisation-named roles are signed in, shown, and give no admin powers', async ({ browser }) => {
  const relay = await startRelay()
  const errors: string[] = []
  const admin = await newPage(browser, DESKTOP, errors)
  const pat = await newPage(browser, DESKTOP, errors)
  const cora = await newPage(browser, DESKTOP, errors)
  await setupOrganisation(admin, relay, 'Ann Admin', 'amber-ward-7')

  // A role name that is not one is refused before any code exists.
  await admin.getByTestId('add-person').click()
  await admin.getByLabel('Display name').fill('Nobody')
  await admin.getByLabel('Other role').fill('<script>')
  await admin.getByRole('button', { name: 'Create enrollment code' }).click()
  await expect(admin.getByRole('alert')).toContainText('Name the other role')
  await admin.getByLabel('Other role').fill('')
  await admin.getByLabel('Clinician').check()

  await addPerson(admin, pat, relay.url, 'Pat Pharmacist', 'green-ward-3', (a) => a.getByLabel('Other role').fill('Pharmacist'))
  await addPerson(admin, cora, relay.url, 'Cora Officer', 'coral-ward-5', (a) => a.getByLabel('Compliance officer').check())

  await admin.getByTestId('admin-console').click()
  const person = (name: string) => admin.getByTestId('admin-person').filter({ hasText: name })
  await expect(person('Pat Pharmacist')).toContainText('pharmacist')
  await expect(person('Cora Officer')).toContainText('compliance')
  for (const page of [pat, cora]) await expect(page.getByTestId('admin-console')).toHaveCount(0)
  expect(errors).toEqual([])
  await relay.stop()
})
