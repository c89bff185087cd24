/**
 * The relay's storage interface (DESIGN §5): every SQL statement lives behind it, so SQLite (the
 * default) and Postgres (scale-out) are interchangeable and both run `contract.ts`. It stores
 * opaque blobs plus the few clear fields needed to route them; it never sees a key or plaintext.
 * Methods are async even though node:sqlite is synchronous, because Postgres is not.
 */

import type { AuditHeadRow, AuditRecord, NewAuditEvent } from './audit.ts'
import type { LegalHoldStorage } from './legal-hold.ts'
import type { ScimStorage } from './scim-storage.ts'
import type { BlobStorage } from './blob-storage.ts'

export type AuthorizationRow = {
  id: string
  blob: Uint8Array
  userId: string
  displayName: string
  role: string
  expiresAt: number
  usedByDeviceId: string | null
}

/** `usedByDeviceId` of an authorization an admin revoked before anyone enrolled with it. */
export const REVOKED_AUTHORIZATION_PREFIX = 'revoked:'

export type DeviceRow = {
  deviceId: string
  userId: string
  authorizationId: string
  binding: Uint8Array
}

/** A key box in a conversation's mailbox: addressed to one device (or 'compliance:…') and epoch. */
export type KeyBoxRow = { recipientDeviceId: string; epoch: number; box: Uint8Array }

export type ConversationRow = {
  conversationId: string
  /** The genesis commit blob (epoch 0), sent as `manifest` in `conversation` frames. */
  genesis: Uint8Array
  headSeq: number
  /** The current epoch: 0 at creation, then the epoch of the latest accepted commit. */
  epoch: number
  /** commitHash of the latest accepted commit (of the genesis at epoch 0). */
  headHash: Uint8Array
  /** A current member device was revoked and no commit has replaced the epoch yet. */
  rotationPending: boolean
  /** Data entries up to here were pruned; the snapshot covering them is served instead (0: none). */
  prunedSeq: number
}

export type NewConversation = {
  conversationId: string
  genesis: Uint8Array
  headHash: Uint8Array
  deviceIds: string[]
  boxes: KeyBoxRow[]
}

export type NewEnvelope = {
  conversationId: string
  senderDeviceId: string
  epoch: number
  counter: number
  envelope: Uint8Array
}

/** A commit entry the handler has parsed and checked; storage re-checks the chain atomically. */
export type NewCommit = {
  conversationId: string
  authorDeviceId: string
  /** The commit's epoch; must be the current epoch + 1. */
  epoch: number
  /** The commit's prevHash; must equal the current head hash. */
  prevHash: Uint8Array
  /** commitHash of the commit: the new head hash, and how a retry is recognised. */
  hash: Uint8Array
  /** The new current member device set. */
  deviceIds: string[]
  /** The whole commit entry, appended to the log as it came. */
  entry: Uint8Array
  boxes: KeyBoxRow[]
}

export type AppendResult =
  | { seq: number; duplicate: boolean }
  | { refused: 'relay/stale-epoch' | 'relay/not-member' }

export type CommitResult =
  | { seq: number; duplicate: boolean; previousDeviceIds: string[] }
  | { refused: 'relay/stale-commit' | 'relay/not-member' | 'relay/revoked-device' }

export type RevocationRow = { deviceId: string; certificate: Uint8Array; revokedAt: number }

export type RevokeResult = {
  /** False when the device was already revoked (the first certificate is kept). */
  stored: boolean
  /** Conversations whose current member set holds the device, now rotation pending. */
  pending: { conversationId: string; epoch: number; deviceIds: string[] }[]
}

export type StoredEnvelope = { seq: number; envelope: Uint8Array }

/** A member's compaction snapshot covering the log up to `seq`, in its upload parts. */
export type SnapshotRow = {
  conversationId: string
  seq: number
  deviceId: string
  parts: Uint8Array[]
  storedAt: number
}

export type StoredReceipt = { deviceId: string; receipt: Uint8Array }

