/**
 * The routing header of a key box (conversation, epoch, sender, recipient), readable without any
 * key. Kept apart from key-box.ts so that the relay imports no decryption (DESIGN §2).
 */
import { decodeTextTuple, decodeTuple, parseCount } from './bytes.ts'
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
  const f = decodeTextTuple(outer.value[0]!, 7, 4)
  if (!f.ok) return err('crypto/malformed')
  const [conversationId, epochText, senderDeviceId, recipientDeviceId] = f.value.text as [string, string, string, string]
  const epoch = parseCount(epochText)
  if (epoch === null) return err('crypto/malformed')
  return ok({ conversationId, epoch, senderDeviceId, recipientDeviceId })
}
