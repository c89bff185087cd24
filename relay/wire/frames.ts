/**
 * The WebSocket wire frames between devices and the relay — the one module both sides import
 * (DESIGN §2). Pure TypeScript over lib0's binary encoding: no Deno API, no DOM, no decryption.
 * Every frame is a type tag followed by its fields in the order of FRAME_FIELDS; the grammar is
 * written out in docs/PROTOCOL.md. `decodeFrame` never throws on untrusted bytes.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

type FieldKind = 'str' | 'bytes' | 'uint' | 'strs' | 'byteses'
type KindType<K extends FieldKind> = K extends 'str' ? string
  : K extends 'bytes' ? Uint8Array
  : K extends 'uint' ? number
  : K extends 'strs' ? string[]
  : Uint8Array[]

/** Field lists per frame type. The numeric tag is the index in FRAME_TYPES; append only. */
export const FRAME_FIELDS = {
  // relay → device
  challenge: { nonce: 'bytes', origin: 'str' },
  ready: { deviceId: 'str', userId: 'str', role: 'str' },
  error: { code: 'str', ref: 'str' },
  ack: { ref: 'str', conversationId: 'str', seq: 'uint' },
  envelope: { conversationId: 'str', seq: 'uint', envelope: 'bytes' },
  caughtUp: { conversationId: 'str', seq: 'uint' },
  conversation: { conversationId: 'str', manifest: 'bytes', boxes: 'byteses', headSeq: 'uint' },
  receiptUpdate: { conversationId: 'str', deviceId: 'str', receipt: 'bytes' },
  directory: { rootPublicKey: 'bytes', entries: 'byteses' },
  directoryChanged: {},
  pong: { nonce: 'uint' },
  // device → relay
  login: { deviceId: 'str', signature: 'bytes' },
  subscribe: { conversationId: 'str', since: 'uint' },
  send: { ref: 'str', conversationId: 'str', envelope: 'bytes' },
  createConversation: { ref: 'str', conversationId: 'str', manifest: 'bytes', deviceIds: 'strs', boxes: 'byteses' },
  receipt: { conversationId: 'str', receipt: 'bytes' },
  getDirectory: {},
  putAuthorization: { ref: 'str', authorization: 'bytes' },
  ping: { nonce: 'uint' },
  // membership epochs and device revocation (appended; tags are indexes)
  commit: { ref: 'str', conversationId: 'str', entry: 'bytes' },
  revokeDevice: { ref: 'str', revocation: 'bytes' },
  rotationPending: { conversationId: 'str', epoch: 'uint' },
  putPolicy: { ref: 'str', policy: 'bytes' },
  // compaction (appended): a member uploads an encrypted snapshot in parts; catch-up behind the
  // pruned point starts with the snapshot's parts
  putSnapshot: { ref: 'str', conversationId: 'str', seq: 'uint', index: 'uint', count: 'uint', part: 'bytes' },
  snapshotPart: { conversationId: 'str', seq: 'uint', index: 'uint', count: 'uint', part: 'bytes' },
  // encrypted key backup of the user's epoch keys (appended)
  putKeyBackup: { ref: 'str', backup: 'bytes' },
  getKeyBackup: { ref: 'str' },
  keyBackup: { ref: 'str', backup: 'bytes' },
  // device lifecycle (appended): a revoked device is shown its own revocation certificate (and
  // the signing sibling's directory entry, empty for the root) so it can verify before it wipes;
  // every login gets a relay-signed offline lease (docs/decisions/0012-device-lifecycle.md)
  revoked: { certificate: 'bytes', signer: 'bytes' },
  lease: { lease: 'bytes' },
  renewLease: {},
  // audit log (appended; issue 8, docs/decisions/0013-audit-log.md): a device appends an event it
  // signed (crypto/audit.ts claim); admin and compliance devices read the head and the records
  putAuditEvent: { ref: 'str', claim: 'bytes', signature: 'bytes' },
  getAuditHead: { ref: 'str' },
  auditHead: { ref: 'str', seq: 'uint', hash: 'bytes', time: 'uint' },
  getAuditRecords: { ref: 'str', since: 'uint', limit: 'uint' },
  auditRecords: { ref: 'str', lines: 'strs' },
  // directory sync (appended, issue 7, decision 0014): an admin device lists the SCIM users a
  // page at a time (each entry UTF-8 JSON, docs/PROTOCOL.md; `next` 0 on the last page) and is
  // told when the directory deactivated a user whose devices it should revoke
  getDirectoryUsers: { ref: 'str', offset: 'uint' },
  directoryUsers: { ref: 'str', users: 'byteses', next: 'uint' },
  userDeactivated: { userId: 'str', deviceIds: 'strs' },
  // legal hold (appended; issue 8, docs/decisions/0019-compliance-export.md): an admin or
  // compliance device holds a conversation (nothing of it is pruned until released) or releases
  // it, acked with seq 0; `legalHolds` lists the held ones as UTF-8 JSON lines
  setLegalHold: { ref: 'str', conversationId: 'str' },
  releaseLegalHold: { ref: 'str', conversationId: 'str' },
  getLegalHolds: { ref: 'str' },
  legalHolds: { ref: 'str', lines: 'strs' },
  // admin console (appended, issue 7): revoke an unused enrollment authorization (acked), and
  // read each device's last login time (one JSON object per line: { deviceId, lastSeenAt })
  revokeAuthorization: { ref: 'str', authorizationId: 'str' },
  getDevicesSeen: { ref: 'str' },
  devicesSeen: { ref: 'str', lines: 'strs' },
  // attachment blobs (appended, issue 9, decision 0018): a device uploads a blob's sealed chunks
  // in order (`size` and `count` the same in each), asks where to resume after a reconnect, and
  // fetches the chunks of a complete blob; `blobAck` answers both puts and status requests
  putBlobChunk: { ref: 'str', blobId: 'str', size: 'uint', count: 'uint', index: 'uint', chunk: 'bytes' },
  getBlobStatus: { ref: 'str', blobId: 'str' },
  blobAck: { ref: 'str', blobId: 'str', stored: 'uint', count: 'uint', complete: 'uint' },
  getBlobChunk: { ref: 'str', blobId: 'str', index: 'uint' },
  blobChunk: { ref: 'str', blobId: 'str', index: 'uint', count: 'uint', chunk: 'bytes' },
} as const satisfies Record<string, Record<string, FieldKind>>

