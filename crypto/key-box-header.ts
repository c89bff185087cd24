/**
 * The routing header of a key box (conversation, epoch, sender, recipient), readable without any
 * key. Kept apart from key-box.ts so that the relay imports no decryption (DESIGN §2).
 */
import { decodeText, decodeTuple } from './bytes.ts'
import { err, ok, type Result } from './result.ts'

export type BoxHeader = {
  conversationId: string
  epoch: number
  senderDeviceId: string
  recipientDeviceId: string
}

/** Reads the routing header of a box (untrusted until opened). */
export function parseKeyBoxHeader(blob: Uint8Array): Result<BoxHeader> {
  const outer = decodeTuple(blob, 2)
  if (!outer.ok) return outer
  const f = decodeTuple(outer.value[0]!, 7)
  if (!f.ok) return f
  const t = f.value.slice(0, 4).map(decodeText)
  if (t.some((x) => !x.ok)) return err('crypto/malformed')
  const [conversationId, epoch, senderDeviceId, recipientDeviceId] = t.map((x) => (x as { value: string }).value)
  const e = Number(epoch)
  if (!Number.isSafeInteger(e) || e < 0) return err('crypto/malformed')
  return ok({ conversationId: conversationId!, epoch: e, senderDeviceId: senderDeviceId!, recipientDeviceId: recipientDeviceId! })
}

