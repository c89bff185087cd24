/**
 * The clear header of an envelope: what the relay may read for routing and idempotency. Kept
 * apart from envelope.ts so that the relay imports no decryption (DESIGN §2).
 */
import { decodeTextTuple, decodeTuple, parseCount } from './bytes.ts'
import { err, ok, type Result } from './result.ts'

export const ENVELOPE_VERSION = 'wardline/envelope/v1'
const NONCE_LENGTH = 24

export type EnvelopeHeader = {
  conversationId: string
  epoch: number
  senderDeviceId: string
  counter: number
}

/** Reads the header without authenticating it (relay routing, key lookup). */
export function parseEnvelopeHeader(blob: Uint8Array): Result<EnvelopeHeader> {
  const outer = decodeTuple(blob, 3)
  if (!outer.ok) return outer
  const f = decodeTextTuple(outer.value[0]!, 6, 5)
  if (!f.ok) return err('crypto/malformed')
  const [version, conversationId, epochText, senderDeviceId, counterText] = f.value.text as [string, string, string, string, string]
  if (version !== ENVELOPE_VERSION) return err('crypto/unknown-version')
  const epoch = parseCount(epochText)
  const counter = parseCount(counterText)
  if (epoch === null || counter === null || f.value.bytes[0]!.length !== NONCE_LENGTH) return err('crypto/malformed')
  return ok({ conversationId, epoch, senderDeviceId, counter })
}
