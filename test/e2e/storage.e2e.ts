/**
 * Storage (issue 5): the app asks for persistent storage once it is ready and says under
 * "Organisation & this device" whether the browser keeps its data and how much it uses, and the
 * app goes on normally whatever the browser answers. (A real quota error could not be produced
 * here: this Chromium ignores DevTools' Storage.overrideQuotaForOrigin; the mapping of
 * QuotaExceededError is covered in workers/encrypted-store.browser.test.ts.)
 */
import { expect, test } from '@playwright/test'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { addPerson, DESKTOP, newPage, send, setupOrganisation, startConversation } from './web5-helpers.ts'

test('persistent storage is asked for and shown, and messaging goes on whatever the answer', async ({ browser }) => {
  const relay = await startRelay()
  const errors: string[] = []
  const admin = await newPage(browser, DESKTOP, errors)
  const ben = await newPage(browser, DESKTOP, errors)
  await setupOrganisation(admin, relay, 'Ann Admin', 'amber-ward-7')
  await addPerson(admin, ben, relay.url, 'Ben Nurse', 'blue-ward-42')

  // The setup link opened again once the organisation exists says so, beside the enrollment form.
  const late = await newPage(browser, DESKTOP, errors)
  await late.goto(`${relay.url}/#setup=${relay.setupCode}`)
  await expect(late.getByTestId('setup-already-done')).toContainText('ask your administrator for an enrollment code')
  await late.context().close()

  await admin.getByRole('button', { name: 'Organisation & this device' }).click()
  const status = admin.getByTestId('storage-status')
  await expect(status).toBeVisible()
  await expect(status).toContainText('Storage:')
  expect(['true', 'false']).toContain(await status.getAttribute('data-persisted'))

  await startConversation(admin, ['Ben'])
  await send(admin, 'before the disk filled up')
  await expect(admin.getByTestId('message')).toHaveCount(1)

  await expect(ben.getByTestId('conversation')).toHaveCount(1)
  await ben.getByTestId('conversation').first().click()
  await expect(ben.getByTestId('message')).toHaveCount(1)
  expect(errors).toEqual([])
  await relay.stop()
})
