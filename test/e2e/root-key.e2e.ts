/**
 * The root key survives the admin's phone (issue 7, decision 0016): shares of the organisation key
 * are shown once at setup; a second admin device, enrolled with an ordinary admin code, restores
 * the key from two of the three shares (one alone is refused) after the first admin's browser is
 * gone, then adds a new person whose device enrolls against the organisation's pinned root.
 */
import { expect, test } from '@playwright/test'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { DESKTOP, fillPin, newPage, PHONE } from './web5-helpers.ts'

test('a second admin device restores the organisation key from k shares and enrolls a new person', async ({ browser }) => {
  const relay = await startRelay()
  const errors: string[] = []
  try {
    const first = await newPage(browser, DESKTOP, errors)
    await first.goto(`${relay.url}/#setup=${relay.setupCode}`)
    await first.getByLabel('Your name').fill('Ann Admin')
    await first.getByLabel('Compliance officers').fill('Cora Officer')
    await first.getByLabel('Organisation key holders').fill('Ann Admin\nBo Admin\nCy Admin')
    await expect(first.getByLabel('Shares needed to restore the organisation key')).toHaveValue('2')
    await fillPin(first, 'amber-ward-7')
    await first.getByRole('button', { name: 'Create organisation' }).click()
    await expect(first.getByTestId('root-share')).toHaveCount(3)
    const shares = (await first.getByTestId('root-share').allTextContents()).map((s) => s.trim())
    for (const s of shares) expect(s).toMatch(/^WLRS1-[0-9A-Z]{8}-2-[1-3]-/)
    await first.getByRole('button', { name: 'I have handed out the shares' }).click()
    await expect(first.getByTestId('connection')).toHaveAttribute('data-state', 'online')
    await expect(first.getByTestId('root-share')).toHaveCount(0)

    // An ordinary admin enrollment code for Bo's new device.
    await first.getByTestId('add-person').click()
    await first.getByLabel('Display name').fill('Bo Admin')
    await first.getByLabel('Administrator').check()
    await first.getByRole('button', { name: 'Create enrollment code' }).click()
    const link = (await first.getByTestId('enrollment-link').textContent())!.trim()
    await first.context().close() // the first admin's phone is lost

    const bo = await newPage(browser, PHONE, errors)
    await bo.goto(link.replace(/^https?:\/\/[^/]+/, relay.url))
    await fillPin(bo, 'birch-ward-8')
    await bo.getByRole('button', { name: 'Enroll' }).click()
    await expect(bo.getByTestId('connection')).toHaveAttribute('data-state', 'online')
    await bo.getByTestId('organisation').click()
    const sharesField = bo.getByLabel('Organisation key shares')
    await sharesField.fill(shares[1]!)
    await bo.getByRole('button', { name: 'Restore organisation key' }).click()
    await expect(bo.getByRole('alert').filter({ hasText: 'Not enough shares' })).toBeVisible()
    await sharesField.fill(`${shares[2]}\n${shares[0]}`)
    await bo.getByRole('button', { name: 'Restore organisation key' }).click()
    await expect(bo.getByTestId('root-key-here')).toContainText('Organisation key restored')
    // The restoring device states it in the audit log (admin.root-restored, signed by Bo's device).
    await expect.poll(() => relay.logs()).toContain('audit.claim-stored')

    // Bo's device now signs a new person, whose device enrolls and comes online.
    await bo.getByTestId('back').click()
    await bo.getByTestId('add-person').click()
    await bo.getByLabel('Display name').fill('Cas Nurse')
    await bo.getByRole('button', { name: 'Create enrollment code' }).click()
    const casLink = (await bo.getByTestId('enrollment-link').textContent())!.trim()
    const cas = await newPage(browser, PHONE, errors)
    await cas.goto(casLink.replace(/^https?:\/\/[^/]+/, relay.url))
    await fillPin(cas, 'cedar-ward-9')
    await cas.getByRole('button', { name: 'Enroll' }).click()
    await expect(cas.getByTestId('connection')).toHaveAttribute('data-state', 'online')
    expect(errors).toEqual([])
  } finally {
    await relay.stop()
  }
})
