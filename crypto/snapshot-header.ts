/**
 * Parsing and signature checks of compaction snapshots (crypto/snapshot.ts seals and opens them):
 * what the relay may use — it checks who signed a snapshot and what it covers, never opens it.
 */
import { concatBytes, decodeText, decodeTuple, decodeTupleList, encodeTuple, equalBytes, parseCount } from './bytes.ts'
import { verifySignature } from './ed25519.ts'
import { sha256 } from './hkdf.ts'
import { err, ok, type Result } from './result.ts'

export const SNAPSHOT_VERSION = 'wardline/snapshot/v1'
/** Bytes per uploaded part: one part always fits a wire frame with room to spare. */
export const SNAPSHOT_PART_BYTES = 256 * 1024
/** Most parts one snapshot may have (16 MiB); a larger history is not snapshotted. */
export const MAX_SNAPSHOT_PARTS = 64
/** Most epoch segments in one snapshot. */
export const MAX_SNAPSHOT_SEGMENTS = 4096

export type SnapshotHead = {
  conversationId: string
  /** The last log position the snapshot covers: every entry up to it is in it. */
  seq: number
  /** The signer's log hash at `seq` (log-chain), where readers resume their own chain. */
  chainHash: Uint8Array
  /** The epoch in force at `seq` and the hash of the commit that started it. */
  epoch: number
  headHash: Uint8Array
  signerDeviceId: string
  createdAt: number
}

export type SealedSegment = { epoch: number; records: number; sealed: Uint8Array }
export type Snapshot = { head: SnapshotHead; segments: SealedSegment[] }

export function headBytes(head: SnapshotHead, bodyHash: Uint8Array): Uint8Array {
  return encodeTuple([
    SNAPSHOT_VERSION,
    head.conversationId,
    String(head.seq),
    head.chainHash,
    String(head.epoch),
    head.headHash,
    head.signerDeviceId,
    String(head.createdAt),
    bodyHash,
  ])
}

/** Parses a snapshot without verifying it (to find its signer). Never throws. */
export function parseSnapshot(blob: Uint8Array): Result<Snapshot> {
  const outer = decodeTuple(blob, 3)
  if (!outer.ok) return err('snapshot/malformed')
  const [h, , body] = outer.value as [Uint8Array, Uint8Array, Uint8Array]
  const f = decodeTuple(h, 9)
  if (!f.ok) return err('snapshot/malformed')
  const [versionB, conversationB, seqB, chainHash, epochB, headHash, signerB, createdB, bodyHash] = f.value as Uint8Array[]
  const texts = [versionB!, conversationB!, seqB!, epochB!, signerB!, createdB!].map(decodeText)
  if (!texts.every((t) => t.ok)) return err('snapshot/malformed')
  const [version, conversationId, seqText, epochText, signerDeviceId, createdText] = texts.map((t) => (t as { value: string }).value) as string[]
  const seq = parseCount(seqText)
  const epoch = parseCount(epochText)
  const createdAt = parseCount(createdText)
  if (
    version !== SNAPSHOT_VERSION || seq === null || epoch === null || createdAt === null ||
    chainHash!.length !== 32 || headHash!.length !== 32 || bodyHash!.length !== 32
  ) {
    return err('snapshot/malformed')
  }
  if (!equalBytes(sha256(body), bodyHash!)) return err('snapshot/malformed')
  const list = decodeTupleList(body, MAX_SNAPSHOT_SEGMENTS)
  if (!list.ok) return err('snapshot/malformed')
  const segments: SealedSegment[] = []
  for (const item of list.value) {
    const s = decodeTuple(item, 3)
    if (!s.ok) return err('snapshot/malformed')
    const e = decodeText(s.value[0]!)
    const r = decodeText(s.value[1]!)
    const segEpoch = e.ok ? parseCount(e.value) : null
    const records = r.ok ? parseCount(r.value) : null
    if (segEpoch === null || records === null || segEpoch > epoch) return err('snapshot/malformed')
    if (segments.some((x) => x.epoch === segEpoch)) return err('snapshot/malformed')
    segments.push({ epoch: segEpoch, records, sealed: s.value[2]! })
  }
  return ok({
    head: { conversationId: conversationId!, seq, chainHash: chainHash!, epoch, headHash: headHash!, signerDeviceId: signerDeviceId!, createdAt },
    segments,
  })
}

/** Parses and verifies the signer's signature over the head (which binds the body by hash). */
export function verifySnapshot(blob: Uint8Array, signerPublicKey: Uint8Array): Result<Snapshot> {
  const parsed = parseSnapshot(blob)
  if (!parsed.ok) return parsed
  const [h, sig] = (decodeTuple(blob, 3) as { value: Uint8Array[] }).value
  if (!verifySignature(sig!, h!, signerPublicKey)) return err('snapshot/bad-signature')
  return parsed
}

/** Splits a sealed snapshot into upload parts of SNAPSHOT_PART_BYTES. */
export function splitSnapshot(blob: Uint8Array, partBytes = SNAPSHOT_PART_BYTES): Uint8Array[] {
  const parts: Uint8Array[] = []
  for (let i = 0; i < blob.length; i += partBytes) parts.push(blob.slice(i, i + partBytes))
  if (parts.length === 0) parts.push(new Uint8Array(0))
  if (parts.length > MAX_SNAPSHOT_PARTS) throw new RangeError(`expected ≤ ${MAX_SNAPSHOT_PARTS} parts, got ${parts.length}`)
  return parts
}

export function joinSnapshot(parts: Uint8Array[]): Uint8Array {
  return concatBytes(...parts)
}
