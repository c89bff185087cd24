/**
 * The clear header of an envelope: what the relay may read for routing and idempotency. Kept
 * apart from envelope.ts so that the relay imports no decryption (DESIGN §2).
 */
import { decodeText, decodeTuple } from './bytes.ts'
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
  const f = decodeTuple(outer.value[0]!, 6)
  if (!f.ok) return f
  const t = f.value.slice(0, 5).map(decodeText)
  if (t.some((x) => !x.ok)) return err('crypto/malformed')
  const [version, conversationId, epoch, senderDeviceId, counter] = t.map((x) => (x as { value: string }).value)
  if (version !== ENVELOPE_VERSION) return err('crypto/unknown-version')
  const e = Number(epoch)
  const c = Number(counter)
  if (!Number.isSafeInteger(e) || e < 0 || !Number.isSafeInteger(c) || c < 0) return err('crypto/malformed')
  if (String(e) !== epoch || String(c) !== counter) return err('crypto/malformed')
  if (f.value[5]!.length !== NONCE_LENGTH) return err('crypto/malformed')
  return ok({ conversationId: conversationId!, epoch: e, senderDeviceId: senderDeviceId!, counter: c })
}

