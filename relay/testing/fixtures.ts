/**
 * Test-only builders of real trust chains, envelopes, key boxes, membership commits, revocation
 * certificates and receipts, made
 * with crypto/'s signing and sealing functions exactly as a device would make them. Only tests
 * import this folder; relay code must not (it would pull sealing into the server).
 */
import { sha256 } from '../../crypto/hkdf.ts'
import { randomBytes } from '../../crypto/bytes.ts'
import { generateSigningKeyPair, sign, type SigningKeyPair } from '../../crypto/ed25519.ts'
import { type AgreementKeyPair, generateAgreementKeyPair } from '../../crypto/x25519.ts'
import {
  authorizationId,
  deriveEnrollmentKey,
  deviceIdFromKey,
  loginChallengeMessage,
  rootFingerprint,
  signAuthorization,
  signDeviceBinding,
} from '../../crypto/trust.ts'
import { complianceKeyId, complianceRecipientId, signComplianceCertificate } from '../../crypto/compliance.ts'
import { sealEnvelope } from '../../crypto/envelope.ts'
import { sealKeyBox } from '../../crypto/key-box.ts'
import {
  type CommitChange,
  commitHash,
  encodeCommitEntry,
  GENESIS_PREV_HASH,
  signCommit,
} from '../../crypto/commit.ts'
import { signRevocation } from '../../crypto/revocation.ts'
import { signReceipt } from '../../crypto/receipt.ts'

export type TestOrg = {
  root: SigningKeyPair
  fingerprint: Uint8Array
  /** The compliance key pair (whole, unlike a real setup: tests may open boxes with it). */
  compliance: AgreementKeyPair
  complianceCertificate: Uint8Array
}

export type TestAuthorization = {
  blob: Uint8Array
  id: string
  userId: string
  enroll: SigningKeyPair
  /** The organisation's compliance public key: fixtures seal every epoch key to it, as clients do. */
  compliancePublicKey: Uint8Array
}

export type TestDevice = {
  deviceId: string
  userId: string
  signing: SigningKeyPair
  agreement: AgreementKeyPair
  binding: Uint8Array
  authorization: TestAuthorization
}

export function createTestOrg(): TestOrg {
  const root = generateSigningKeyPair()
  const compliance = generateAgreementKeyPair()
  const complianceCertificate = signComplianceCertificate({
    agreementPublicKey: compliance.publicKey,
    threshold: 2,
    officers: ['Compliance officer 1', 'Compliance officer 2', 'Compliance officer 3'],
    createdAt: Date.now(),
  }, root.secretKey)
  return { root, fingerprint: rootFingerprint(root.publicKey), compliance, complianceCertificate }
}

export function createAuthorization(
  org: TestOrg,
  options: { userId: string; role?: string; displayName?: string; expiresAt?: number },
): TestAuthorization {
  const enroll = deriveEnrollmentKey(randomBytes(16), org.fingerprint)
  const blob = signAuthorization({
    userId: options.userId,
    displayName: options.displayName ?? `Name of ${options.userId}`,
    role: options.role ?? 'member',
    expiresAt: options.expiresAt ?? Date.now() + 3_600_000,
    enrollPublicKey: enroll.publicKey,
  }, org.root.secretKey)
  return { blob, id: authorizationId(enroll.publicKey), userId: options.userId, enroll, compliancePublicKey: org.compliance.publicKey }
}

export function createDevice(authorization: TestAuthorization): TestDevice {
  const signing = generateSigningKeyPair()
  const agreement = generateAgreementKeyPair()
  const binding = signDeviceBinding(
    {
      authorizationHash: sha256(authorization.blob),
      userId: authorization.userId,
      signingPublicKey: signing.publicKey,
      agreementPublicKey: agreement.publicKey,
    },
    authorization.enroll.secretKey,
    signing.secretKey,
  )
  const deviceId = deviceIdFromKey(signing.publicKey)
  return { deviceId, userId: authorization.userId, signing, agreement, binding, authorization }
}

export function signLogin(device: TestDevice, origin: string, nonce: Uint8Array): Uint8Array {
  return sign(loginChallengeMessage(origin, nonce, device.deviceId), device.signing.secretKey)
}

/** A real sealed envelope (random epoch key: the relay never opens it anyway). */
export function sealTestEnvelope(
  device: TestDevice,
  conversationId: string,
  counter: number,
  epoch = 0,
  /** Pads the payload to this many bytes (slow-reader and memory tests need large envelopes). */
  payloadBytes = 0,
): Uint8Array {
  const text = new TextEncoder().encode(`payload ${counter}`)
  const payload = new Uint8Array(Math.max(text.length, payloadBytes))
  payload.set(text)
  return sealEnvelope(
    { conversationId, epoch, senderDeviceId: device.deviceId, counter },
    payload,
    randomBytes(32),
    device.signing.secretKey,
  )
}

