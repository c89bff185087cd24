/**
 * A stolen device's profile (RELIABILITY "Stolen device", issue 6), real relay and real Chromium:
 * the admin's device runs in a persistent profile (its own user-data-dir), sends 1,000 canary
 * strings in messages, is locked and the browser closed; then every file of that profile is read
 * and searched for the canaries (UTF-8, UTF-16, base64, test/canary-forms.ts) and for the device's
 * unwrapped keys (the local key, recovered here with the PIN the test knows, and the identity's
 * secret keys behind it): none is found. A canary planted in localStorage on purpose proves the
 * scan sees what the browser writes. The cost of one PIN guess is bench/pin-cost.bench.ts.
 */
import { chromium, expect, type Page, test } from '@playwright/test'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openAead } from '../../crypto/aead.ts'
import { fromBase64url, toBase64url, utf8 } from '../../crypto/bytes.ts'
import { unwrapLocalKey } from '../../crypto/local-key.ts'
import { decodeValue } from '../../workers/core/values.ts'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { scanBytes } from './relay-scan.ts'

const PIN = 'amber-ward-7'
const CANARIES = 1000
const PER_MESSAGE = 50 // 50 × ~18 characters stays under COLLAPSE_CHARS, so every canary is on screen

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    try {
      return statSync(p).isDirectory() ? filesUnder(p) : [p]
    } catch {
      return [] // a socket or a file gone meanwhile
    }
  })
}

async function fillPin(page: Page, pin: string) {
  await page.getByLabel('PIN or passphrase', { exact: true }).fill(pin)
  await page.getByLabel('Confirm PIN or passphrase').fill(pin)
}

/** The wrapped local key and the sealed identity record, read through IndexedDB, as base64url. */
function readSealed(page: Page) {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('wardline')
      r.onsuccess = () => res(r.result)
      r.onerror = () => rej(r.error)
    })
    const get = (store: string, key: string) => new Promise<any>((res) => {
      const r = db.transaction(store).objectStore(store).get(key)
      r.onsuccess = () => res(r.result)
    })
    const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
    const wrapped = (await get('meta', 'wrapped-key')).v
    const identity = (await get('records', 'identity')).v as Uint8Array
    db.close()
    return { kdf: { ...wrapped.kdf, salt: b64(wrapped.kdf.salt) }, sealed: b64(wrapped.sealed), identity: b64(identity) }
  })
}

test('a copied profile of a locked device holds none of 1,000 canaries and no unwrapped key', async ({ browser }) => {
  const relay = await startRelay()
  const profile = mkdtempSync(join(tmpdir(), 'wardline-profile-'))
  const stolen = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  })
  const errors: string[] = []
  try {
    const admin = stolen.pages()[0] ?? await stolen.newPage()
    admin.on('pageerror', (e) => errors.push(e.message))
    await admin.goto(`${relay.url}/#setup=${relay.setupCode}`)
    await admin.getByLabel('Your name').fill('Ann Admin')
    await admin.getByLabel('Compliance officers').fill('Cora Officer\nDev Officer')
    await admin.getByLabel('Organisation key holders').fill('Ann Admin\nBo Admin\nCy Admin')
    await fillPin(admin, PIN)
    await admin.getByRole('button', { name: 'Create organisation' }).click()
    await admin.getByRole('button', { name: 'I have handed out the shares' }).click()
    await expect(admin.getByTestId('connection')).toHaveAttribute('data-state', 'online')
    // A colleague to write to, in an ordinary browser context.
    await admin.getByTestId('add-person').click()
    await admin.getByLabel('Display name').fill('Ben Nurse')
    await admin.getByRole('button', { name: 'Create enrollment code' }).click()
    const link = (await admin.getByTestId('enrollment-link').textContent())!.trim()
    const ben = await (await browser.newContext()).newPage()
    await ben.goto(link.replace(/^https?:\/\/[^/]+/, relay.url))
    await fillPin(ben, 'blue-ward-42')
    await ben.getByRole('button', { name: 'Enroll' }).click()
    await expect(ben.getByTestId('connection')).toHaveAttribute('data-state', 'online')
    await admin.getByRole('button', { name: 'Add another person' }).click()

    await admin.getByTestId('new-conversation').click()
    await admin.getByTestId('person').filter({ hasText: 'Ben Nurse' }).click()
    await admin.getByTestId('create-conversation').click()
    const canaries = Array.from({ length: CANARIES }, (_, i) => `cnry${i.toString(36)}x${Math.random().toString(36).slice(2, 12)}`)
    for (let i = 0; i < CANARIES; i += PER_MESSAGE) {
      const text = canaries.slice(i, i + PER_MESSAGE).join(' ')
      await admin.getByTestId('composer').fill(text)
      await admin.getByTestId('send').click()
    }
    const last = canaries[CANARIES - 1]!
    await expect(admin.getByTestId('message-body').filter({ hasText: last })).toHaveCount(1)
    await ben.getByTestId('conversation').first().click()
    await expect(ben.getByTestId('message-body').filter({ hasText: last })).toHaveCount(1, { timeout: 60_000 })
    await expect(admin.getByTestId('connection')).toHaveText('online')

    // The keys the profile must not hold in the clear: the local key, then what it protects.
    const sealed = await readSealed(admin)
    const localKey = unwrapLocalKey({ kdf: { ...sealed.kdf, salt: fromBase64url(sealed.kdf.salt) }, sealed: fromBase64url(sealed.sealed) }, PIN)
    expect(localKey.ok).toBe(true)
    if (!localKey.ok) return
    const opened = openAead(localKey.value, fromBase64url(sealed.identity), utf8('wardline/local-record/v1\u0000identity'))
    expect(opened.ok).toBe(true)
    if (!opened.ok) return
    const id = decodeValue<Record<string, Uint8Array>>(opened.value)
    const secrets = [localKey.value, id.signingSecretKey!, id.agreementSecretKey!, id.rootSecretKey!]
    expect(secrets.every((k) => k instanceof Uint8Array && k.length === 32)).toBe(true)

    // The control: a canary the page writes in the clear, which the scan must find.
    const planted = `plnt${Math.random().toString(36).slice(2, 14)}`
    await admin.evaluate((p) => localStorage.setItem('wardline-scan-control', p), planted)
    await admin.getByTestId('lock').click()
    await expect(admin.getByRole('heading', { name: 'Wardline is locked' })).toBeVisible()
    await stolen.close()

    const files = filesUnder(profile)
    expect(files.length).toBeGreaterThan(10)
    expect(scanBytes({ files: [...files], texts: [] }, [planted])).toEqual([planted])
    expect(scanBytes({ files, texts: [] }, canaries)).toEqual([])
    const blobs = files.map((f) => readFileSync(f))
    const keyForms = secrets.flatMap((k) => [Buffer.from(k), Buffer.from(toBase64url(k)), Buffer.from(Buffer.from(k).toString('base64'))])
    expect(keyForms.filter((form) => blobs.some((b) => b.includes(form))).length).toBe(0)
    expect(errors).toEqual([])
  } finally {
    await stolen.close().catch(() => {})
    rmSync(profile, { recursive: true, force: true })
    await relay.stop()
  }
})
