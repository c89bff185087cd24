/**
 * The local vault end to end (DESIGN §1 rule 6, §3 "At rest"), real relay and real Chromium: the
 * admin signs a device policy (5 PIN attempts, 1-minute idle lock) that a newly enrolled nurse's
 * device verifies and applies; the nurse turns on "unlock with screen lock" (WebAuthn PRF through
 * Chromium's CDP virtual authenticator); idle auto-lock removes decrypted content from the page;
 * wrong PINs are slowed and, at the limit, the device erases its data and asks for enrollment.
 */
import { type BrowserContext, expect, type Page, test } from '@playwright/test'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'

const PIN_A = 'amber-ward-7'
const PIN_B = 'blue-ward-42'

async function fillPin(page: Page, pin: string) {
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(pin)
  await page.getByLabel('Confirm PIN or passphrase').fill(pin)
}

/** Setup is being extended with compliance officers; fill that part only when it is there. */
async function createOrganisation(page: Page, url: string, setupCode: string) {
  await page.goto(`${url}/#setup=${setupCode}`)
  await page.getByLabel('Your name').fill('Ann Admin')
  const officers = page.getByLabel('Compliance officers')
  if (await officers.count()) await officers.fill('Olu Officer\nPia Officer')
  const holders = page.getByLabel('Organisation key holders')
  if (await holders.count()) await holders.fill('Ann Admin\nBo Admin\nCy Admin')
  await fillPin(page, PIN_A)
  await page.getByRole('button', { name: 'Create organisation' }).click()
  const handedOut = page.getByRole('button', { name: 'I have handed out the shares' })
  await expect(page.getByTestId('connection').or(handedOut)).toBeVisible()
  if (await handedOut.isVisible()) await handedOut.click()
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'online')
}

/** Calls the page's worker through <wl-app>'s client (what an admin screen would do). */
function callWorker(page: Page, method: string, params: unknown) {
  return page.evaluate(([m, p]) => (document.querySelector('wl-app') as any).client.call(m, p), [method, params] as const)
}

async function wrongPin(page: Page, pin: string): Promise<number> {
  const t0 = Date.now()
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(pin)
  await page.getByRole('button', { name: 'Unlock', exact: true }).click()
  await expect(page.getByRole('button', { name: 'Unlock', exact: true })).toBeEnabled({ timeout: 60_000 })
  return Date.now() - t0
}

