/**
 * The one typed, versioned message protocol between the UI (main thread) and the Wardline worker
 * (DESIGN §2). The UI imports only this module from workers/: it never sees a key, and it sees
 * plaintext only for what it displays.
 *
 * Requests: `{ v: 1, id, method, params }` → response `{ v: 1, id, ok: true, result }` or
 * `{ v: 1, id, ok: false, error: { code, message } }`. Events: `{ v: 1, event, data }`.
 */
export const PROTOCOL_VERSION = 1

/** Shortest PIN or passphrase the worker accepts; the UI checks the same number before asking. */
export const MIN_PIN_LENGTH = 6

/**
 * Largest file a person can send, in bytes (decision 0018): pasted, dropped, picked or taken with
 * the camera alike. The worker checks it again, and the relay refuses larger blobs.
 */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024

/** What the app should show before anything else. */
export type AppPhase =
  | 'needs-setup' // relay's organisation not created yet: ask for the setup code
  | 'needs-enrollment' // this browser has no device: ask for an enrollment code
  | 'locked' // device enrolled: ask for the PIN
  | 'ready'

export type ConnectionState = 'online' | 'connecting' | 'offline'

export type Person = {
  userId: string
  displayName: string
  role: string
  deviceCount: number
  isMe: boolean
}

export type ConversationSummary = {
  conversationId: string
  kind: 'direct' | 'group'
  title: string // derived from member names on the device; never sent to the relay
  memberUserIds: string[]
  lastMessage: { body: string; authorName: string; at: number } | null
  unread: number
  /** This device is no longer a member (removed, or the conversation moved on without it). */
  removed: boolean
  /** Messages sent before this device was given their key (joined without shared history). */
  historyUnavailable: number
  /** The latest patient context a member set (a signed record inside the encrypted state). */
  patient?: PatientContext | null
}

/** Who a conversation is about (issue 9): set by any member, seen by all, never by the relay. */
export type PatientContext = { name: string; mrn: string; ward: string; bed: string }

/** What the on-device PHI detector (workers/core/phi.ts) flags. */
export type PhiKind = 'national-id' | 'dob' | 'date' | 'mrn' | 'phone' | 'name'
/** A flagged part of a text: UTF-16 offsets [start, end). */
export type PhiSpan = { start: number; end: number; kind: PhiKind }

export type DeviceView = {
  deviceId: string
  userId: string
  displayName: string
  revoked: boolean
  isThisDevice: boolean
  /** From the verified revocation certificate: who signed it, when, and the reason given. */
  revokedBy?: { by: string; at: number; reason: string; self: boolean } | null
}

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'not-sent'

export type MessageView = {
  id: string
  authorUserId: string
  authorName: string
  mine: boolean
  body: string
  createdAt: number // the author's clock: shown, never used for order
  seq: number | null // relay sequence; null while queued
  status: MessageStatus | null // only for own messages
  /** The author's device tagged it as likely PHI (signed inside the record); absent on untagged ones. */
  phi?: PhiKind[]
  /** A patient-context record (shown as a notice, not a bubble); body is then a plain summary. */
  patient?: PatientContext
  /** The file it carries (the caption is `body`); fetched and opened with `openAttachment`. */
  attachment?: AttachmentView
}

export type AttachmentView = {
  name: string
  mime: string
  size: number // plaintext bytes
  hasThumb: boolean // an encrypted thumbnail made on the sender's device
  /** Own message whose file the relay has not stored yet (it leaves the outbox after). */
  uploading: boolean
}

export type StatusSnapshot = {
  phase: AppPhase
  connection: ConnectionState
  queued: number // outbox items waiting
  me: { userId: string; displayName: string; role: string; deviceId: string } | null
  rootFingerprint: string | null // grouped base32, for comparing in person
  compliance: ComplianceSummary | null // the organisation's compliance key (lawful access)
  idleLockMinutes: number // the organisation policy's idle lock (web/idle-lock.ts)
  pinAttemptsLeft: number // wrong PINs left before this device wipes its data
  pinWaitMs?: number // how long the next PIN attempt must still wait after wrong ones (0: none)
  prfCredentialId: string | null // base64url id when "unlock with screen lock" is set up
  // Device lifecycle (decision 0012); optional so older snapshots still type-check.
  lease?: LeaseStatus
  maxSessionHours?: number // the policy's absolute session limit
  hasRootKey?: boolean // this (admin) device holds the organisation root key (decision 0016)
  allowFileExport?: boolean // organisation policy lets people save or share files out (decision 0018)
}

/** The offline lease as this device sees it (judged at its time high-water mark). */
export type LeaseStatus = {
  state: 'ok' | 'ending' | 'expired' | 'wipe' | 'none'
  locksAt: number | null // when the device locks unless it reaches the relay first
  wipesAt: number | null // when it erases its data, even if it never reconnects
}

