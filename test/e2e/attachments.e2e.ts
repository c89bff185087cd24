/**
 * Issue 9 attachments end to end (real relay, built PWA, Debian Chromium with a fake camera):
 * a picked, a pasted and a dropped file take the same path (a chip, then a message) and the same
 * size limit; a geotagged JPEG made here (an APP1 Exif segment with GPS tags and a canary in its
 * description) arrives as a JPEG with no Exif, no GPS and no canary — checked on the bytes the
 * recipient's viewer decrypted; the recipient sees the thumbnail and the viewer under their own
 * watermark, and nothing to save (policy off); a photo from the in-app camera goes out the same
 * way; a file fetched once opens offline; a file sent offline waits and goes out on reconnect; the relay's data directory and logs
 * hold no plaintext of a canary file nor its name. Screenshots at 390×844 and 1280×800 go to
 * test-results/screens/files-*.png.
 */
import { expect, type Locator, type Page, test } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { scanRelay } from './relay-scan.ts'
import {
  addPerson,
  DESKTOP,
  newPage,
  setupOrganisation,
  startConversation,
} from './web5-helpers.ts'

test.use({
  launchOptions: {
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
    ],
  },
})

const SHOTS = fileURLToPath(new URL('../../test-results/screens/', import.meta.url))
const PHONE = { width: 390, height: 844 }
const LIMIT = 25 * 1024 * 1024

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
/** Serious or critical axe findings on the screens shot below (expected to stay empty). */
const a11y: string[] = []

