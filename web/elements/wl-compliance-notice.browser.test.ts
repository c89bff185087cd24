/** wl-compliance-notice in real Chromium: shown once per device until "OK", never without a compliance key. */
import './wl-compliance-notice.ts'
import type { WlComplianceNotice } from './wl-compliance-notice.ts'

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message)
}

const summary = { threshold: 2, officers: ['Officer 1', 'Officer 2', 'Officer 3'], fingerprint: 'ABCD EFGH' }

async function mount(deviceId: string, compliance: typeof summary | null = summary): Promise<WlComplianceNotice> {
  const el = document.createElement('wl-compliance-notice')
  el.compliance = compliance
  el.deviceId = deviceId
  document.body.append(el)
  await el.updateComplete
  return el
}

describe('wl-compliance-notice', () => {
  it('tells the user once, in plain words, that k officers together can open messages and that access is audited', async () => {
    const id = `device-${Math.random()}`
    const el = await mount(id)
    const bar = el.shadowRoot!.querySelector('[data-testid="compliance-notice"]')
    assert(bar, 'the notice is shown')
    assert(/2 of its 3 compliance officers/.test(bar.textContent ?? ''), 'names k of n')
    assert(/every such access is\s+logged for administrators/.test(bar.textContent ?? ''), 'says access is audited')
    el.shadowRoot!.querySelector<HTMLButtonElement>('[data-testid="compliance-notice-ok"]')!.click()
    await el.updateComplete
    assert(!el.shadowRoot!.querySelector('[data-testid="compliance-notice"]'), 'OK hides it')
    el.remove()
    const again = await mount(id)
    assert(!again.shadowRoot!.querySelector('[data-testid="compliance-notice"]'), 'not shown again on this device')
    again.remove()
  })

  it('is not shown without a compliance key or before the device is known', async () => {
    for (const el of [await mount(`d-${Math.random()}`, null), await mount('')]) {
      assert(!el.shadowRoot!.querySelector('[data-testid="compliance-notice"]'), 'nothing to tell')
      el.remove()
    }
  })
})