/** The admin-set device policy fields (crypto/policy.ts signs them with the root key). */
export type PolicySettings = {
  minPinLength: number
  pinKind: 'any' | 'digits' | 'mixed'
  maxPinAttempts: number
  idleLockMinutes: number
  leaseHours?: number // offline lease window (decision 0012)
  leaseWipeDays?: number // days past the lease at which a device wipes itself
  maxSessionHours?: number // absolute session limit after an unlock
  allowFileExport?: boolean // files may be saved or shared out of the app (off by default)
}

/** Admin console (issue 7): one device of a person, with the relay's last login time. */
export type AdminDevice = {
  deviceId: string
  revoked: boolean
  /** The directory deactivated the user: the relay refuses the device, no certificate yet. */
  refused: boolean
  lastSeenAt: number | null
  isThisDevice: boolean
}

/**
 * A person as the admin console lists them: enrolled people from the verified directory, merged
 * with the SCIM directory's users (`getDirectoryUsers`) by their Wardline user id.
 */
export type AdminPerson = {
  userId: string
  displayName: string
  /** From the root-signed authorization; null for a directory user who never enrolled. */
  role: string | null
  /** The role the SCIM groups ask for (granted only by an enrollment code). */
  roleWish: string | null
  userName: string | null
  state: 'awaiting-enrollment' | 'enrolled' | 'deactivated' | 'disabled'
  fromDirectory: boolean
  devices: AdminDevice[]
  /** Devices the directory deactivated that still need a signed revocation. */
  toRevoke: string[]
  isMe: boolean
}

/** An enrollment code this admin device created (kept in its encrypted store). */
export type EnrollmentCodeView = {
  authorizationId: string
  userId: string
  displayName: string
  role: string
  createdAt: number
  expiresAt: number
  state: 'outstanding' | 'used' | 'expired' | 'revoked'
}

/** One audit record as the console shows it (relay/README.md "Audit log"). */
export type AuditRecordView = {
  seq: number
  time: number
  event: string
  /** A device id, `relay` or `scim`. */
  actor: string
  /** The actor device's person, from this device's verified directory (never from the relay). */
  actorName: string | null
  fields: Record<string, string>
}

/** A checkpoint this device signed of the audit head (decision 0013). */
export type AuditCheckpointView = { seq: number; time: number; hash: string }

/** Who can open conversations for the organisation: k of these n officers (DESIGN §1 rule 2). */
export type ComplianceSummary = { threshold: number; officers: string[]; fingerprint: string }

/** One officer's share of the compliance key, shown once at setup and never stored. */
export type ComplianceShareView = { officer: string; share: string }

/** A conversation under legal hold: who set it (device id) and when; `title` when this device is a member. */
export type LegalHoldView = { conversationId: string; setBy: string; setByName: string | null; setAt: number; title: string | null }

/** One admin's share of the organisation root key (decision 0016), shown once at setup and never stored. */
export type RootShareView = { holder: string; share: string }