/** Screenshots in light and dark, each scanned by axe (evaluated over CDP: the CSP stays intact). */
async function shoot(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    await page.waitForTimeout(150)
    await page.evaluate(AXE_SOURCE)
    const found = await page.evaluate(async () => {
      type Axe = { run: (c: unknown, o: unknown) => Promise<{ violations: { id: string; impact: string | null }[] }> }
      const r = await (window as unknown as { axe: Axe }).axe.run(document, { resultTypes: ['violations'] })
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} ${JSON.stringify((v as unknown as { nodes: { target: unknown }[] }).nodes.map((n) => n.target))}`)
    })
    a11y.push(...found.map((id) => `${name} ${scheme} ${page.viewportSize()?.width}: ${id}`))
    await page.screenshot({ path: `${SHOTS}files-${name}-${page.viewportSize()?.width}-${scheme}.png` })
  }
  await page.emulateMedia({ colorScheme: null })
}

/**
 * A real JPEG drawn in the page, with an APP1 Exif segment spliced in after SOI: IFD0 holds an
 * ImageDescription (the canary) and a GPSInfo pointer to a GPS IFD (N 51°30'0", W 0°7'0").
 */
async function geotaggedJpeg(page: Page, canary: string): Promise<number[]> {
  return await page.evaluate(async (canary) => {
    const canvas = document.createElement('canvas')
    canvas.width = 640
    canvas.height = 480
    const g = canvas.getContext('2d')!
    const grad = g.createLinearGradient(0, 0, 640, 480)
    grad.addColorStop(0, '#1f6f8b')
    grad.addColorStop(1, '#f2b705')
    g.fillStyle = grad
    g.fillRect(0, 0, 640, 480)
    g.fillStyle = '#fff'
    g.font = 'bold 48px sans-serif'
    g.fillText('Wound, day 3', 40, 260)
    const jpeg = new Uint8Array(
      await (await new Promise<Blob>((r) => canvas.toBlob((b) => r(b!), 'image/jpeg', 0.9)))
        .arrayBuffer(),
    )
    // TIFF, big-endian. Offsets are from the start of the TIFF header.
    const desc = new TextEncoder().encode(canary + '\0')
    const t: number[] = []
    const u16 = (n: number) => t.push((n >> 8) & 255, n & 255)
    const u32 = (n: number) => t.push((n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255)
    const ifd0 = 8
    const ifd0Size = 2 + 2 * 12 + 4
    const descAt = ifd0 + ifd0Size
    const gpsAt = descAt + desc.length + (desc.length % 2)
    const gpsSize = 2 + 4 * 12 + 4
    const latAt = gpsAt + gpsSize
    const lonAt = latAt + 24
    t.push(0x4d, 0x4d, 0, 42)
    u32(ifd0)
    u16(2)
    u16(0x010e)
    u16(2)
    u32(desc.length)
    u32(descAt) // ImageDescription
    u16(0x8825)
    u16(4)
    u32(1)
    u32(gpsAt) // GPSInfo
    u32(0)
    t.push(...desc)
    if (desc.length % 2) t.push(0)
    u16(4)
    u16(1)
    u16(2)
    u32(2)
    t.push(0x4e, 0, 0, 0) // GPSLatitudeRef 'N'
    u16(2)
    u16(5)
    u32(3)
    u32(latAt) // GPSLatitude
    u16(3)
    u16(2)
    u32(2)
    t.push(0x57, 0, 0, 0) // GPSLongitudeRef 'W'
    u16(4)
    u16(5)
    u32(3)
    u32(lonAt) // GPSLongitude
    u32(0)
    for (const [n, d] of [[51, 1], [30, 1], [0, 1], [0, 1], [7, 1], [0, 1]]) (u32(n!), u32(d!))
    const payload = [...new TextEncoder().encode('Exif\0\0'), ...t]
    const len = payload.length + 2
    return [0xff, 0xd8, 0xff, 0xe1, len >> 8, len & 255, ...payload, ...jpeg.subarray(2)]
  }, canary)
}

/** Puts files on the page's clipboard event or drop, as a person pasting or dragging would. */
async function pasteOrDrop(
  target: Locator,
  how: 'paste' | 'drop',
  files: { name: string; type: string; size?: number; text?: string }[],
) {
  await target.evaluate((el, { how, files }) => {
    const dt = new DataTransfer()
    for (const f of files) {
      dt.items.add(new File([f.text ?? new Uint8Array(f.size ?? 0)], f.name, { type: f.type }))
    }
    const e = how === 'paste'
      ? new ClipboardEvent('paste', {
        clipboardData: dt,
        bubbles: true,
        cancelable: true,
        composed: true,
      })
      : new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true, composed: true })
    el.dispatchEvent(e)
  }, { how, files })
}

const hasBytes = (hay: number[], needle: number[]) =>
  hay.some((_, i) => needle.every((b, j) => hay[i + j] === b))

test('files by picker, paste, drop and camera; EXIF/GPS stripped; watermarked viewer; offline queue; a blind relay', async ({ browser }) => {
  const relay = await startRelay()
  const errors: string[] = []
  // Ann's page may fetch its own blob: URLs (the app's CSP allows connections to 'self' only), so
  // the test can read the exact bytes her viewer decrypted and check that the URL is revoked.
  const admin = await (await browser.newContext({ viewport: DESKTOP, bypassCSP: true })).newPage()
  admin.on('pageerror', (e) => errors.push(e.message))
  const ben = await newPage(browser, PHONE, errors)
  const suffix = Math.random().toString(36).slice(2, 8)
  const GPS_CANARY = `GPS-CANARY-${suffix}`
  const FILE_CANARY = `CANARY-FILE-CONTENT-${suffix}`
  const FILE_NAME = `canary-${suffix}-handover.txt`
  try {
    await setupOrganisation(admin, relay, 'Ann Admin', 'amber-ward-7')
    await addPerson(admin, ben, relay.url, 'Ben Nurse', 'blue-ward-42')
    await startConversation(admin, ['Ben Nurse'])
    await ben.getByTestId('conversation').first().click()
    await expect(ben.getByTestId('composer')).toBeVisible()

    // One path: picked, pasted and dropped files each become a chip with their source…
    await ben.getByTestId('file-input').setInputFiles({
      name: 'picked.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('picked'),
    })
    await pasteOrDrop(ben.getByTestId('composer'), 'paste', [{
      name: 'pasted.txt',
      type: 'text/plain',
      text: 'pasted',
    }])
    await pasteOrDrop(ben.locator('wl-composer form'), 'drop', [{
      name: 'dropped.txt',
      type: 'text/plain',
      text: 'dropped',
    }])
    const chips = ben.getByTestId('pending-file')
    await expect(chips).toHaveCount(3)
    expect(await chips.evaluateAll((els) => els.map((e) => e.getAttribute('data-source')))).toEqual(
      ['pick', 'paste', 'drop'],
    )
    // …and one limit: a file over 25 MiB is refused with the same words whichever way it came.
    const refusals: string[] = []
    const over = { name: 'scan.pdf', type: 'application/pdf', size: LIMIT + 1 }
    await ben.getByTestId('file-input').setInputFiles({
      name: over.name,
      mimeType: over.type,
      buffer: Buffer.alloc(over.size),
    })
    refusals.push((await ben.locator('wl-composer .error').textContent())!)
    await pasteOrDrop(ben.getByTestId('composer'), 'paste', [over])
    refusals.push((await ben.locator('wl-composer .error').textContent())!)
    await pasteOrDrop(ben.locator('wl-composer form'), 'drop', [over])
    refusals.push((await ben.locator('wl-composer .error').textContent())!)
    expect(new Set(refusals).size).toBe(1)
    expect(refusals[0]).toContain('is over the 25.0 MB limit for files')
    await expect(chips).toHaveCount(3)
    await shoot(ben, 'composer-files')
    await ben.getByTestId('send').click()
    await expect(chips).toHaveCount(0)
    for (const name of ['picked.txt', 'pasted.txt', 'dropped.txt']) {
      await expect(admin.getByTestId('attachment').filter({ hasText: name })).toBeVisible()
    }

    // A geotagged JPEG: the sender's worker re-encodes it; the recipient gets no Exif, GPS or canary.
    const jpeg = await geotaggedJpeg(ben, GPS_CANARY)
    expect(hasBytes(jpeg, [0xff, 0xe1])).toBe(true)
    expect(hasBytes(jpeg, [...Buffer.from(GPS_CANARY)])).toBe(true)
    await ben.getByTestId('file-input').setInputFiles({
      name: 'wound.jpg',
      mimeType: 'image/jpeg',
      buffer: Buffer.from(jpeg),
    })
    await ben.getByTestId('composer').fill('wound, day 3')
    await ben.getByTestId('send').click()

    // A PDF from Ann, and a canary document for the relay scan.
    await admin.getByTestId('file-input').setInputFiles({
      name: 'discharge-letter.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4\n% a letter\n%%EOF\n'),
    })
    await admin.getByTestId('composer').fill('discharge letter for the ward')
    await shoot(admin, 'composer-files')
    await admin.getByTestId('send').click()
    await admin.getByTestId('file-input').setInputFiles({
      name: FILE_NAME,
      mimeType: 'text/plain',
      buffer: Buffer.from(`${FILE_CANARY}\n`.repeat(50)),
    })
    await admin.getByTestId('send').click()

    const image = admin.getByTestId('message').filter({ hasText: 'wound, day 3' })
    await expect(image.getByTestId('attachment-thumb')).toBeVisible()
    await expect(image.getByTestId('image-watermark')).toHaveAttribute(
      'data-mark',
      /^Ann Admin · \S/,
    )
    await expect(ben.getByTestId('attachment').filter({ hasText: 'discharge-letter.pdf' }))
      .toBeVisible()
    await expect(ben.getByTestId('attachment').filter({ hasText: FILE_NAME })).toBeVisible()
    await expect(
      ben.getByTestId('message').filter({ hasText: 'wound, day 3' }).getByTestId('message-status'),
    ).not.toHaveText('queued')
    await expect(
      ben.getByTestId('message').filter({ hasText: 'wound, day 3' }).getByTestId(
        'attachment-thumb',
      ),
    ).toBeVisible()
    await admin.getByTestId('message-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight))
    await ben.getByTestId('message-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight))
    await shoot(admin, 'conversation')
    await shoot(ben, 'conversation')

    // The viewer: the decrypted image under Ann's watermark, nothing to save; the bytes are clean.
    await image.getByTestId('attachment').click()
    const viewed = admin.getByTestId('viewer-image')
    await expect(viewed).toBeVisible()
    await expect(admin.getByTestId('viewer-watermark')).toHaveAttribute(
      'data-mark',
      /^Ann Admin · \S/,
    )
    await expect(admin.getByTestId('viewer-save')).toHaveCount(0)
    await expect(admin.getByTestId('viewer-no-export')).toBeVisible()
    const src = (await viewed.getAttribute('src'))!
    expect(src).toMatch(/^blob:/)
    const received: number[] = await admin.evaluate(
      async (u) => [...new Uint8Array(await (await fetch(u)).arrayBuffer())],
      src,
    )
    expect(received.slice(0, 2)).toEqual([0xff, 0xd8])
    expect(hasBytes(received, [0xff, 0xe1])).toBe(false) // no APP1 (Exif/XMP)
    expect(hasBytes(received, [...Buffer.from('Exif')])).toBe(false)
    expect(hasBytes(received, [...Buffer.from(GPS_CANARY)])).toBe(false)
    expect(hasBytes(received, [0x88, 0x25])).toBe(false) // no GPSInfo tag anywhere
    await shoot(admin, 'viewer')
    await admin.getByTestId('viewer-close').click()
    // The service worker cached nothing decrypted: only the app shell is in Cache Storage.
    const cached = await admin.evaluate(async () => {
      const out: { url: string; type: string }[] = []
      for (const name of await caches.keys()) {
        const cache = await caches.open(name)
        for (const req of await cache.keys()) {
          out.push({ url: req.url, type: (await cache.match(req))?.headers.get('content-type') ?? '' })
        }
      }
      return out
    })
    expect(cached.length).toBeGreaterThan(0)
    // (the precache holds the app's JS, CSS, HTML, manifest and PNG icons; nothing else may appear)
    expect(cached.filter((c) =>
      c.url.startsWith('blob:') || !/\.(js|css|html|png|webmanifest)(\?|$)/.test(new URL(c.url).pathname + '?') ||
      /jpeg|video|pdf|octet-stream|text\/plain/.test(c.type)
    )).toEqual([])
    // Nothing decrypted is kept anywhere the origin stores: IndexedDB holds the canary document
    // and the photo only sealed, and OPFS holds nothing at all.
    const stored = await admin.evaluate(async () => {
      const texts: string[] = []
      const add = (v: unknown): void => {
        if (v instanceof Uint8Array || v instanceof ArrayBuffer) texts.push(new TextDecoder('latin1').decode(v))
        else if (typeof v === 'string') texts.push(v)
        else if (v && typeof v === 'object') for (const x of Object.values(v)) add(x)
      }
      for (const info of await indexedDB.databases()) {
        const db = await new Promise<IDBDatabase>((ok, no) => {
          const r = indexedDB.open(info.name!)
          r.onsuccess = () => ok(r.result)
          r.onerror = () => no(r.error)
        })
        for (const name of [...db.objectStoreNames]) {
          const all = await new Promise<unknown[]>((ok) => {
            const r = db.transaction(name).objectStore(name).getAll()
            r.onsuccess = () => ok(r.result)
          })
          all.forEach(add)
        }
        db.close()
      }
      const opfs: string[] = []
      const root = await navigator.storage.getDirectory()
      for await (const key of (root as unknown as { keys(): AsyncIterable<string> }).keys()) opfs.push(key)
      return { text: texts.join('\n'), bytes: texts.reduce((n, t) => n + t.length, 0), opfs }
    })
    expect(stored.bytes).toBeGreaterThan(10_000) // the sealed files are there
    expect(stored.text.includes(FILE_CANARY)).toBe(false)
    expect(stored.text.includes(FILE_NAME)).toBe(false)
    expect(stored.opfs).toEqual([])
    // Closing revoked the object URL: the plaintext is no longer reachable by it.
    expect(await admin.evaluate(async (u) => fetch(u).then(() => 'open', () => 'revoked'), src))
      .toBe('revoked')

    await ben.getByTestId('message').filter({ hasText: 'wound, day 3' }).getByTestId('attachment')
      .click()
    await expect(ben.getByTestId('viewer-image')).toBeVisible()
    await expect(ben.getByTestId('viewer-watermark')).toHaveAttribute('data-mark', /^Ben Nurse · /)
    await shoot(ben, 'viewer')
    await ben.getByTestId('viewer-close').click()
    await ben.getByTestId('attachment').filter({ hasText: 'discharge-letter.pdf' }).click()
    await expect(ben.getByTestId('viewer-card')).toContainText('PDF')
    await shoot(ben, 'viewer-pdf')
    await ben.getByTestId('viewer-close').click()

    // The in-app camera: a frame from the (fake) camera goes straight into the same pipeline.
    await ben.getByTestId('camera').click()
    await expect(ben.getByTestId('camera-shutter')).toBeEnabled()
    await ben.getByTestId('camera-shutter').click()
    await expect(ben.getByTestId('pending-file').filter({ hasText: 'photo-' })).toHaveAttribute(
      'data-source',
      'camera',
    )
    await ben.getByTestId('send').click()
    await expect(admin.getByTestId('message').last().getByTestId('attachment-thumb')).toBeVisible()

    // Offline: the file waits with its message and goes out on reconnect.
    await ben.context().setOffline(true)
    await expect(ben.getByTestId('connection')).not.toHaveAttribute('data-state', 'online')
    await ben.getByTestId('file-input').setInputFiles({
      name: 'offline-obs.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('obs while offline'),
    })
    await ben.getByTestId('send').click()
    const waiting = ben.getByTestId('message').filter({ hasText: 'offline-obs.txt' })
    await expect(waiting.getByTestId('attachment-uploading')).toBeVisible()
    await expect(waiting.getByTestId('message-status')).toHaveText('queued')
    // A file Ann fetched before opens offline, from her encrypted local store.
    await admin.context().setOffline(true)
    await expect(admin.getByTestId('connection')).not.toHaveAttribute('data-state', 'online')
    await image.getByTestId('attachment').click()
    await expect(admin.getByTestId('viewer-image')).toBeVisible()
    await admin.getByTestId('viewer-close').click()
    await admin.context().setOffline(false)
    await ben.context().setOffline(false)
    await expect(admin.getByTestId('attachment').filter({ hasText: 'offline-obs.txt' }))
      .toBeVisible({ timeout: 60_000 })
    await expect(waiting.getByTestId('attachment-uploading')).toHaveCount(0)
    expect(errors).toEqual([])
    expect(a11y).toEqual([])
  } finally {
    await admin.context().close()
    await ben.context().close()
    await relay.stop()
  }
  // Zero knowledge: the relay stored the canary file only as ciphertext, and never its name.
  expect(
    scanRelay(relay.dataDir, relay.logs(), [
      FILE_CANARY,
      FILE_NAME,
      GPS_CANARY,
      'wound, day 3',
      'discharge-letter',
    ]),
  ).toEqual([])
})
