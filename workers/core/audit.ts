/**
 * The device's side of the audit log (issue 8, decision 0013), as pure functions over an Identity
 * so the worker can call them later: the `putAuditEvent` fields for an event this device signs
 * (a compliance export, a break-glass), and a checkpoint of the head the relay served
 * (`auditHead`), for an admin or compliance officer's device to sign and keep away from the relay.
 * No storage, no network: the caller sends the frame and files the checkpoint line.
 */
import { type AuditFields, signAuditClaim } from '../../crypto/audit.ts'
import {
  type AuditCheckpoint,
  encodeCheckpointLine,
  makeAuditCheckpoint,
} from '../../crypto/audit-checkpoint.ts'
import type { Identity } from './identity.ts'

/** The fields of a `putAuditEvent` frame (without `ref`) for an event this device states. */
export function signedAuditEvent(
  identity: Identity,
  event: string,
  fields: AuditFields,
  now: number,
): { claim: Uint8Array; signature: Uint8Array } {
  return signAuditClaim(
    { deviceId: identity.deviceId, event, time: now, fields },
    identity.signingSecretKey,
  )
}

/** A signed checkpoint of the served head and its checkpoint-file line. */
export function checkpointFromHead(
  identity: Identity,
  head: { seq: number; hash: Uint8Array; time: number },
  now: number,
): { checkpoint: AuditCheckpoint; line: string } {
  const checkpoint = makeAuditCheckpoint(head, {
    deviceId: identity.deviceId,
    signingSecretKey: identity.signingSecretKey,
    authorization: identity.authorization,
    binding: identity.binding,
  }, now)
  return { checkpoint, line: encodeCheckpointLine(checkpoint) }
}
