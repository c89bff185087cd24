/**
 * The PWA shell (issue 5) against the real relay serving dist/: the manifest is served and
 * installable (fields, maskable icon, icons that resolve), index.html carries the iOS metadata,
 * the CSP stays strict; an offered install prompt shows "Install Wardline"; a device cold-starts
 * offline on `/` and on deep links and reaches the PIN prompt; and /api, /ws and /scim are never
 * served from or stored in the service worker's caches.
 */
import { expect, type Page, test } from '@playwright/test'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'

const PIN = 'amber-ward-7'
const FORBIDDEN = /\/(api|ws|scim)(\/|\?|$)/

/** PNG width and height from the IHDR chunk. */
const pngSize = (b: Buffer) => `${b.readUInt32BE(16)}x${b.readUInt32BE(20)}`

test('the manifest is served, installable and complete; index.html has the iOS metadata; the CSP stays strict', async ({ request }) => {
  const relay = await startRelay()
  try {
    const res = await request.get(`${relay.url}/manifest.webmanifest`)
    expect(res.status()).toBe(200)
    expect(res.headers()['content-type']).toContain('application/manifest+json')
    const m = await res.json()
    expect(m).toMatchObject({
      name: 'Wardline',
      short_name: 'Wardline',
      id: '/',
      start_url: '/',
      scope: '/',
      display: 'standalone',
      theme_color: '#0b5c73',
      background_color: expect.any(String),
    })
    const purposes = m.icons.map((i: { purpose?: string }) => i.purpose ?? 'any')
    expect(purposes).toContain('maskable')
    expect(m.icons.some((i: { sizes: string; purpose?: string }) => i.sizes === '192x192' && (i.purpose ?? 'any') === 'any')).toBe(true)
    expect(m.icons.some((i: { sizes: string; purpose?: string }) => i.sizes === '512x512' && (i.purpose ?? 'any') === 'any')).toBe(true)
    for (const icon of m.icons as { src: string; sizes: string; type: string }[]) {
      const r = await request.get(new URL(icon.src, `${relay.url}/manifest.webmanifest`).href)
      expect(r.status(), icon.src).toBe(200)
      expect(r.headers()['content-type']).toBe(icon.type)
      expect(pngSize(await r.body()), icon.src).toBe(icon.sizes)
    }
    const index = await request.get(`${relay.url}/`)
    const html = await index.text()
    for (const tag of [
      '<link rel="manifest" href="/manifest.webmanifest">',
      '<meta name="apple-mobile-web-app-capable" content="yes" />',
      '<meta name="apple-mobile-web-app-title" content="Wardline" />',
      '<meta name="apple-mobile-web-app-status-bar-style" content="default" />',
      '<meta name="theme-color" content="#0b5c73" />',
      '<link rel="apple-touch-icon" href="/icons/apple-touch-icon.png" />',
    ]) expect(html).toContain(tag)
    expect((await request.get(`${relay.url}/icons/apple-touch-icon.png`)).status()).toBe(200)
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/) // no inline script
    const csp = index.headers()['content-security-policy']!
    expect(csp).toContain("script-src 'self';")
    expect(csp).toContain("object-src 'none'")
    expect(csp).not.toMatch(/unsafe-(inline|eval)/)
    // The signed release is published beside the app.
    expect((await request.get(`${relay.url}/release.json`)).status()).toBe(200)
    expect((await request.get(`${relay.url}/release.sig`)).status()).toBe(200)
  } finally {
    await relay.stop()
  }
})

async function expectPinPrompt(page: Page) {
  await expect(page.getByLabel('PIN or passphrase', { exact: true })).toBeVisible()
  await expect(page.getByRole('button', { name: 'Unlock' })).toBeVisible()
}

/** Every request URL in every Cache Storage cache of the origin. */
const cachedUrls = (page: Page) =>
  page.evaluate(async () => {
    const urls: string[] = []
    for (const name of await caches.keys()) {
      for (const req of await (await caches.open(name)).keys()) urls.push(req.url)
    }
    return urls
  })

