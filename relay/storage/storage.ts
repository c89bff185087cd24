/**
 * The relay's storage interface (DESIGN §5): every SQL statement lives behind it, so SQLite (the
 * default) and Postgres (scale-out) are interchangeable and both run `contract.ts`. It stores
 * opaque blobs plus the few clear fields needed to route them; it never sees a key or plaintext.
 * Methods are async even though node:sqlite is synchronous, because Postgres is not.
 */

export type AuthorizationRow = {
  id: string
  blob: Uint8Array
  userId: string
  displayName: string
  role: string
  expiresAt: number
  usedByDeviceId: string | null
}

export type DeviceRow = {
  deviceId: string
  userId: string
  authorizationId: string
  binding: Uint8Array
}

export type KeyBoxRow = { recipientDeviceId: string; box: Uint8Array }

export type ConversationRow = { conversationId: string; manifest: Uint8Array; headSeq: number }

export type NewConversation = {
  conversationId: string
  manifest: Uint8Array
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

export type StoredEnvelope = { seq: number; envelope: Uint8Array }

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
  getDevice(deviceId: string): Promise<DeviceRow | null>
  /** Every registered device with the authorization it was enrolled under. */
  listDirectory(): Promise<{ authorization: Uint8Array; binding: Uint8Array }[]>

  /** The latest root-signed device policy blob, or null before an admin set one. */
  getPolicy(): Promise<Uint8Array | null>
  /** Stores the policy only if `version` is newer than the stored one. */
  putPolicy(blob: Uint8Array, version: number): Promise<'ok' | 'relay/stale-policy'>

  /** 'identical' when the conversation exists with a byte-identical manifest. */
  createConversation(c: NewConversation): Promise<'created' | 'identical' | 'exists'>
  getConversation(conversationId: string): Promise<ConversationRow | null>
  isMember(conversationId: string, deviceId: string): Promise<boolean>
  memberDeviceIds(conversationId: string): Promise<string[]>
  /** Conversations the device is a member of, with only the key boxes addressed to it. */
  conversationsOf(deviceId: string): Promise<(ConversationRow & { boxes: Uint8Array[] })[]>

  /**
   * Appends with the next gap-free sequence number of the conversation. A repeat of the same
   * (conversation, sender, epoch, counter) returns the stored seq with `duplicate: true`.
   */
  appendEnvelope(e: NewEnvelope): Promise<{ seq: number; duplicate: boolean }>
  /** Envelopes with seq > since in seq order, at most `limit` of them. */
  envelopesSince(conversationId: string, since: number, limit: number): Promise<StoredEnvelope[]>

  /** Keeps the receipt with the larger delivered+read; returns whether this one was stored. */
  putReceipt(
    conversationId: string,
    deviceId: string,
    receipt: Uint8Array,
    rank: number,
  ): Promise<boolean>
  receiptsOf(conversationId: string): Promise<StoredReceipt[]>

  close(): Promise<void>
}
