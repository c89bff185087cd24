/**
 * Shared-device mode (decision 0012): the unencrypted index of the people enrolled on this
 * browser, kept in localStorage under `wardline-profiles`. Each entry is a random local id, the
 * label the person typed at enrollment (initials, say — never fetched from the directory) and the
 * name of that person's own IndexedDB database, which the worker opens and which is encrypted
 * under that person's own PIN-wrapped local key. The index holds no key and no content; it is what
 * the lock screen's picker lists. A device enrolled before profiles existed keeps its database
 * (`wardline`) as its first profile.
 */
const KEY = 'wardline-profiles'
/** The database a device enrolled before shared-device mode uses; also the first profile's. */
export const LEGACY_DB = 'wardline'
const USER_DB = /^wardline-user-[0-9a-f]{16,32}$/

export type Profile = { id: string; label: string; db: string }

const randomHex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('')

export function listProfiles(): Profile[] {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown
    if (!Array.isArray(raw)) return []
    return raw.filter((p): p is Profile =>
      typeof p?.id === 'string' && typeof p?.label === 'string' && typeof p?.db === 'string' && (p.db === LEGACY_DB || USER_DB.test(p.db)))
  } catch {
    return []
  }
}

function store(profiles: Profile[]): void {
  if (profiles.length) localStorage.setItem(KEY, JSON.stringify(profiles))
  else localStorage.removeItem(KEY)
}

/** A profile not yet in the index: the first one on a device uses the legacy database name. */
export function newProfile(): Profile {
  const taken = listProfiles().map((p) => p.db)
  const db = taken.length === 0 ? LEGACY_DB : `wardline-user-${randomHex(12)}`
  return { id: randomHex(8), label: '', db }
}

export function saveProfile(p: Profile): void {
  store([...listProfiles().filter((x) => x.id !== p.id), { ...p, label: p.label.trim().slice(0, 24) }])
}

export function removeProfile(id: string): void {
  store(listProfiles().filter((p) => p.id !== id))
}

export function isSaved(p: Profile): boolean {
  return listProfiles().some((x) => x.id === p.id)
}

/**
 * Before the index existed a device had one database, `wardline`: it becomes the first profile.
 * A `wardline-user-…` database the index does not list is left over from an enrollment that
 * never finished (or from a profile whose sign-out was interrupted): it is deleted.
 */
export async function reconcileProfiles(): Promise<void> {
  const names = (await indexedDB.databases().catch(() => [])).map((d) => d.name ?? '')
  const profiles = listProfiles()
  if (profiles.length === 0 && names.includes(LEGACY_DB)) saveProfile({ id: randomHex(8), label: '', db: LEGACY_DB })
  const listed = new Set(listProfiles().map((p) => p.db))
  for (const name of names) if (USER_DB.test(name) && !listed.has(name)) await deleteDatabase(name)
}

export function deleteDatabase(name: string): Promise<void> {
  return new Promise((done) => {
    const req = indexedDB.deleteDatabase(name)
    req.onsuccess = req.onerror = req.onblocked = () => done()
  })
}