export type OrgState = { rootPublicKey: Uint8Array | null; setupCodeHash: Uint8Array | null }

export type SetupInput = {
  rootPublicKey: Uint8Array
  authorization: Omit<AuthorizationRow, 'usedByDeviceId'>
  device: DeviceRow
  /** The root-signed compliance key certificate (crypto/compliance.ts), kept in the org row. */
  complianceCertificate?: Uint8Array
}

export interface RelayStorage {
  getOrg(): Promise<OrgState>
  /** Replaces the pending setup code's hash; refused once the organisation exists. */
  setSetupCodeHash(hash: Uint8Array): Promise<void>
  /** Atomically stores root key, the admin's authorization (used) and device; clears the code. */
  completeSetup(input: SetupInput): Promise<'ok' | 'setup/already-done'>
  /** The compliance certificate stored by completeSetup, or null. */
  getComplianceCertificate(): Promise<Uint8Array | null>

  /** Stores an unused authorization; an identical blob under the same id is accepted again. */
  putAuthorization(
    row: Omit<AuthorizationRow, 'usedByDeviceId'>,
  ): Promise<'ok' | 'relay/authorization-exists'>
  getAuthorization(id: string): Promise<AuthorizationRow | null>
  /** Stores the device and marks its authorization used, in one transaction. */
  registerDevice(
    device: DeviceRow,
  ): Promise<'ok' | 'enroll/code-used' | 'enroll/unknown-code' | 'enroll/device-exists'>
  getDevice(deviceId: string): Promise<(DeviceRow & { revoked: boolean }) | null>
  /**
   * Marks an unused authorization revoked (its `usedByDeviceId` becomes `revoked:<id>`, so the
   * one-device-per-authorization UPDATE refuses it too); an already revoked one is 'ok' again.
   */
  revokeAuthorization(id: string): Promise<'ok' | 'enroll/unknown-code' | 'enroll/code-used'>
  /** Records a device's login time (the admin console's "last seen", issue 7). */
  touchDevice(deviceId: string, at: number): Promise<void>
  /** Every device's last login time, for devices that logged in since schema 8. */
  listDevicesSeen(): Promise<{ deviceId: string; lastSeenAt: number }[]>
  /** Every registered device with its authorization, and its revocation certificate if revoked. */
  listDirectory(): Promise<
    { authorization: Uint8Array; binding: Uint8Array; revocation: Uint8Array | null }[]
  >
  /**
   * Stores the certificate and marks every conversation whose current member set holds the
   * device rotation pending, in one transaction. Idempotent: a device is revoked once.
   */
  revokeDevice(r: RevocationRow): Promise<RevokeResult>
  listRevocations(): Promise<RevocationRow[]>

  /** The latest root-signed device policy blob, or null before an admin set one. */
  getPolicy(): Promise<Uint8Array | null>
  /** Stores the policy only if `version` is newer than the stored one. */
  putPolicy(blob: Uint8Array, version: number): Promise<'ok' | 'relay/stale-policy'>


  /**
   * Creates the conversation at epoch 0 with its genesis commit, member devices and boxes.
   * 'identical' when it exists with a byte-identical genesis; refuses a revoked device.
   */
  createConversation(
    c: NewConversation,
  ): Promise<'created' | 'identical' | 'relay/conversation-exists' | 'relay/revoked-device'>
  getConversation(conversationId: string): Promise<ConversationRow | null>
  /** Whether the device is in the conversation's CURRENT member set. */
  isMember(conversationId: string, deviceId: string): Promise<boolean>
  memberDeviceIds(conversationId: string): Promise<string[]>
  /** Conversations the device currently is a member of, with every box (any epoch) for it. */
  conversationsOf(deviceId: string): Promise<(ConversationRow & { boxes: Uint8Array[] })[]>
  /** Every box of the conversation addressed to the device, any epoch, in storage order. */
  boxesFor(conversationId: string, deviceId: string): Promise<Uint8Array[]>

