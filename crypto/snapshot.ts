/**
 * Compaction snapshots (DESIGN §4): a member device states, under its signature, exactly which log
 * position a snapshot covers, the hash of the log as it received it up to there, and the epoch
 * and membership commit in force; each epoch's history segment is sealed under a key derived from
 * that epoch's key, so a device opens only the segments it was given keys for. The relay stores
 * the snapshot in parts, opaque, and may then prune the data entries it covers.
 *
 * Grammar: snapshot = tuple(head, signature, body); body = tuple(segment…);
 * segment = tuple(epoch, records, sealed); head = tuple(version, conversationId, seq, chainHash,
 * epoch, headHash, signerDeviceId, createdAt, sha256(body)).
 */
import { encodeTuple, utf8 } from './bytes.ts'
import { openAead, sealAead } from './aead.ts'
import { sign } from './ed25519.ts'
import { deriveKey, sha256 } from './hkdf.ts'
import { err, type Result } from './result.ts'
import { headBytes, MAX_SNAPSHOT_SEGMENTS, type SealedSegment, SNAPSHOT_VERSION, type SnapshotHead } from './snapshot-header.ts'

export * from './snapshot-header.ts'

const SEGMENT_KEY_INFO = utf8('wardline/snapshot-segment-key/v1')

function segmentKey(epochKey: Uint8Array): Uint8Array {
  return deriveKey(epochKey, undefined, SEGMENT_KEY_INFO)
}

function segmentAd(head: Pick<SnapshotHead, 'conversationId' | 'seq'>, epoch: number, records: number): Uint8Array {
  return encodeTuple([SNAPSHOT_VERSION, head.conversationId, String(head.seq), String(epoch), String(records)])
}

/**
 * Seals each segment under its epoch key and signs the whole. `plaintext` is what the engine
 * keeps of one epoch (opaque here); `records` how many messages it holds, so a reader without
 * that epoch's key can say how many it cannot open.
 */
export function sealSnapshot(
  head: SnapshotHead,
  segments: { epoch: number; records: number; plaintext: Uint8Array; epochKey: Uint8Array }[],
  signerSecretKey: Uint8Array,
): Uint8Array {
  if (segments.length > MAX_SNAPSHOT_SEGMENTS) throw new RangeError(`expected ≤ ${MAX_SNAPSHOT_SEGMENTS} segments`)
  if (head.chainHash.length !== 32 || head.headHash.length !== 32) throw new RangeError('expected 32-byte hashes')
  const body = encodeTuple(segments.map((s) =>
    encodeTuple([
      String(s.epoch),
      String(s.records),
      sealAead(segmentKey(s.epochKey), s.plaintext, segmentAd(head, s.epoch, s.records)),
    ])
  ))
  const h = headBytes(head, sha256(body))
  return encodeTuple([h, sign(h, signerSecretKey), body])
}

/** Opens one segment with its epoch's key. */
export function openSnapshotSegment(
  head: Pick<SnapshotHead, 'conversationId' | 'seq'>,
  segment: SealedSegment,
  epochKey: Uint8Array,
): Result<Uint8Array> {
  const opened = openAead(segmentKey(epochKey), segment.sealed, segmentAd(head, segment.epoch, segment.records))
  return opened.ok ? opened : err('snapshot/bad-segment')
}

