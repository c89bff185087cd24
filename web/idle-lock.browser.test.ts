/** IdleLock in real Chromium with a fake clock: activity postpones the lock, idleness triggers it once. */
import { IdleLock, type IdleClock } from './idle-lock.ts'

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message)
}

function fakeClock() {
  let now = 0
  let timers: { at: number; fn: () => void; id: number }[] = []
  let next = 0
  const clock: IdleClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.push({ at: now + ms, fn, id: ++next })
      return next
    },
    clearTimeout: (id) => (timers = timers.filter((t) => t.id !== id)),
  }
  const advance = (ms: number) => {
    const end = now + ms
    for (;;) {
      const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      timers = timers.filter((t) => t !== due)
      now = due.at
      due.fn()
    }
    now = end
  }
  return { clock, advance, pending: () => timers.length }
}

describe('IdleLock', () => {
  it('locks after the policy minutes without activity, and activity postpones it', () => {
    const { clock, advance, pending } = fakeClock()
    const target = new EventTarget()
    let locked = 0
    const idle = new IdleLock({ minutes: 1, onIdle: () => locked++, clock, target })
    advance(50_000)
    target.dispatchEvent(new Event('pointerdown'))
    advance(50_000)
    assert(locked === 0, 'activity at 50 s postpones the lock')
    target.dispatchEvent(new Event('keydown'))
    advance(59_999)
    assert(locked === 0, 'not before a full minute of idleness')
    advance(1)
    assert(locked === 1, 'locks after one idle minute')
    advance(600_000)
    assert(locked === 1 && pending() === 0, 'locks once and stops')
    idle.stop()
  })

  it('a shorter policy applies from the last activity; stop() cancels', () => {
    const { clock, advance } = fakeClock()
    const target = new EventTarget()
    let locked = 0
    const idle = new IdleLock({ minutes: 15, onIdle: () => locked++, clock, target })
    advance(120_000)
    idle.setMinutes(1)
    assert(locked === 1, 'already idle longer than the new limit')
    const other = new IdleLock({ minutes: 1, onIdle: () => locked++, clock, target })
    other.stop()
    advance(120_000)
    assert(locked === 1, 'a stopped lock never fires')
    idle.stop()
  })
})
