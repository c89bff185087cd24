/**
 * The one-time setup code that lets the first admin create the organisation. It is printed on
 * stdout at start (never logged on stderr) and only its SHA-256 is stored, so a copy of the
 * database does not reveal it. Typed codes are normalised like enrollment codes (Crockford).
 */
import { randomBytes, sha256, toBase32 } from './crypto-surface.ts'

export const SETUP_CODE_BYTES = 20

/** 20 random bytes in Crockford base32, grouped by four with '-' for reading aloud. */
export function generateSetupCode(): string {
  return toBase32(randomBytes(SETUP_CODE_BYTES)).match(/.{1,4}/g)!.join('-')
}

export function normalizeSetupCode(code: string): string {
  return code.toUpperCase().replace(/[^0-9A-Z]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0')
}

export function hashSetupCode(code: string): Uint8Array {
  return sha256(new TextEncoder().encode(normalizeSetupCode(code)))
}