export type FrameType = keyof typeof FRAME_FIELDS
export const FRAME_TYPES = Object.keys(FRAME_FIELDS) as FrameType[]

export type Frame = {
  [T in FrameType]: { type: T } & { -readonly [F in keyof (typeof FRAME_FIELDS)[T]]: KindType<(typeof FRAME_FIELDS)[T][F] & FieldKind> }
}[FrameType]
export type FrameOf<T extends FrameType> = Extract<Frame, { type: T }>

/** Largest frame either side accepts (DESIGN §5; the relay closes with 1009 above it). */
export const MAX_FRAME_BYTES = 512 * 1024
/**
 * Attachments (decision 0018): the largest file a device sends, in plaintext bytes; the sealed
 * chunk length (256 KiB of plaintext plus a 24-byte nonce and a 16-byte tag, crypto/attachment.ts)
 * every chunk but a blob's last has; and the largest blob the relay stores (the file plus each
 * chunk's 40 bytes). The device refuses a larger file before encrypting it, and the relay a
 * larger blob (`blob/too-large`).
 */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
export const BLOB_CHUNK_BYTES = 256 * 1024 + 40
export const MAX_BLOB_BYTES = MAX_ATTACHMENT_BYTES + 40 * Math.ceil(MAX_ATTACHMENT_BYTES / (256 * 1024))
/** Blob ids are 32 random bytes in base64url, made by the uploading device: an unguessable capability. */
export const BLOB_ID = /^[A-Za-z0-9_-]{43}$/

/** Largest list inside one frame (boxes, device ids, directory entries). */
export const MAX_LIST_ITEMS = 10_000

export function encodeFrame(frame: Frame): Uint8Array {
  const tag = FRAME_TYPES.indexOf(frame.type)
  if (tag < 0) throw new TypeError(`expected a known frame type, got ${String(frame.type)}`)
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, tag)
  const fields = FRAME_FIELDS[frame.type] as Record<string, FieldKind>
  const values = frame as unknown as Record<string, unknown>
  for (const [name, kind] of Object.entries(fields)) {
    const v = values[name]
    switch (kind) {
      case 'str': encoding.writeVarString(enc, v as string); break
      case 'bytes': encoding.writeVarUint8Array(enc, v as Uint8Array); break
      case 'uint': encoding.writeVarUint(enc, v as number); break
      case 'strs':
        encoding.writeVarUint(enc, (v as string[]).length)
        for (const s of v as string[]) encoding.writeVarString(enc, s)
        break
      case 'byteses':
        encoding.writeVarUint(enc, (v as Uint8Array[]).length)
        for (const b of v as Uint8Array[]) encoding.writeVarUint8Array(enc, b)
        break
    }
  }
  return encoding.toUint8Array(enc)
}

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; code: 'relay/malformed-frame' }

function readList<T>(dec: decoding.Decoder, read: () => T): T[] {
  const n = decoding.readVarUint(dec)
  if (n > MAX_LIST_ITEMS) throw new RangeError('list too long')
  const out: T[] = []
  for (let i = 0; i < n; i++) out.push(read())
  return out
}

/** Parses untrusted bytes into a typed frame; anything unexpected is `relay/malformed-frame`. */
export function decodeFrame(bytes: Uint8Array): DecodeResult {
  try {
    const dec = decoding.createDecoder(bytes)
    const type = FRAME_TYPES[decoding.readVarUint(dec)]
    if (type === undefined) return { ok: false, code: 'relay/malformed-frame' }
    const out: Record<string, unknown> = { type }
    for (const [name, kind] of Object.entries(FRAME_FIELDS[type] as Record<string, FieldKind>)) {
      switch (kind) {
        case 'str': out[name] = decoding.readVarString(dec); break
        case 'bytes': out[name] = decoding.readVarUint8Array(dec).slice(); break
        case 'uint': out[name] = decoding.readVarUint(dec); break
        case 'strs': out[name] = readList(dec, () => decoding.readVarString(dec)); break
        case 'byteses': out[name] = readList(dec, () => decoding.readVarUint8Array(dec).slice()); break
      }
    }
    if (decoding.hasContent(dec)) return { ok: false, code: 'relay/malformed-frame' }
    return { ok: true, frame: out as Frame }
  } catch {
    return { ok: false, code: 'relay/malformed-frame' }
  }
}
