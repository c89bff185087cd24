/**
 * Reads a one-time code from the address (`#setup=CODE` or `#enroll=CODE`) once at start and
 * removes it from the address bar and history, so the code is not left in the URL.
 */
export type HashCodes = { setup?: string; enroll?: string }

export function takeHashCodes(): HashCodes {
  const hash = location.hash.slice(1)
  if (!hash) return {}
  const params = new URLSearchParams(hash)
  const codes: HashCodes = {}
  const setup = params.get('setup')
  const enroll = params.get('enroll')
  if (setup) codes.setup = setup.trim()
  if (enroll) codes.enroll = enroll.trim()
  if (setup || enroll) history.replaceState(history.state, '', location.pathname + location.search)
  return codes
}