/** A key box from `sender` to one recipient (a device, or any id with an agreement key). */
export function sealTestBox(
  sender: TestDevice,
  recipient: { deviceId: string; agreementKey: Uint8Array },
  conversationId: string,
  epoch: number,
  key: Uint8Array = randomBytes(32),
): Uint8Array {
  return sealKeyBox(key, {
    conversationId,
    epoch,
    senderDeviceId: sender.deviceId,
    senderSigningKey: sender.signing.publicKey,
    recipientDeviceId: recipient.deviceId,
    recipientAgreementKey: recipient.agreementKey,
  }, sender.signing.secretKey)
}

const boxTo = (d: TestDevice) => ({ deviceId: d.deviceId, agreementKey: d.agreement.publicKey })

/** The compliance recipient of the author's organisation (key id, and the box address). */
const complianceOf = (author: TestDevice) => {
  const keyId = complianceKeyId(author.authorization.compliancePublicKey)
  return { keyId, to: { deviceId: complianceRecipientId(keyId), agreementKey: author.authorization.compliancePublicKey } }
}

/** The fields of a createConversation frame: a signed genesis commit and one key box per member. */
export function createTestConversation(
  creator: TestDevice,
  members: TestDevice[],
  conversationId: string,
) {
  const all = [creator, ...members.filter((m) => m.deviceId !== creator.deviceId)]
  const deviceIds = all.map((d) => d.deviceId)
  const manifest = signCommit({
    conversationId,
    epoch: 0,
    prevHash: GENESIS_PREV_HASH,
    authorDeviceId: creator.deviceId,
    change: 'create',
    kind: all.length === 2 ? 'direct' : 'group',
    memberUserIds: [...new Set(all.map((d) => d.userId))],
    deviceIds,
    historyShared: false,
    createdAt: Date.now(),
    complianceKeyId: complianceOf(creator).keyId,
  }, creator.signing.secretKey)
  const key = randomBytes(32)
  const boxes = [...all.map(boxTo), complianceOf(creator).to].map((to) => sealTestBox(creator, to, conversationId, 0, key))
  return { conversationId, manifest, deviceIds, boxes }
}

export type TestCommit = { commit: Uint8Array; entry: Uint8Array; hash: Uint8Array }

/**
 * A signed commit for `epoch` after the commit blob `prev` (the genesis, or the commit of the
 * epoch before), in a commit entry with a fresh epoch key sealed by the author to each device.
 * `boxes` replaces those boxes; `extraBoxes` adds to them (compliance, earlier epochs, bad ones).
 */
export function createTestCommit(author: TestDevice, options: {
  conversationId: string
  epoch: number
  prev: Uint8Array
  devices: TestDevice[]
  change?: CommitChange
  deviceIds?: string[]
  boxes?: Uint8Array[]
  extraBoxes?: Uint8Array[]
  prevHash?: Uint8Array
}): TestCommit {
  const devices = options.devices
  const commit = signCommit({
    conversationId: options.conversationId,
    epoch: options.epoch,
    prevHash: options.prevHash ?? commitHash(options.prev),
    authorDeviceId: author.deviceId,
    change: options.change ?? 'rotate',
    kind: 'group',
    memberUserIds: [...new Set(devices.map((d) => d.userId))],
    deviceIds: options.deviceIds ?? devices.map((d) => d.deviceId),
    historyShared: false,
    createdAt: Date.now(),
    complianceKeyId: complianceOf(author).keyId,
  }, author.signing.secretKey)
  const key = randomBytes(32)
  const boxes = options.boxes ??
    [...devices.map(boxTo), complianceOf(author).to].map((to) => sealTestBox(author, to, options.conversationId, options.epoch, key))
  const entry = encodeCommitEntry(commit, [...boxes, ...(options.extraBoxes ?? [])])
  return { commit, entry, hash: commitHash(commit) }
}

/** A revocation certificate for `deviceId`, signed by the org root or by one of the user's devices. */
export function signTestRevocation(
  deviceId: string,
  signer: TestOrg | TestDevice,
  reason = 'lost',
): Uint8Array {
  const byRoot = 'root' in signer
  return signRevocation(
    { deviceId, revokedAt: Date.now(), signer: byRoot ? 'root' : signer.deviceId, reason },
    byRoot ? signer.root.secretKey : signer.signing.secretKey,
  )
}

export function signTestReceipt(
  device: TestDevice,
  conversationId: string,
  delivered: number,
  read: number,
): Uint8Array {
  return signReceipt(
    { conversationId, deviceId: device.deviceId, delivered, read },
    device.signing.secretKey,
  )
}
