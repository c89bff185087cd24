/**
 * A 10,000-message conversation opens at its newest messages and scrolls to its first one with
 * never more than a window of messages in the page, the message under the reader's eye staying
 * put as earlier ones load. Runs against a bench build (`vite build --mode bench --outDir
 * dist-bench`), whose worker can seed messages; the production build must not contain that hook.
 */
import { expect, type Page, test } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { addPerson, DESKTOP, newPage, PHONE, send, setupOrganisation, startConversation } from './web5-helpers.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const COUNT = 10_000
const WINDOW = 150

/** Calls a bench hook in the page's Wardline worker. */
export async function benchCall<T>(page: Page, name: string, ...args: unknown[]): Promise<T> {
  const worker = page.workers().filter((w) => w.url().includes('wardline.worker')).at(-1)
  if (!worker) throw new Error('no Wardline worker')
  return worker.evaluate(([n, a]) => {
    const hooks = (self as unknown as { __wardlineBench: Record<string, (...x: unknown[]) => unknown> }).__wardlineBench
    return hooks[n as string]!(...(a as unknown[]))
  }, [name, args] as const) as Promise<T>
}

export function buildBench(): string {
  const out = join(ROOT, 'dist-bench')
  execFileSync(join(ROOT, 'node_modules/.bin/vite'), ['build', '--mode', 'bench', '--outDir', out, '--logLevel', 'error'], { cwd: ROOT, stdio: 'inherit' })
  return out
}

const rendered = (page: Page) => page.getByTestId('message').count()
const scroller = (page: Page) => page.getByTestId('message-scroll')

test('production build has no bench hook', () => {
  const dir = join(ROOT, 'dist/assets')
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
    expect(readFileSync(join(dir, f), 'utf8')).not.toContain('__wardlineBench')
  }
})

test('a 10,000-message conversation opens at the end and scrolls to the start, windowed', async ({ browser }) => {
  const relay = await startRelay({ staticDir: buildBench() })
  const errors: string[] = []
  const admin = await newPage(browser, DESKTOP, errors)
  const ben = await newPage(browser, PHONE, errors)
  await setupOrganisation(admin, relay, 'Ann Admin', 'amber-ward-7')
  await addPerson(admin, ben, relay.url, 'Ben Nurse', 'blue-ward-42')
  await startConversation(admin, ['Ben Nurse'])
  await send(admin, 'the newest message')
  const id = (await admin.getByTestId('conversation').first().getAttribute('data-conversation-id'))!
  // Leave the conversation, seed it, open it again.
  await admin.getByTestId('organisation').click()
  expect(await benchCall<number>(admin, 'seedMemory', id, COUNT)).toBe(COUNT + 1)

  await admin.getByTestId('conversation').first().click()
  await expect(admin.getByTestId('message-body').last()).toHaveText('the newest message')
  await expect(admin.getByTestId('message-body').filter({ hasText: `#${COUNT - 2} ` })).toHaveCount(1)
  expect(await rendered(admin)).toBeLessThanOrEqual(WINDOW)
  const start = await scroller(admin).evaluate((s) => Number(s.querySelector('ol')!.dataset.start))
  expect(start).toBe(COUNT + 1 - await rendered(admin))
  await expect(admin.getByTestId('earlier-messages')).toContainText(`${start} earlier messages`)

  // Scrolling up loads earlier messages and keeps the one on screen where it was.
  const el = scroller(admin)
  for (let step = 0; step < 3; step++) {
    const before = await admin.evaluate(() => {
      const root = document.querySelector('wl-app')!.shadowRoot!.querySelector('wl-shell')!.shadowRoot!
        .querySelector('wl-conversation')!.shadowRoot!
      const s = root.querySelector<HTMLElement>('.scroll')!
      const lis = [...root.querySelectorAll<HTMLElement>('li[data-message-id]')]
      const first = Number(root.querySelector('ol')!.dataset.start)
      // The topmost message on screen after scrolling to the top: it must stay under the eye.
      s.scrollTop = 0
      const top = s.getBoundingClientRect().top
      const li = lis.find((l) => l.getBoundingClientRect().bottom > top)!
      return { first, id: li.dataset.messageId!, y: li.getBoundingClientRect().top }
    })
    await expect.poll(() => el.evaluate((s) => Number(s.querySelector('ol')!.dataset.start))).toBeLessThan(before.first)
    const after = await admin.evaluate((mid) => {
      const root = document.querySelector('wl-app')!.shadowRoot!.querySelector('wl-shell')!.shadowRoot!
        .querySelector('wl-conversation')!.shadowRoot!
      return root.querySelector<HTMLElement>(`li[data-message-id="${mid}"]`)!.getBoundingClientRect().top
    }, before.id)
    expect(Math.abs(after - before.y)).toBeLessThanOrEqual(2)
    expect(await rendered(admin)).toBeLessThanOrEqual(WINDOW)
  }

  // All the way up: the first message, still with no more than a window in the page.
  const t0 = Date.now()
  const maxRendered = await el.evaluate(async (s) => {
    let most = 0
    for (let i = 0; i < 2000 && Number(s.querySelector('ol')!.dataset.start) > 0; i++) {
      s.scrollTop = 0
      await new Promise((r) => setTimeout(r, 20))
      most = Math.max(most, s.querySelectorAll('li').length)
    }
    return most
  })
  console.log(`scrolled from the end to the start in ${Date.now() - t0} ms`)
  expect(maxRendered).toBeLessThanOrEqual(WINDOW)
  expect(await el.evaluate((s) => Number(s.querySelector('ol')!.dataset.start))).toBe(0)
  await expect(admin.getByTestId('message-body').first()).toHaveText(/^Handover note 0\n/)
  expect(await rendered(admin)).toBeLessThanOrEqual(WINDOW)
  // And back by keyboard (the message history is focusable): End jumps to the newest message.
  await el.focus()
  await admin.keyboard.press('End')
  await expect(admin.getByTestId('message-body').filter({ hasText: 'the newest message' })).toHaveCount(1)
  expect(await rendered(admin)).toBeLessThanOrEqual(WINDOW)
  // A long message in the history is collapsed and opens with the keyboard.
  const more = admin.getByTestId('show-more').first()
  await more.focus()
  await admin.keyboard.press('Enter')
  await expect(more).toHaveAttribute('aria-expanded', 'true')
  expect(errors).toEqual([])
  await relay.stop()
})
