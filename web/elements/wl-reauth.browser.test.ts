/**
 * wl-reauth in real Chromium: a wrong PIN (the worker's refusal) is shown and keeps the dialog
 * open with the field cleared; the right one runs the action once and closes it; Cancel resolves
 * false without running anything; `local/wiped` closes it and tells the app.
 */
import { WorkerCallError } from '../worker-client.ts'
import type { WlReauth } from './wl-reauth.ts'
import './wl-reauth.ts'

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message)
}

async function mount(): Promise<WlReauth> {
  const el = document.createElement('wl-reauth')
  document.body.append(el)
  await el.updateComplete
  return el
}

const part = (el: WlReauth, selector: string) => el.shadowRoot!.querySelector(selector) as HTMLElement & { value: string }

async function submitPin(el: WlReauth, pin: string): Promise<void> {
  part(el, 'input').value = pin
  part(el, '[data-testid="reauth-confirm"]').click()
  for (let i = 0; i < 20; i++) await el.updateComplete.then(() => new Promise((r) => setTimeout(r, 5)))
}

describe('wl-reauth', () => {
  it('shows a wrong PIN and stays open, then runs the action with the right PIN and closes', async () => {
    const el = await mount()
    const tried: string[] = []
    const done = el.ask({
      title: 'Disable Ben?', text: 'x', confirmLabel: 'Disable',
      run: async (pin) => {
        tried.push(pin)
        if (pin !== 'right-pin-1') throw new WorkerCallError('local/wrong-pin', 'Wrong PIN')
      },
    })
    await el.updateComplete
    await submitPin(el, 'wrong')
    assert((part(el, 'dialog') as unknown as HTMLDialogElement).open, 'dialog stays open')
    assert(part(el, '[data-testid="reauth-error"]')?.textContent === 'Wrong PIN', 'wrong PIN shown')
    assert(part(el, 'input').value === '', 'field cleared')
    await submitPin(el, 'right-pin-1')
    assert((await done) === true, 'resolves true')
    assert(!(part(el, 'dialog') as unknown as HTMLDialogElement).open, 'dialog closed')
    assert(tried.join() === 'wrong,right-pin-1', `tried ${tried.join()}`)
    el.remove()
  })

  it('Cancel runs nothing; local/wiped closes it and emits wl-wiped', async () => {
    const el = await mount()
    let ran = 0
    const cancelled = el.ask({ title: 't', text: 'x', confirmLabel: 'Go', run: async () => void ran++ })
    await el.updateComplete
    ;(el.shadowRoot!.querySelector('.buttons button[type="button"]') as HTMLButtonElement).click()
    assert((await cancelled) === false && ran === 0, 'cancel resolves false without running')

    let wiped = 0
    document.addEventListener('wl-wiped', () => wiped++, { once: true })
    const gone = el.ask({ title: 't', text: 'x', confirmLabel: 'Go', run: () => Promise.reject(new WorkerCallError('local/wiped', '')) })
    await el.updateComplete
    await submitPin(el, 'any-pin-00')
    assert((await gone) === false && wiped === 1, 'wiped: closed and told the app')
    el.remove()
  })
})
