/**
 * Shared steps of the interface e2e specs (text-only, accessibility, large conversation): an
 * organisation with an admin and a second person on two browser contexts, against a real relay.
 */
import { type Browser, expect, type Page } from '@playwright/test'

export const PHONE = { width: 360, height: 740 }
export const DESKTOP = { width: 1280, height: 800 }

export async function fillPin(page: Page, pin: string): Promise<void> {
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(pin)
  await page.getByLabel('Confirm PIN or passphrase').fill(pin)
}

export async function newPage(browser: Browser, viewport: { width: number; height: number }, errors: string[]): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage()
  page.on('pageerror', (e) => errors.push(e.message))
  return page
}

/** The first admin creates the organisation (setup code from the relay's output). */
export async function setupOrganisation(page: Page, relay: { url: string; setupCode: string }, name: string, pin: string): Promise<void> {
  await page.goto(`${relay.url}/#setup=${relay.setupCode}`)
  await page.getByLabel('Your name').fill(name)
  await page.getByLabel('Compliance officers').fill('Cora Officer')
  await page.getByLabel('Organisation key holders').fill('Ann Admin\nBo Admin\nCy Admin')
  await fillPin(page, pin)
  await page.getByRole('button', { name: 'Create organisation' }).click()
  await page.getByRole('button', { name: 'I have handed out the shares' }).click()
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'online')
}

/**
 * Admin: "Add person" → enrollment link; the new person enrolls with it on `page`. `chooseRole`
 * picks a role on the form first (Clinician when not given).
 */
export async function addPerson(
  admin: Page,
  page: Page,
  relayUrl: string,
  name: string,
  pin: string,
  chooseRole?: (admin: Page) => Promise<void>,
): Promise<void> {
  await admin.getByTestId('add-person').click()
  await admin.getByLabel('Display name').fill(name)
  if (chooseRole) await chooseRole(admin)
  await admin.getByRole('button', { name: 'Create enrollment code' }).click()
  const link = (await admin.getByTestId('enrollment-link').textContent())!.trim()
  await page.goto(link.replace(/^https?:\/\/[^/]+/, relayUrl))
  await fillPin(page, pin)
  await page.getByRole('button', { name: 'Enroll' }).click()
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'online')
  await admin.getByRole('button', { name: 'Add another person' }).click()
}

/** Starts a conversation with the people whose names are given (one: direct; more: group). */
export async function startConversation(page: Page, names: string[]): Promise<void> {
  await page.getByTestId('new-conversation').click()
  for (const n of names) await page.getByTestId('person').filter({ hasText: n }).click()
  await page.getByTestId('create-conversation').click()
  await expect(page.getByTestId('composer')).toBeVisible()
}

export async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer').fill(text)
  await page.getByTestId('send').click()
  await expect(page.getByTestId('message')).not.toHaveCount(0)
}

export async function unlock(page: Page, pin: string): Promise<void> {
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(pin)
  await page.getByRole('button', { name: 'Unlock' }).click()
  await expect(page.getByTestId('connection')).toBeVisible()
}
