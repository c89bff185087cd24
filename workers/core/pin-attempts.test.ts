import assert from 'node:assert/strict'
import { attemptsLeft, failureDelayMs, NO_FAILURES, parsePinFailures, remainingWaitMs } from './pin-attempts.ts'

Deno.test('failureDelayMs answers the first 3 failures at once, then doubles from 2 s to a 30 s cap', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 50].map((n) => failureDelayMs(n)), [0, 0, 0, 0, 2000, 4000, 8000, 16000, 30000, 30000, 30000])
  assert.equal(failureDelayMs(5, 10), 40) // a lowered unit for tests keeps the shape
})

Deno.test('remainingWaitMs survives a reload: the wait counts from the last failure', () => {
  const s = { failures: 5, lastFailureAt: 10_000 }
  assert.equal(remainingWaitMs(s, 10_000), 4000)
  assert.equal(remainingWaitMs(s, 13_000), 1000)
  assert.equal(remainingWaitMs(s, 20_000), 0)
  // a clock set back never makes the wait longer than the schedule
  assert.equal(remainingWaitMs(s, 0), 4000)
  assert.equal(remainingWaitMs(NO_FAILURES, 5), 0)
})

Deno.test('attemptsLeft and parsePinFailures', () => {
  assert.equal(attemptsLeft({ failures: 7, lastFailureAt: 0 }, 10), 3)
  assert.equal(attemptsLeft({ failures: 12, lastFailureAt: 0 }, 10), 0)
  assert.deepEqual(parsePinFailures(undefined), NO_FAILURES)
  assert.deepEqual(parsePinFailures({ failures: -1, lastFailureAt: 0 }), NO_FAILURES)
  assert.deepEqual(parsePinFailures({ failures: 2, lastFailureAt: 9 }), { failures: 2, lastFailureAt: 9 })
})
