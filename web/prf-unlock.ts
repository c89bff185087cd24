/**
 * "Unlock with this device's screen lock": WebAuthn with the PRF extension, on the main thread
 * because navigator.credentials does not exist in workers. The PRF output is the only secret that
 * passes through here; it is copied to the worker and wiped at once
 * (docs/decisions/0005-webauthn-prf-unlock.md). No key, no plaintext.
 */

/** Fixed PRF input: the authenticator's secret is bound to this credential; the salt names our use. */
const PRF_SALT = new TextEncoder().encode('wardline/local-key/prf-salt/v1')
const TIMEOUT_MS = 60_000

type PrfResults = { prf?: { enabled?: boolean; results?: { first?: ArrayBuffer | ArrayBufferView } } }

function toBase64url(b: Uint8Array): string {
  let s = ''
  for (const x of b) s += String.fromCharCode(x)
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}
function fromBase64url(s: string): Uint8Array {
  const bin = atob(s.replaceAll('-', '+').replaceAll('_', '/') + '==='.slice((s.length + 3) % 4))
  return Uint8Array.from(bin, (c) => c.charCodeAt(0))
}

/** Whether this browser can offer a platform credential (the PRF check happens on creation). */
export async function isPrfUnlockPossible(): Promise<boolean> {
  const PKC = globalThis.PublicKeyCredential
  if (!PKC || !navigator.credentials || !globalThis.isSecureContext) return false
  try {
    return await PKC.isUserVerifyingPlatformAuthenticatorAvailable()
  } catch {
    return false
  }
}

function prfOutputOf(credential: Credential | null): Uint8Array | null {
  const results = (credential as PublicKeyCredential | null)?.getClientExtensionResults() as PrfResults | undefined
  const first = results?.prf?.results?.first
  if (!first) return null
  const bytes = first instanceof ArrayBuffer ? new Uint8Array(first) : new Uint8Array(first.buffer, first.byteOffset, first.byteLength)
  return bytes.length === 32 ? bytes : null
}

/** Evaluates the PRF of an existing credential; null when the authenticator gives no PRF. */
export async function getPrfOutput(credentialId: string): Promise<Uint8Array | null> {
  const credential = await navigator.credentials.get({
    publicKey: {
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      allowCredentials: [{ type: 'public-key', id: fromBase64url(credentialId) as Uint8Array<ArrayBuffer> }],
      userVerification: 'required',
      timeout: TIMEOUT_MS,
      extensions: { prf: { eval: { first: PRF_SALT } } } as AuthenticationExtensionsClientInputs,
    },
  })
  return prfOutputOf(credential)
}

/** Creates a platform credential with PRF and returns its id and PRF output, or null without PRF. */
export async function createPrfCredential(user: { userId: string; displayName: string }): Promise<{ credentialId: string; prfOutput: Uint8Array } | null> {
  const credential = (await navigator.credentials.create({
    publicKey: {
      rp: { name: 'Wardline' },
      user: { id: new TextEncoder().encode(user.userId), name: user.displayName, displayName: user.displayName },
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -257 }],
      authenticatorSelection: { authenticatorAttachment: 'platform', userVerification: 'required', residentKey: 'preferred' },
      timeout: TIMEOUT_MS,
      extensions: { prf: { eval: { first: PRF_SALT } } } as AuthenticationExtensionsClientInputs,
    },
  })) as PublicKeyCredential | null
  if (!credential) return null
  const results = credential.getClientExtensionResults() as PrfResults
  if (!results.prf?.enabled && !results.prf?.results) return null
  const credentialId = toBase64url(new Uint8Array(credential.rawId))
  // Some authenticators evaluate the PRF only on get(), not on create().
  const prfOutput = prfOutputOf(credential) ?? (await getPrfOutput(credentialId))
  return prfOutput ? { credentialId, prfOutput } : null
}
