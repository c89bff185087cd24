/**
 * The organisation's audit log (issue 8, docs/decisions/0013-audit-log.md): the canonical encoding
 * and SHA-256 hash of one hash-chained record, and the device-signed claims a device appends
 * (`compliance.export`, `breakglass.open`). Records carry event names, device ids, reason codes and
 * counts only — never message content, patient data, keys or staff names. Pure functions over
 * bytes, shared by the relay (which chains records), its verifier and, later, the browser.
 */
import {
  bytesToHex,
  decodeText,
  decodeTextTuple,
  decodeTupleList,
  encodeTuple,
  parseCount,
} from './bytes.ts'
import { sign, verifySignature } from './ed25519.ts'
import { sha256 } from './hkdf.ts'
import { err, ok, type Result } from './result.ts'

const RECORD_TAG = 'wardline/audit/v1'
const CLAIM_TAG = 'wardline/audit-claim/v1'

/** prevHash of the first record (seq 1): 32 zero bytes. */
export const AUDIT_GENESIS_PREV_HASH: Uint8Array = new Uint8Array(32)
/** Most fields in one record, and the longest field value (keeps records small and structured). */
export const MAX_AUDIT_FIELDS = 16
export const MAX_AUDIT_VALUE_LENGTH = 128
/**
 * How far a claim's own time may be from the time of the record that holds it: the relay refuses
 * a claim outside it, and a verifier flags a record outside it (an old claim appended again).
 */
export const AUDIT_CLAIM_MAX_SKEW_MS = 10 * 60_000
/** Longest claim a device may append (the relay refuses longer ones). */
export const MAX_AUDIT_CLAIM_BYTES = 1024

export type AuditValue = string | number | boolean
export type AuditFields = Record<string, AuditValue>

/** One record as stored and as hashed; `claim` and `signature` only on device-signed records. */
export type AuditRecord = {
  seq: number
  time: number
  event: string
  /** A device id, 'root', or 'relay' for what the relay itself observed. */
  actor: string
  fields: AuditFields
  claim: Uint8Array | null
  signature: Uint8Array | null
  prevHash: Uint8Array
  hash: Uint8Array
}

const FIELD_KEY = /^[a-z][A-Za-z0-9]{0,31}$/
const EVENT_NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/
const INTEGER = /^(0|-?[1-9][0-9]*)$/

export const isAuditEventName = (s: string): boolean => s.length <= 64 && EVENT_NAME.test(s)

/** Throws on misuse: a caller passing a bad key, a fractional number or a long value is a bug. */
function assertFields(fields: AuditFields): void {
  const keys = Object.keys(fields)
  if (keys.length > MAX_AUDIT_FIELDS) {
    throw new RangeError(`expected at most ${MAX_AUDIT_FIELDS} audit fields, got ${keys.length}`)
  }
  for (const k of keys) {
    const v = fields[k]
    if (!FIELD_KEY.test(k)) throw new TypeError(`expected a camelCase audit field name, got ${k}`)
    if (typeof v === 'number' && !Number.isSafeInteger(v)) {
      throw new TypeError(`expected an integer in audit field ${k}, got ${v}`)
    }
    if (typeof v === 'string' && v.length > MAX_AUDIT_VALUE_LENGTH) {
      throw new RangeError(`expected ≤ ${MAX_AUDIT_VALUE_LENGTH} characters in audit field ${k}`)
    }
    if (!['string', 'number', 'boolean'].includes(typeof v)) {
      throw new TypeError(`expected a string, integer or boolean in audit field ${k}`)
    }
  }
}

/** Keys in code-unit order, each value tagged with its type: one encoding per field set. */
export function encodeAuditFields(fields: AuditFields): Uint8Array {
  assertFields(fields)
  const parts: string[] = []
  for (const k of Object.keys(fields).sort()) {
    const v = fields[k]!
    parts.push(
      k,
      typeof v === 'string' ? `s${v}` : typeof v === 'number' ? `n${v}` : v ? 'b1' : 'b0',
    )
  }
  return encodeTuple(parts)
}

export function decodeAuditFields(bytes: Uint8Array): Result<AuditFields> {
  const list = decodeTupleList(bytes, MAX_AUDIT_FIELDS * 2)
  if (!list.ok || list.value.length % 2 !== 0) return err('audit/malformed-fields')
  const out: AuditFields = {}
  let last = ''
  for (let i = 0; i < list.value.length; i += 2) {
    const k = decodeText(list.value[i]!)
    const v = decodeText(list.value[i + 1]!)
    if (!k.ok || !v.ok || !FIELD_KEY.test(k.value) || (i > 0 && k.value <= last)) {
      return err('audit/malformed-fields')
    }
    last = k.value
    const body = v.value.slice(1)
    if (v.value[0] === 's' && body.length <= MAX_AUDIT_VALUE_LENGTH) out[k.value] = body
    else if (v.value[0] === 'n' && INTEGER.test(body) && Number.isSafeInteger(Number(body))) {
      out[k.value] = Number(body)
    } else if (v.value === 'b1' || v.value === 'b0') out[k.value] = v.value === 'b1'
    else return err('audit/malformed-fields')
  }
  return ok(out)
}

