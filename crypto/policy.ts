/**
 * The organisation's device policy (DESIGN §1 rule 6): PIN strength, wrong-PIN limit and idle
 * lock, signed by the root key like an authorization (crypto/trust.ts) so a relay cannot weaken
 * it. Pure functions over bytes; the worker stores the signed blob and verifies it before use.
 */
import { decodeTextTuple, decodeTuple, encodeTuple, parseCount } from './bytes.ts'
import { sign, verifySignature } from './ed25519.ts'
import { err, ok, type Result } from './result.ts'

const POLICY_TAG = 'wardline/policy/v1'
/** v2 appends the device-lifecycle limits (decision 0012); v1 policies still parse, with defaults. */
const POLICY_TAG_V2 = 'wardline/policy/v2'
/**
 * v3 appends `allowFileExport` (decision 0018). A policy that leaves it off is still signed as v2,
 * so builds before attachments keep accepting it; only a policy that turns export on needs v3.
 */
const POLICY_TAG_V3 = 'wardline/policy/v3'
export const PIN_KINDS = ['any', 'digits', 'mixed'] as const
export type PinKind = (typeof PIN_KINDS)[number]

export type Policy = {
  minPinLength: number
  /** 'digits': digits only; 'mixed': at least one letter and one digit; 'any': length only. */
  pinKind: PinKind
  maxPinAttempts: number
  idleLockMinutes: number
  /** A device must renew its relay-signed lease within this many hours, or it locks. */
  leaseHours: number
  /** Days after the lease ran out at which the device wipes its local data, even offline. */
  leaseWipeDays: number
  /** Hours after an unlock at which the app locks whatever the activity (absolute limit). */
  maxSessionHours: number
  /** People may save or share attachments out of the app (rule 3: off unless policy allows). */
  allowFileExport: boolean
  version: number
  issuedAt: number
}

/** Inclusive bounds; a policy outside them is refused (`trust/bad-policy`). */
export const POLICY_BOUNDS = {
  minPinLength: [4, 64],
  maxPinAttempts: [3, 100],
  idleLockMinutes: [1, 480],
  leaseHours: [1, 24 * 30],
  leaseWipeDays: [1, 90],
  maxSessionHours: [1, 24 * 7],
} as const

/** What applies until an admin signs a policy. */
export const DEFAULT_POLICY: Policy = {
  minPinLength: 6,
  pinKind: 'any',
  maxPinAttempts: 10,
  idleLockMinutes: 15,
  leaseHours: 72,
  leaseWipeDays: 7,
  maxSessionHours: 12,
  allowFileExport: false,
  version: 0,
  issuedAt: 0,
}

function inBounds(p: Policy): boolean {
  return (Object.keys(POLICY_BOUNDS) as (keyof typeof POLICY_BOUNDS)[]).every((k) => {
    const [lo, hi] = POLICY_BOUNDS[k]
    return Number.isSafeInteger(p[k]) && p[k] >= lo && p[k] <= hi
  }) && PIN_KINDS.includes(p.pinKind) && typeof p.allowFileExport === 'boolean' && Number.isSafeInteger(p.version) && p.version >= 0 &&
    Number.isSafeInteger(p.issuedAt) && p.issuedAt >= 0
}

export function signPolicy(policy: Policy, rootSecretKey: Uint8Array): Uint8Array {
  if (!inBounds(policy)) throw new RangeError('expected a policy within POLICY_BOUNDS')
  const body = encodeTuple([
    policy.allowFileExport ? POLICY_TAG_V3 : POLICY_TAG_V2,
    String(policy.version),
    String(policy.issuedAt),
    String(policy.minPinLength),
    policy.pinKind,
    String(policy.maxPinAttempts),
    String(policy.idleLockMinutes),
    String(policy.leaseHours),
    String(policy.leaseWipeDays),
    String(policy.maxSessionHours),
    ...(policy.allowFileExport ? ['1'] : []),
  ])
  return encodeTuple([body, sign(body, rootSecretKey)])
}

/** Parses without checking the signature (the relay indexes the version; clients verify). */
export function parsePolicy(blob: Uint8Array): Result<Policy & { body: Uint8Array; signature: Uint8Array }> {
  const outer = decodeTuple(blob, 2)
  if (!outer.ok) return err('trust/bad-policy')
  const [body, signature] = outer.value as [Uint8Array, Uint8Array]
  const v3 = decodeTextTuple(body, 11)
  const v2 = v3.ok ? v3 : decodeTextTuple(body, 10)
  const f = v2.ok ? v2 : decodeTextTuple(body, 7)
  if (!f.ok) return err('trust/bad-policy')
  const [tag, version, issuedAt, minPin, kind, maxAttempts, idle, ...rest] = f.value.text as string[]
  const limits = rest.slice(0, 3)
  const n = [version, issuedAt, minPin, maxAttempts, idle, ...limits].map(parseCount)
  const expectedTag = v3.ok ? POLICY_TAG_V3 : v2.ok ? POLICY_TAG_V2 : POLICY_TAG
  if (tag !== expectedTag || n.some((x) => x === null) || (v3.ok && rest[3] !== '1')) return err('trust/bad-policy')
  const policy: Policy = {
    version: n[0]!,
    issuedAt: n[1]!,
    minPinLength: n[2]!,
    pinKind: kind as PinKind,
    maxPinAttempts: n[3]!,
    idleLockMinutes: n[4]!,
    leaseHours: n[5] ?? DEFAULT_POLICY.leaseHours,
    leaseWipeDays: n[6] ?? DEFAULT_POLICY.leaseWipeDays,
    maxSessionHours: n[7] ?? DEFAULT_POLICY.maxSessionHours,
    allowFileExport: v3.ok,
  }
  if (!inBounds(policy)) return err('trust/bad-policy')
  return ok({ ...policy, body, signature })
}

export function verifyPolicy(blob: Uint8Array, rootPublicKey: Uint8Array): Result<Policy> {
  const parsed = parsePolicy(blob)
  if (!parsed.ok) return parsed
  const { body, signature, ...policy } = parsed.value
  if (!verifySignature(signature, body, rootPublicKey)) return err('trust/bad-policy')
  return ok(policy)
}

/** null when the PIN meets the policy, else the code to show (`local/weak-pin`). */
export function checkPin(pin: string, policy: Policy): 'local/weak-pin' | null {
  if (typeof pin !== 'string') return 'local/weak-pin'
  const normal = pin.normalize('NFKC')
  if ([...normal].length < policy.minPinLength) return 'local/weak-pin'
  if (policy.pinKind === 'digits' && !/^[0-9]+$/.test(normal)) return 'local/weak-pin'
  if (policy.pinKind === 'mixed' && !(/\p{L}/u.test(normal) && /[0-9]/.test(normal))) return 'local/weak-pin'
  return null
}
