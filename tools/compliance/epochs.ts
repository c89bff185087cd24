/**
 * The membership side of a compliance export (decision 0019): the genesis and each commit,
 * verified with the author's root-chained key and chained to the commit before, and the epoch key
 * each one sealed to the compliance key, opened with the rebuilt compliance private key.
 */
import * as c from '../../crypto/mod.ts'

export type LogEntry = { seq: number; envelope: Uint8Array }

export type EpochInfo = {
  epoch: number
  /** Log position of the commit that started it (0 for the genesis). */
  seq: number
  change: string
  authorDeviceId: string
  memberUserIds: string[]
  deviceIds: string[]
  createdAt: number
  /** Whether the compliance box of this epoch opened. */
  keyOpened: boolean
}

export type Epoch = EpochInfo & { commitHash: Uint8Array; epochKey: Uint8Array | null }

/** What opening the epochs needs: the conversation, its genesis and keys, the directory. */
export type EpochInput = {
  conversationId: string
  genesis: Uint8Array
  /** Boxes the relay filed for the compliance recipient (the genesis box is among them). */
  complianceBoxes: Uint8Array[]
  devices: ReadonlyMap<string, c.VerifiedDevice>
  key: c.ComplianceKey
  secretKey: Uint8Array
}

function openComplianceBox(
  input: EpochInput,
  boxes: Uint8Array[],
  epoch: number,
  author: c.VerifiedDevice,
): Uint8Array | null {
  for (const box of boxes) {
    const h = c.parseKeyBoxHeader(box)
    if (!h.ok || h.value.epoch !== epoch) continue
    if (h.value.recipientDeviceId !== c.complianceRecipientId(input.key.keyId)) continue
    const label = c.complianceBoxLabel(input.key, {
      conversationId: input.conversationId,
      epoch,
      senderDeviceId: author.deviceId,
      senderSigningKey: author.signingPublicKey,
    })
    const opened = c.verifyAndOpenKeyBox(box, label, input.secretKey)
    if (opened.ok) return opened.value
  }
  return null
}

function epochOf(commit: c.Commit, seq: number, blob: Uint8Array, key: Uint8Array | null): Epoch {
  return {
    epoch: commit.epoch,
    seq,
    change: commit.change,
    authorDeviceId: commit.authorDeviceId,
    memberUserIds: [...commit.memberUserIds],
    deviceIds: [...commit.deviceIds],
    createdAt: commit.createdAt,
    keyOpened: key !== null,
    commitHash: c.commitHash(blob),
    epochKey: key,
  }
}

/** The genesis commit, verified with its author's key; null when it does not verify. */
export function openGenesis(input: EpochInput): Epoch | null {
  const parsed = c.parseCommit(input.genesis)
  const author = parsed.ok ? input.devices.get(parsed.value.authorDeviceId) : undefined
  if (!author) return null
  const g = c.verifyCommit(input.genesis, author.signingPublicKey)
  if (!g.ok || g.value.epoch !== 0 || g.value.conversationId !== input.conversationId) return null
  return epochOf(
    g.value,
    0,
    input.genesis,
    openComplianceBox(input, input.complianceBoxes, 0, author),
  )
}

/** A commit entry following `prev`: author a member of prev, chain intact; else a reason. */
export function openCommit(input: EpochInput, prev: Epoch, entry: LogEntry): Epoch | string {
  const decoded = c.decodeCommitEntry(entry.envelope)
  if (!decoded.ok) return 'malformed-commit'
  const parsed = c.parseCommit(decoded.value.commit)
  const author = parsed.ok ? input.devices.get(parsed.value.authorDeviceId) : undefined
  if (!author) return 'unknown-author'
  const v = c.verifyCommit(decoded.value.commit, author.signingPublicKey)
  if (!v.ok) return 'bad-signature'
  const commit = v.value
  if (commit.conversationId !== input.conversationId) return 'wrong-conversation'
  if (commit.epoch !== prev.epoch + 1 || !c.equalBytes(commit.prevHash, prev.commitHash)) {
    return 'broken-chain'
  }
  if (!prev.deviceIds.includes(author.deviceId)) return 'commit-by-non-member'
  const key = openComplianceBox(input, decoded.value.boxes, commit.epoch, author)
  return epochOf(commit, entry.seq, decoded.value.commit, key)
}