export type Methods = {
  status: { params: Record<string, never>; result: StatusSnapshot }
  setupOrganisation: {
    params: {
      setupCode: string
      displayName: string
      pin: string
      complianceOfficers: string[] // one name per officer, 1..16, distinct
      complianceThreshold: number // shares needed to open a record, 1..officers
      rootHolders?: string[] // admins who each keep a share of the root key, 1..16, distinct
      rootThreshold?: number // shares needed to restore the root key, 1..holders
    }
    // The shares are returned here only, once: the worker keeps no copy.
    result: StatusSnapshot & { complianceShares: ComplianceShareView[]; rootShares: RootShareView[] }
  }
  /** Admin devices without the root key: rebuild it from k typed root key shares (decision 0016). */
  restoreRootKey: { params: { shares: string[] }; result: StatusSnapshot }
  enroll: { params: { code: string; pin: string }; result: StatusSnapshot }
  unlock: { params: { pin: string }; result: StatusSnapshot }
  lock: { params: Record<string, never>; result: StatusSnapshot }
  listPeople: { params: Record<string, never>; result: Person[] }
  listConversations: { params: Record<string, never>; result: ConversationSummary[] }
  createConversation: { params: { userIds: string[] }; result: { conversationId: string } }
  listMessages: { params: { conversationId: string }; result: MessageView[] }
  /** The worker detects PHI in `body` itself and tags the signed record with the kinds found. */
  sendMessage: { params: { conversationId: string; body: string; clientId: string }; result: { id: string } }
  /**
   * Sends a file (decision 0018). Images are decoded and re-encoded in the worker, which drops
   * EXIF/GPS and every other metadata, and get a thumbnail; everything is sealed in chunks before
   * it is stored or uploaded. Over MAX_ATTACHMENT_BYTES: `attachment/too-large`.
   */
  sendAttachment: {
    params: { conversationId: string; clientId: string; caption: string; name: string; mime: string; bytes: ArrayBuffer }
    result: { id: string }
  }
  /** The decrypted file or thumbnail of a message, after its signed hash is checked (memory only). */
  openAttachment: {
    params: { conversationId: string; recordId: string; part: 'file' | 'thumb' }
    result: { bytes: ArrayBuffer; mime: string; name: string }
  }
  /** Runs the PHI detector over a draft with the conversation's patient context (nothing is stored). */
  checkPhi: { params: { conversationId: string; text: string }; result: PhiSpan[] }
  /** Sets the conversation's patient context: a signed, PHI-tagged record every member sees. */
  setPatientContext: { params: { conversationId: string; patient: PatientContext; clientId: string }; result: { id: string } }
  markRead: { params: { conversationId: string }; result: null }
  addMembers: { params: { conversationId: string; userIds: string[]; shareHistory: boolean }; result: null }
  removeMembers: { params: { conversationId: string; userIds: string[] }; result: null }
  listDevices: { params: Record<string, never>; result: DeviceView[] }
  revokeDevice: { params: { deviceId: string; reason: string; pin: string }; result: null }
  /** 60 digits (12 groups of 5) and a QR payload over both people's non-revoked device keys. */
  safetyNumber: { params: { userId: string }; result: { digits: string; qrPayload: string } }
  /** The page's view of the network (workers do not always get online/offline events). */
  networkChanged: { params: { online: boolean }; result: null }
  createEnrollmentCode: {
    /**
     * With `userId`, a code for another device of an existing person (same name and role), or for
     * a directory (SCIM) user awaiting enrollment, who keeps that Wardline user id.
     */
    params: { displayName: string; role: string; validHours: number; userId?: string }
    result: { code: string; link: string; expiresAt: number }
  }
  /**
   * Admin devices only: sign the policy with the root key and upload it (next version). `pin` is
   * the device PIN asked again (re-authentication): checked like an unlock, wrong ones counted.
   */
  setPolicy: { params: Partial<PolicySettings> & { pin: string }; result: null }
  /** The organisation policy this device holds (verified against the pinned root). */
  getPolicy: { params: Record<string, never>; result: PolicySettings & { version: number } }
  /** Admin console: people from the verified directory and the SCIM directory, with last seen. */
  adminPeople: { params: Record<string, never>; result: AdminPerson[] }
  /** Root-signed revocations of these devices (disable a person, revoke a device); PIN asked again. */
  adminRevokeDevices: { params: { deviceIds: string[]; reason: string; pin: string }; result: { revoked: number } }
  /** Enrollment codes this admin device created, newest first. */
  listEnrollmentCodes: { params: Record<string, never>; result: EnrollmentCodeView[] }
  /** Revokes an unused code at the relay (`revokeAuthorization`); PIN asked again. */
  revokeEnrollmentCode: { params: { authorizationId: string; pin: string }; result: null }
  /** Admin console: the conversations under legal hold (decision 0019), with titles this device knows. */
  listLegalHolds: { params: Record<string, never>; result: LegalHoldView[] }
  /** Admin console: hold or release a conversation (PIN asked again); audited by the relay. */
  setLegalHold: { params: { conversationId: string; held: boolean; pin: string }; result: null }
  /**
   * Up to `limit` (1..100) audit records after seq `since`; with `newest`, the last `limit` records
   * (`since` is then the head's seq minus `limit`). `since` in the result is the one used.
   */
  auditRecords: { params: { since: number; limit: number; newest?: boolean }; result: { since: number; head: number | null; records: AuditRecordView[] } }
  /** Signs a checkpoint of the relay's audit head and keeps it in this device's encrypted store. */
  signAuditCheckpoint: { params: Record<string, never>; result: AuditCheckpointView }
  listAuditCheckpoints: { params: Record<string, never>; result: AuditCheckpointView[] }
  /** The whole audit log as JSON lines and the checkpoints file (`npm run audit:verify -- --checkpoints`). */
  exportAudit: { params: Record<string, never>; result: { records: string; checkpoints: string; count: number } }
  /** Wraps the local key a second time under a WebAuthn PRF output (wiped after posting). */
  enablePrfUnlock: { params: { credentialId: string; prfOutput: Uint8Array }; result: StatusSnapshot }
  unlockWithPrf: { params: { prfOutput: Uint8Array }; result: StatusSnapshot }
  /** Makes a recovery key (returned once, never stored as text) and uploads an encrypted key backup. */
  createRecoveryKey: { params: Record<string, never>; result: { recoveryKey: string; backedUp: boolean } }
  /** Opens the user's key backup with a typed recovery key and reads the history it unlocks. */
  restoreFromRecoveryKey: { params: { recoveryKey: string }; result: RestoreReport }
  keyBackupStatus: { params: Record<string, never>; result: KeyBackupStatus }
  /** Revokes this device at the relay with its own signature, then erases it (needs the relay). */
  removeThisDevice: { params: Record<string, never>; result: null }
  /** Shared-device sign-out at the end of a shift: revokes this profile's device registration
   * with its own signature, then erases this profile's database only (needs the relay). */
  signOut: { params: Record<string, never>; result: null }
  /**
   * One window of a conversation's messages in display order: `limit` (1..500) of them from index
   * `start`, or the newest `limit` when `start` is omitted. `total` counts them all, so a long
   * conversation is never sent to the page whole.
   */
  listMessagesPage: { params: { conversationId: string; start?: number; limit: number }; result: MessagePage }
  /** Messages on this device whose text holds every word of `query` (decrypted in memory only), newest first. */
  searchMessages: { params: { query: string; limit?: number }; result: SearchHit[] }
}