test('policy, screen-lock unlock, idle auto-lock and the wrong-PIN wipe', async ({ browser }) => {
  const relay = await startRelay()
  const a: BrowserContext = await browser.newContext()
  const b: BrowserContext = await browser.newContext()
  const pageA = await a.newPage()
  const pageB = await b.newPage()
  const errors: string[] = []
  for (const p of [pageA, pageB]) p.on('pageerror', (e) => errors.push(e.message))
  try {
    await createOrganisation(pageA, relay.url, relay.setupCode)
    // The admin device signs the policy with the root key and uploads it.
    await callWorker(pageA, 'setPolicy', { maxPinAttempts: 5, idleLockMinutes: 1, pin: PIN_A })
    const policy = await (await fetch(`${relay.url}/api/policy`)).json()
    expect(typeof policy.policy).toBe('string')

    await pageA.getByTestId('add-person').click()
    await pageA.getByLabel('Display name').fill('Ben Nurse')
    await pageA.getByRole('button', { name: 'Create enrollment code' }).click()
    const link = (await pageA.getByTestId('enrollment-link').textContent())!.trim()

    // The nurse's device: a platform authenticator with PRF, and a clock the test controls.
    const cdp = await b.newCDPSession(pageB)
    await cdp.send('WebAuthn.enable')
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, hasPrf: true },
    })
    await pageB.clock.install()
    await pageB.goto(link.replace(/^https?:\/\/[^/]+/, relay.url))
    // The organisation's policy applies to enrollment as well: 5 attempts, 1-minute idle lock.
    await fillPin(pageB, PIN_B)
    await pageB.getByRole('button', { name: 'Enroll' }).click()
    await expect(pageB.getByTestId('connection')).toHaveAttribute('data-state', 'online')
    const status = await callWorker(pageB, 'status', {})
    expect([status.idleLockMinutes, status.pinAttemptsLeft]).toEqual([1, 5])

    // Unlock with this device's screen lock (WebAuthn PRF on the Organisation & this device screen).
    await pageB.getByTestId('organisation').click()
    await pageB.getByTestId('enable-prf').click()
    await expect(pageB.getByTestId('prf-enabled')).toBeVisible()

    // Some decrypted content on screen.
    await pageA.getByTestId('new-conversation').click()
    await pageA.getByTestId('person').filter({ hasText: 'Ben Nurse' }).click()
    await pageA.getByTestId('create-conversation').click()
    const secret = `handover bed 4 ${Math.random().toString(36).slice(2)}`
    await pageA.getByTestId('composer').fill(secret)
    await pageA.getByTestId('send').click()
    await pageB.getByTestId('conversation').first().click()
    await expect(pageB.getByTestId('message-body').filter({ hasText: secret })).toHaveCount(1)

    // Idle auto-lock after the policy's minute: the worker is replaced, the text leaves the DOM.
    await pageB.clock.fastForward('01:05')
    await expect(pageB.getByRole('heading', { name: 'Wardline is locked' })).toBeVisible()
    expect(await pageB.content()).not.toContain(secret)
    await expect(pageB.getByTestId('message-body')).toHaveCount(0)

    // The screen lock opens the vault; the PIN is the fallback.
    await pageB.getByTestId('unlock-prf').click()
    await expect(pageB.getByTestId('connection')).toBeVisible()
    await pageB.getByTestId('lock').click()
    await expect(pageB.getByRole('heading', { name: 'Wardline is locked' })).toBeVisible()

    // Wrong PINs: the first three are answered at once, then each waits longer; attempts left show.
    for (let i = 0; i < 3; i++) expect(await wrongPin(pageB, `wrong-${i}-pin`)).toBeLessThan(2_000 + 3_000)
    await expect(pageB.getByTestId('attempts-left')).toHaveText(/2 attempts left/)
    const waited = wrongPin(pageB, 'wrong-3-pin')
    // The wait is said, and counted down on the button, rather than a silent "Unlocking…".
    await expect(pageB.getByTestId('pin-wait')).toContainText(/wait \d+ s before the next try/)
    await expect(pageB.getByRole('button', { name: /Try again in \d+ s/ })).toBeDisabled()
    expect(await waited).toBeGreaterThanOrEqual(2_000)
    await expect(pageB.getByTestId('attempts-left')).toContainText('Last attempt')
    // The right PIN would still work here; the fifth wrong one erases the device's data.
    await pageB.getByLabel('PIN or passphrase', { exact: true }).fill('wrong-4-pin')
    await pageB.getByRole('button', { name: 'Unlock', exact: true }).click()
    await expect(pageB.getByTestId('wiped-notice')).toHaveText(
      'Too many wrong PINs: Wardline erased its data on this device. Ask your administrator for a new enrollment code.',
    )
    await expect(pageB.getByRole('button', { name: 'Enroll' })).toBeVisible()
    // The database was deleted; the worker may have reopened it empty to answer "status".
    const left = await pageB.evaluate(async () => {
      if (!(await indexedDB.databases()).some((d) => d.name === 'wardline')) return 0
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open('wardline')
        r.onsuccess = () => res(r.result)
        r.onerror = () => rej(r.error)
      })
      let n = 0
      for (const name of Array.from(db.objectStoreNames)) {
        n += await new Promise<number>((res) => {
          const r = db.transaction(name).objectStore(name).count()
          r.onsuccess = () => res(r.result)
        })
      }
      db.close()
      return n
    })
    expect(left).toBe(0)
    expect(await pageB.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(1)
    expect(errors).toEqual([])
  } finally {
    await a.close()
    await b.close()
    await relay.stop()
  }
})
