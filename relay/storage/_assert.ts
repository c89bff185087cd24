/**
 * Minimal assertions for the relay's tests. The repo pins no Deno std, and the relay may not
 * fetch from JSR at test time, so this wraps node:assert (built into Deno) with std's names.
 */
import nodeAssert from 'node:assert/strict'

export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message)
}

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message)
}