const fetchOutcome = (page: Page, path: string) =>
  page.evaluate((p) => fetch(p).then((r) => `served ${r.status}`, () => 'failed'), path)

test('offline cold start on / and on deep links reaches the PIN prompt; /api, /ws and /scim never touch the caches', async ({ browser }) => {
  const relay = await startRelay()
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } })
  const errors: string[] = []
  let page = await context.newPage()
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${relay.url}/#setup=${relay.setupCode}`)
  await page.getByLabel('Your name').fill('Ann Admin')
  await page.getByLabel('Compliance officers').fill('Cora Officer')
  await page.getByLabel('Organisation key holders').fill('Ann Admin\nBo Admin\nCy Admin')
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(PIN)
  await page.getByLabel('Confirm PIN or passphrase').fill(PIN)
  await page.getByRole('button', { name: 'Create organisation' }).click()
  await page.getByRole('button', { name: 'I have handed out the shares' }).click()
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'online')

  // The browser offers installation: "Install Wardline" appears in the header and prompts once.
  await expect(page.getByTestId('install')).toHaveCount(0)
  await page.evaluate(() => {
    const e = new Event('beforeinstallprompt', { cancelable: true })
    Object.assign(e, {
      prompt: async () => void ((window as unknown as { prompted: number }).prompted = 1),
      userChoice: Promise.resolve({ outcome: 'accepted' }),
    })
    window.dispatchEvent(e)
  })
  await expect(page.getByTestId('install')).toBeVisible()
  await page.screenshot({ path: 'test-results/install-button-phone.png' })
  await page.getByTestId('install').click()
  await expect.poll(() => page.evaluate(() => (window as unknown as { prompted?: number }).prompted)).toBe(1)
  await expect(page.getByTestId('install')).toHaveCount(0)

  // Use the network paths the service worker must leave alone, online.
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
  expect(await fetchOutcome(page, '/api/org')).toBe('served 200')
  await fetchOutcome(page, '/scim/v2/Users')
  await fetchOutcome(page, '/ws')
  const online = await cachedUrls(page)
  expect(online.some((u) => u.includes('index.html'))).toBe(true) // the scan reads the precache
  expect(online.filter((u) => FORBIDDEN.test(new URL(u).pathname))).toEqual([])

  // Cold start offline: a new page on /, then on deep links, opens from the service worker.
  await page.close()
  await context.setOffline(true)
  // (One page at a time: a second open tab would show "open in another tab" instead.)
  for (const path of ['/conversations/x?from=link', '/#/conversations/x', '/']) {
    page = await context.newPage()
    page.on('pageerror', (e) => errors.push(e.message))
    const res = await page.goto(`${relay.url}${path}`)
    expect(res?.fromServiceWorker(), path).toBe(true)
    await expectPinPrompt(page)
    if (path !== '/') await page.close()
  }
  // Offline, API and SCIM requests fail instead of being answered from a cache...
  expect(await fetchOutcome(page, '/api/org')).toBe('failed')
  expect(await fetchOutcome(page, '/scim/v2/Users')).toBe('failed')
  // ...and navigations to them are not given the app shell.
  const nav = await context.newPage()
  for (const path of ['/api/org', '/scim/v2/Users', '/ws']) {
    await expect(nav.goto(`${relay.url}${path}`), path).rejects.toThrow(/ERR_INTERNET_DISCONNECTED|ERR_FAILED/)
  }
  // The PIN still unlocks offline.
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(PIN)
  await page.getByRole('button', { name: 'Unlock' }).click()
  await expect(page.getByTestId('connection')).not.toHaveAttribute('data-state', 'online')
  expect((await cachedUrls(page)).filter((u) => FORBIDDEN.test(new URL(u).pathname))).toEqual([])
  expect(errors).toEqual([])
  await context.close()
  await relay.stop()
})