  /**
   * Appends a data envelope with the next gap-free sequence number of the conversation, in one
   * transaction: a repeat of the same (conversation, sender, epoch, counter) returns the stored
   * seq with `duplicate: true`; otherwise a sender outside the current member set is refused
   * 'relay/not-member' and an epoch other than the current one 'relay/stale-epoch'.
   */
  appendEnvelope(e: NewEnvelope): Promise<AppendResult>
  /**
   * Appends a commit entry in one transaction that re-checks the chain: a commit whose hash is
   * already in the log returns its seq with `duplicate: true`; otherwise the author must be a
   * current member, the epoch the current + 1 and prevHash the head hash ('relay/stale-commit'),
   * and no listed device revoked. Then it appends the entry (kind 'commit', no counter), sets
   * epoch, head hash and member set, clears rotation pending and stores the boxes.
   */
  appendCommit(c: NewCommit): Promise<CommitResult>
  /** Log entries (data envelopes and commit entries) with seq > since in seq order, ≤ `limit`. */
  envelopesSince(conversationId: string, since: number, limit: number): Promise<StoredEnvelope[]>

  /** Keeps the receipt with the larger delivered+read; returns whether this one was stored. */
  putReceipt(
    conversationId: string,
    deviceId: string,
    receipt: Uint8Array,
    rank: number,
  ): Promise<boolean>
  receiptsOf(conversationId: string): Promise<StoredReceipt[]>

  /**
   * Compaction (DESIGN §4). Stores a snapshot a member uploaded (the handler checked its
   * signature). Refused ('relay/stale-snapshot') when `seq` is beyond the log head or not after
   * the pruned point. The same device's snapshot at the same seq stored again is kept as first stored.
   */
  putSnapshot(p: SnapshotRow): Promise<'ok' | 'relay/stale-snapshot'>
  /** Every part, in order, of the snapshot the conversation is pruned to; null when not pruned. */
  prunedSnapshot(conversationId: string): Promise<{ seq: number; parts: Uint8Array[] } | null>
  /**
   * For every conversation not under legal hold (`legalHold`), takes the newest snapshot stored at or
   * before `storedBefore` (the grace period), deletes the DATA entries it covers — never a commit —
   * and every older snapshot, and moves the pruned point to it. Returns how many entries it deleted.
   */
  pruneCovered(storedBefore: number): Promise<number>

  close(): Promise<void>

  /**
   * The user's encrypted key backup (one opaque blob per user, crypto/key-backup.ts): stored only
   * if `version` (read by the handler from the blob's clear header) is higher than the stored
   * one's, atomically. Never parsed or opened here.
   */
  putKeyBackup(userId: string, blob: Uint8Array, version: number): Promise<'ok' | 'relay/stale-backup'>
  /** The stored key backup blob of the user, or null. */
  getKeyBackup(userId: string): Promise<Uint8Array | null>

  /**
   * The relay's offline-lease signing key (crypto/lease.ts): stores `candidate` if no key is
   * stored yet and returns the stored one, so concurrent first starts agree on one key.
   */
  leaseKey(candidate: Uint8Array): Promise<Uint8Array>

  /**
   * Audit log (issue 8, storage/audit.ts): appends the next record after the chain head in one
   * transaction under the head row's lock. A device-signed claim whose signature is already
   * stored returns that record (a retried upload), not a new one.
   */
  appendAudit(e: NewAuditEvent): Promise<AuditRecord>
  /** The newest record's seq, hash and time; null while the log is empty. */
  auditHead(): Promise<AuditHeadRow | null>
  /** Records with seq > since in seq order, at most `limit`. */
  auditRecords(since: number, limit: number): Promise<AuditRecord[]>
  /** SCIM 2.0 directory sync: users, groups, devices refused by deactivation (issue 7). */
  readonly scim: ScimStorage
  /** Legal holds (issue 8, legal-hold.ts): a held conversation loses nothing until released. */
  readonly legalHold: LegalHoldStorage
  /** Attachment blobs: opaque ciphertext in chunks, resumable uploads (decision 0018). */
  readonly blobs: BlobStorage
}
