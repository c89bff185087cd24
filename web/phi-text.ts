/**
 * Words for what the on-device PHI detector found (workers/core/phi.ts through `checkPhi`), for
 * the composer's hint and the "patient information" label on tagged messages.
 */
import type { PhiKind } from '../workers/protocol.ts'

export const PHI_KIND_TEXT: Record<PhiKind, string> = {
  'national-id': 'a national ID number',
  dob: 'a date of birth',
  date: 'a full date',
  mrn: 'an MRN',
  phone: 'a phone number',
  name: 'the patient’s name',
}

/** Short names for the list of flagged parts ("date of birth", "MRN"). */
export const PHI_KIND_LABEL: Record<PhiKind, string> = {
  'national-id': 'national ID',
  dob: 'date of birth',
  date: 'date',
  mrn: 'MRN',
  phone: 'phone',
  name: 'name',
}

/** "Looks like it contains a date of birth, an MRN and a phone number." */
export function describePhiKinds(kinds: readonly PhiKind[]): string {
  const words = [...new Set(kinds)].map((k) => PHI_KIND_TEXT[k])
  if (words.length === 0) return ''
  const list = words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`
  return `Looks like it contains ${list}.`
}