/** A window of a conversation: `messages` are those at indexes start..start+messages.length-1 of `total`. */
export type MessagePage = { messages: MessageView[]; start: number; total: number }

/** One message found by `searchMessages`: where it is, who wrote it, and the text around the match. */
export type SearchHit = {
  conversationId: string
  messageId: string
  title: string
  authorName: string
  at: number // the author's clock, as shown
  seq: number | null
  snippet: string
}
/** The encrypted key backup as this device sees it (docs/decisions/0007-key-backup.md). */
export type KeyBackupStatus = {
  enabled: boolean // this device holds the backup key and keeps the backup current
  version: number | null // the backup version this device last uploaded or read
  backedUpAt: number | null // when this device last uploaded it
  pending: boolean // new keys wait to be uploaded
  problem: string | null // code of the last failure, e.g. 'backup/key-replaced'
  offerRestore: boolean // a backup of this user exists and this device has not opened it
}

/** History still closed after a restore, per conversation, and why. */
export type UnavailableHistory = {
  conversationId: string
  title: string
  epochs: number[] // key periods (epochs) without a key on this device
  messages: number // messages kept sealed for want of those keys
  reason: 'not-in-backup' // none of your devices held the key when the backup was last updated
}

export type RestoreReport = {
  conversations: number // conversations on this device that gained keys
  epochs: number // epoch keys added to them
  messages: number // messages that could be opened now
  waiting: number // conversations in the backup not on this device yet: keys kept for when it is added
  unavailable: UnavailableHistory[]
}

export type Method = keyof Methods

export type Request<M extends Method = Method> = { v: 1; id: number; method: M; params: Methods[M]['params'] }
export type Response =
  | { v: 1; id: number; ok: true; result: unknown }
  | { v: 1; id: number; ok: false; error: { code: string; message: string } }

export type Events = {
  status: StatusSnapshot
  conversations: null // the list changed: call listConversations
  messages: { conversationId: string } // messages or statuses changed in one conversation
  people: null // directory changed
  alert: { code: string; message: string } // something the user must see (e.g. rejected device)
  /** The worker erased this device (code says why); the page erases the rest of the origin. */
  wiped: { code: 'local/device-revoked' | 'local/device-removed' | 'local/lease-wiped' | 'local/signed-out' }
  /** The worker locked itself (lease ran out, session limit): the page shows the lock screen. */
  locked: { code: 'local/lease-expired' | 'local/session-limit' }
  /** Admin devices: the directory deactivated a user; a person confirms revoking these devices. */
  userDeactivated: { userId: string; deviceIds: string[] }
}
export type EventName = keyof Events
export type EventMessage<E extends EventName = EventName> = { v: 1; event: E; data: Events[E] }

/**
 * The release-check worker (workers/release-check.worker.ts, decision 0010): one request, one
 * reply. 'waiting' verifies the release the server now offers against what the waiting service
 * worker downloaded; 'running' verifies the release this page runs (at launch).
 */
export type ReleaseCheckRequest = {
  v: 1
  kind: 'waiting' | 'running'
  /** Hex Ed25519 key pinned at install; never the key a new build carries. */
  pinnedPublicKey: string
  running: { version: string; releasedAt: number }
  /** The service worker registration's scope (names workbox's precache cache). */
  scope: string
}

export type ReleaseCheckCode =
  | 'release/unavailable' // release.json or a file could not be fetched (offline): try later
  | 'release/bad-signature' // not signed by the pinned key
  | 'release/malformed'
  | 'release/not-newer' // signed, but not newer than the running release (rollback)
  | 'release/hash-mismatch' // a downloaded file differs from the signed hash
  | 'release/missing-file' // a signed file is not in the new precache
  | 'release/other-version' // 'running' only: the server already offers another release

export type ReleaseCheckReply =
  | { v: 1; ok: true; version: string; releasedAt: number }
  | { v: 1; ok: false; code: ReleaseCheckCode; version: string | null }
