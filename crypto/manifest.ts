/**
 * Conversation manifests: the signed, creator-authored list of member users and devices of a
 * conversation's first epoch. The relay routes by the device list but cannot change it unnoticed:
 * every client verifies the creator's signature and each device's chain before trusting it.
 */
import { decodeTextTuple, decodeTuple, encodeTuple, parseCount } from './bytes.ts'
import { sign, verifySignature } from './ed25519.ts'
import { err, ok, type Result } from './result.ts'

const MANIFEST_TAG = 'wardline/conversation/v1'

export type Manifest = {
  conversationId: string
  creatorDeviceId: string
  kind: 'direct' | 'group'
  memberUserIds: string[]
  deviceIds: string[]
  createdAt: number
}

function assertListItems(items: string[]): void {
  for (const i of items) {
    if (!i || i.includes('\n')) throw new TypeError(`expected non-empty ids without newlines, got ${JSON.stringify(i)}`)
  }
}

export function signManifest(m: Manifest, creatorSecretKey: Uint8Array): Uint8Array {
  assertListItems(m.memberUserIds)
  assertListItems(m.deviceIds)
  const body = encodeTuple([
    MANIFEST_TAG,
    m.conversationId,
    m.creatorDeviceId,
    m.kind,
    m.memberUserIds.join('\n'),
    m.deviceIds.join('\n'),
    String(m.createdAt),
  ])
  return encodeTuple([body, sign(body, creatorSecretKey)])
}

export function parseManifest(blob: Uint8Array): Result<Manifest & { body: Uint8Array; signature: Uint8Array }> {
  const outer = decodeTuple(blob, 2)
  if (!outer.ok) return outer
  const [body, signature] = outer.value as [Uint8Array, Uint8Array]
  const f = decodeTextTuple(body, 7)
  if (!f.ok) return err('trust/malformed')
  const [tag, conversationId, creatorDeviceId, kind, members, devices, created] = f.value.text as string[]
  const createdAt = parseCount(created)
  if (tag !== MANIFEST_TAG || (kind !== 'direct' && kind !== 'group') || createdAt === null) {
    return err('trust/malformed')
  }
  return ok({
    conversationId: conversationId!,
    creatorDeviceId: creatorDeviceId!,
    kind,
    memberUserIds: members ? members.split('\n') : [],
    deviceIds: devices ? devices.split('\n') : [],
    createdAt,
    body,
    signature,
  })
}

export function verifyManifest(blob: Uint8Array, creatorPublicKey: Uint8Array): Result<Manifest> {
  const p = parseManifest(blob)
  if (!p.ok) return p
  if (!verifySignature(p.value.signature, p.value.body, creatorPublicKey)) return err('trust/bad-manifest-signature')
  const { body: _b, signature: _s, ...m } = p.value
  return ok(m)
}
