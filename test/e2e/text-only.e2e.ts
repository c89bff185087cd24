/**
 * Text only, never HTML: message bodies and display names carrying HTML, script, `javascript:`
 * links, SVG handlers, a right-to-left override (U+202E) and a very long unbroken string are
 * shown as the exact text typed, execute nothing (each payload would set `window.__xss`), add no
 * element to the page, and names and bodies are isolated for bidirectional text.
 */
import { expect, type Page, test } from '@playwright/test'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { addPerson, DESKTOP, newPage, PHONE, send, setupOrganisation, startConversation } from './web5-helpers.ts'

const EVIL_NAME = '<img src=x onerror="window.__xss=1">\u202EBen<script>window.__xss=2</script>'
const LONG = 'A'.repeat(3000)
const PAYLOADS = [
  '<img src=x onerror="window.__xss=3">',
  '<script>window.__xss=4</script>',
  '<a href="javascript:window.__xss=5">tap me</a>',
  '<svg onload="window.__xss=6"><circle r=5 /></svg>',
  '<iframe srcdoc="<script>parent.__xss=7</script>"></iframe>',
  '"><img src=x onerror=window.__xss=8>',
  '${window.__xss=9}{{constructor.constructor("window.__xss=10")()}}',
  'patient \u202Etxt.exe\u202C note \u2067RTL isolate\u2069 end',
  LONG,
]

/** Elements under every open shadow root of the page (and the light DOM). */
async function elementsIn(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const found: string[] = []
    const walk = (root: Document | ShadowRoot): void => {
      root.querySelectorAll(sel).forEach((e) => found.push(e.outerHTML.slice(0, 80)))
      root.querySelectorAll('*').forEach((e) => e.shadowRoot && walk(e.shadowRoot))
    }
    walk(document)
    return found
  }, selector)
}

/** Text nodes holding `needle` whose nearest element is not isolated (<bdi> or dir=auto up the tree). */
async function unisolated(page: Page, needle: string): Promise<string[]> {
  return page.evaluate((n) => {
    const bad: string[] = []
    const walk = (root: Document | ShadowRoot): void => {
      const it = document.createTreeWalker(root, NodeFilter.SHOW_TEXT)
      for (let t = it.nextNode(); t; t = it.nextNode()) {
        if (!t.textContent?.includes(n)) continue
        let el: Element | null = t.parentElement
        let ok = false
        while (el) {
          if (el.localName === 'bdi' || el.getAttribute('dir') === 'auto' || el.localName === 'textarea' || el.localName === 'input') {
            ok = true
            break
          }
          el = el.parentElement
        }
        if (!ok) bad.push(`${t.parentElement?.localName}: ${t.textContent.slice(0, 40)}`)
      }
      root.querySelectorAll('*').forEach((e) => e.shadowRoot && walk(e.shadowRoot))
    }
    walk(document)
    return bad
  }, needle)
}

test('HTML and script in messages and names render as text and execute nothing', async ({ browser }) => {
  const relay = await startRelay()
  const errors: string[] = []
  const admin = await newPage(browser, DESKTOP, errors)
  const ben = await newPage(browser, PHONE, errors)
  await setupOrganisation(admin, relay, 'Ann Admin', 'amber-ward-7')
  await addPerson(admin, ben, relay.url, EVIL_NAME, 'blue-ward-42')

  await startConversation(admin, ['Ben'])
  // The conversation's title is the other person's name: shown as typed, in the header too.
  await expect(admin.getByRole('heading', { level: 2, name: EVIL_NAME })).toBeVisible()
  for (const p of PAYLOADS.slice(0, 4)) await send(admin, p)
  await ben.getByTestId('conversation').first().click()
  for (const p of PAYLOADS.slice(4)) await send(ben, p)

  for (const page of [admin, ben]) {
    await expect(page.getByTestId('message-body')).toHaveCount(PAYLOADS.length)
    // Each body is exactly the text typed (the long one may be collapsed: checked in full below).
    const shown = await page.getByTestId('message-body').allTextContents()
    for (const [i, p] of PAYLOADS.entries()) {
      if (p === LONG) expect(shown[i]!.startsWith('A'.repeat(250))).toBe(true)
      else expect(shown[i]).toBe(p)
    }
    expect(await elementsIn(page, 'wl-conversation img, wl-conversation script, wl-conversation svg, wl-conversation iframe, wl-conversation a')).toEqual([])
    const messageElements = await page.evaluate(() => {
      const out: string[] = []
      const walk = (root: Document | ShadowRoot): void => {
        root.querySelectorAll('[data-testid="message-body"] *').forEach((e) => {
          if (!['span', 'bdi', 'button'].includes(e.localName)) out.push(e.localName)
        })
        root.querySelectorAll('*').forEach((e) => e.shadowRoot && walk(e.shadowRoot))
      }
      walk(document)
      return out
    })
    expect(messageElements).toEqual([])
    // No script, iframe, svg or image anywhere but the app's own logo and line icons.
    const imgs = await elementsIn(page, 'img, script:not([src]), iframe, svg')
    expect(imgs.filter((h) => !h.includes('/icons/') && !h.startsWith('<svg data-app-icon'))).toEqual([])
    // Bidirectional text: every name and body carrying U+202E sits in an isolated element.
    expect(await unisolated(page, '\u202E')).toEqual([])
    // The long unbroken string wraps instead of widening the page.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    expect(overflow).toBeLessThanOrEqual(0)
  }
  // The name shows as text in the conversation list and the members panel.
  await admin.getByTestId('members-toggle').click()
  await expect(admin.getByTestId('members-list')).toContainText(EVIL_NAME)
  expect(await unisolated(admin, '\u202E')).toEqual([])
  await admin.getByTestId('members-toggle').click()
  await expect(admin.getByTestId('conversation').first()).toContainText(EVIL_NAME)

  // The collapsed long message opens in full with "Show more" and still renders as text.
  await admin.getByRole('button', { name: 'Show more' }).click()
  await expect(admin.getByTestId('message-body').last()).toHaveText(LONG)

  for (const page of [admin, ben]) {
    // A javascript: link would need a click; nothing is a link, but tap the text anyway.
    await page.getByTestId('message-body').filter({ hasText: 'tap me' }).click()
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined()
  }
  expect(errors).toEqual([])
  await relay.stop()
})
