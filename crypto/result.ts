/**
 * Result type for expected failures on untrusted input (bad tag, bad signature, malformed bytes).
 * Misuse by the caller throws instead; see docs/errors.md for every code and the app's reaction.
 */
export type Ok<T> = { ok: true; value: T }
export type Err = { ok: false; code: string }
export type Result<T> = Ok<T> | Err

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value })
export const err = (code: string): Err => ({ ok: false, code })