/** The bytes a record's hash covers: every field of the record, prevHash included. */
export function encodeAuditRecord(r: Omit<AuditRecord, 'hash'>): Uint8Array {
  if (r.prevHash.length !== 32) {
    throw new RangeError(`expected a 32-byte prevHash, got ${r.prevHash.length}`)
  }
  if (!Number.isSafeInteger(r.seq) || r.seq < 1 || !Number.isSafeInteger(r.time) || r.time < 0) {
    throw new RangeError('expected seq ≥ 1 and a non-negative integer time')
  }
  return encodeTuple([
    RECORD_TAG,
    String(r.seq),
    String(r.time),
    r.event,
    r.actor,
    encodeAuditFields(r.fields),
    r.claim ?? new Uint8Array(0),
    r.signature ?? new Uint8Array(0),
    r.prevHash,
  ])
}

export function auditRecordHash(r: Omit<AuditRecord, 'hash'>): Uint8Array {
  return sha256(encodeAuditRecord(r))
}

/** Chains a new record after `prev` (null for the first): seq and prevHash follow, hash computed. */
export function chainAuditRecord(
  prev: { seq: number; hash: Uint8Array } | null,
  e:
    & Pick<AuditRecord, 'time' | 'event' | 'actor' | 'fields'>
    & Partial<Pick<AuditRecord, 'claim' | 'signature'>>,
): AuditRecord {
  const base = {
    seq: (prev?.seq ?? 0) + 1,
    time: e.time,
    event: e.event,
    actor: e.actor,
    fields: e.fields,
    claim: e.claim ?? null,
    signature: e.signature ?? null,
    prevHash: prev?.hash ?? AUDIT_GENESIS_PREV_HASH,
  }
  return { ...base, hash: auditRecordHash(base) }
}

/** What a device states when it appends an event itself (a compliance export, a break-glass). */
export type AuditClaim = { deviceId: string; event: string; time: number; fields: AuditFields }

export function encodeAuditClaim(c: AuditClaim): Uint8Array {
  if (!isAuditEventName(c.event)) {
    throw new TypeError(`expected a dotted event name, got ${c.event}`)
  }
  return encodeTuple([CLAIM_TAG, c.deviceId, c.event, String(c.time), encodeAuditFields(c.fields)])
}

/** The claim bytes and the device's Ed25519 signature over them. */
export function signAuditClaim(
  c: AuditClaim,
  deviceSecretKey: Uint8Array,
): { claim: Uint8Array; signature: Uint8Array } {
  const claim = encodeAuditClaim(c)
  return { claim, signature: sign(claim, deviceSecretKey) }
}

export function parseAuditClaim(claim: Uint8Array): Result<AuditClaim> {
  if (claim.length > MAX_AUDIT_CLAIM_BYTES) return err('audit/malformed-claim')
  const t = decodeTextTuple(claim, 5, 4)
  if (!t.ok) return err('audit/malformed-claim')
  const [tag, deviceId, event, time] = t.value.text as [string, string, string, string]
  const at = parseCount(time)
  const fields = decodeAuditFields(t.value.bytes[0]!)
  if (tag !== CLAIM_TAG || !deviceId || !isAuditEventName(event) || at === null || !fields.ok) {
    return err('audit/malformed-claim')
  }
  return ok({ deviceId, event, time: at, fields: fields.value })
}

/** Parses the claim and checks the signature with the strict verifier (DESIGN §3). */
export function verifyAuditClaim(
  claim: Uint8Array,
  signature: Uint8Array,
  devicePublicKey: Uint8Array,
): Result<AuditClaim> {
  const c = parseAuditClaim(claim)
  if (!c.ok) return c
  if (!verifySignature(signature, claim, devicePublicKey)) return err('audit/bad-signature')
  return c
}

/** One record as a JSON object (bytes as lowercase hex): a line of the export, JSON-lines. */
export function auditRecordJson(r: AuditRecord): Record<string, unknown> {
  return {
    seq: r.seq,
    time: r.time,
    event: r.event,
    actor: r.actor,
    fields: r.fields,
    ...(r.claim ? { claim: bytesToHex(r.claim) } : {}),
    ...(r.signature ? { signature: bytesToHex(r.signature) } : {}),
    prevHash: bytesToHex(r.prevHash),
    hash: bytesToHex(r.hash),
  }
}
