/**
 * Helpers both SCIM storage backends share: new ids, the case-folded userName key that backs
 * uniqueness (SCIM userName is caseExact false, RFC 7643 §4.1.1), and member list hygiene.
 * No SQL and no table knowledge here.
 */

/** A Wardline user id in the shape the admin console makes ('u' + 16 hex, workers/core/identity.ts). */
export function newWardlineUserId(): string {
  const b = crypto.getRandomValues(new Uint8Array(8))
  return 'u' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

export const newScimId = (): string => crypto.randomUUID()

export const userNameKey = (userName: string): string => userName.normalize('NFC').toLowerCase()

export const uniqueSorted = (ids: readonly string[]): string[] => [...new Set(ids)].sort()

export const isRefusal = (v: unknown): v is { refused: string } =>
  typeof v === 'object' && v !== null && 'refused' in v
