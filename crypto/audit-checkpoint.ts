/**
 * Audit checkpoints (issue 8, docs/decisions/0013-audit-log.md): an admin or compliance officer's
 * device signs the audit log's head {seq, hash, count, time} it was shown. Kept outside the relay,
 * checkpoints let a verifier detect what a hash chain alone cannot: records cut off the end, or a
 * whole chain rewritten with fresh hashes. A checkpoint file is JSON lines, one object per line:
 *
 *   {"v":1,"seq":N,"hash":"<hex>","count":N,"time":<ms>,"signer":"<deviceId>",
 *    "authorization":"<base64url>","binding":"<base64url>","signature":"<base64url>"}
 *
 * `authorization` and `binding` are the signer's root-signed chain, so the line verifies against
 * the organisation root alone. Pure functions; usable by the worker, the relay's verifier and tests.
 */
import { bytesToHex, encodeTuple, fromBase64url, hexToBytes, toBase64url } from './bytes.ts'
import { sign, verifySignature } from './ed25519.ts'
import { err, ok, type Result } from './result.ts'
import { verifyDeviceChain } from './trust.ts'

const CHECKPOINT_TAG = 'wardline/audit-checkpoint/v1'
/** Roles whose devices may sign a checkpoint. */
export const CHECKPOINT_ROLES: readonly string[] = ['admin', 'compliance']

export type AuditHead = { seq: number; hash: Uint8Array; time: number }

export type AuditCheckpoint = {
  v: 1
  seq: number
  /** Lowercase hex of the record hash at `seq`. */
  hash: string
  /** Records from seq 1 up to `seq` (equal to `seq` in a gap-free log). */
  count: number
  /** When the checkpoint was signed (ms since the epoch). */
  time: number
  signer: string
  authorization: string
  binding: string
  signature: string
}

export type CheckpointSigner = {
  deviceId: string
  signingSecretKey: Uint8Array
  authorization: Uint8Array
  binding: Uint8Array
}

function checkpointBody(
  c: Pick<AuditCheckpoint, 'seq' | 'hash' | 'count' | 'time' | 'signer'>,
): Uint8Array {
  return encodeTuple([
    CHECKPOINT_TAG,
    String(c.seq),
    c.hash,
    String(c.count),
    String(c.time),
    c.signer,
  ])
}

/** Signs the head a device was shown; `now` is the signing time. */
export function makeAuditCheckpoint(
  head: AuditHead,
  signer: CheckpointSigner,
  now: number,
): AuditCheckpoint {
  if (!Number.isSafeInteger(head.seq) || head.seq < 1 || head.hash.length !== 32) {
    throw new RangeError('expected a head with seq ≥ 1 and a 32-byte hash')
  }
  const fields = {
    seq: head.seq,
    hash: bytesToHex(head.hash),
    count: head.seq,
    time: now,
    signer: signer.deviceId,
  }
  return {
    v: 1,
    ...fields,
    authorization: toBase64url(signer.authorization),
    binding: toBase64url(signer.binding),
    signature: toBase64url(sign(checkpointBody(fields), signer.signingSecretKey)),
  }
}

/** One line of a checkpoint file. */
export const encodeCheckpointLine = (c: AuditCheckpoint): string => JSON.stringify(c)

const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length < 4096

/** Parses one line's JSON object into a checkpoint's shape (no signature check yet). */
export function parseCheckpointLine(line: string): Result<AuditCheckpoint> {
  let o: Record<string, unknown>
  try {
    const v = JSON.parse(line)
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      return err('audit/malformed-checkpoint')
    }
    o = v
  } catch {
    return err('audit/malformed-checkpoint')
  }
  const { seq, hash, count, time, signer, authorization, binding, signature } = o
  if (
    o.v !== 1 || !isCount(seq) || seq < 1 || !isCount(count) || !isCount(time) ||
    typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash) ||
    !isText(signer) || !isText(authorization) || !isText(binding) || !isText(signature)
  ) return err('audit/malformed-checkpoint')
  return ok({ v: 1, seq, hash, count, time, signer, authorization, binding, signature })
}

/**
 * Checks the signer's chain to the root, its role (admin or compliance), the signature, and that
 * count = seq. Returns the checkpoint with its hash as bytes.
 */
export function verifyAuditCheckpoint(
  c: AuditCheckpoint,
  rootPublicKey: Uint8Array,
): Result<{ seq: number; hash: Uint8Array; time: number; signer: string; role: string }> {
  let authorization: Uint8Array, binding: Uint8Array, signature: Uint8Array
  try {
    authorization = fromBase64url(c.authorization)
    binding = fromBase64url(c.binding)
    signature = fromBase64url(c.signature)
  } catch {
    return err('audit/malformed-checkpoint')
  }
  const device = verifyDeviceChain(rootPublicKey, authorization, binding)
  if (!device.ok || device.value.deviceId !== c.signer) return err('audit/checkpoint-bad-chain')
  if (!CHECKPOINT_ROLES.includes(device.value.role)) return err('audit/checkpoint-bad-role')
  if (!verifySignature(signature, checkpointBody(c), device.value.signingPublicKey)) {
    return err('audit/checkpoint-bad-signature')
  }
  if (c.count !== c.seq) return err('audit/checkpoint-bad-count')
  return ok({
    seq: c.seq,
    hash: hexToBytes(c.hash),
    time: c.time,
    signer: c.signer,
    role: device.value.role,
  })
}
