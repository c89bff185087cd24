/**
 * Signed receipts: "delivered / read up to relay sequence N" for one device in one conversation
 * (DESIGN §4). The relay stores the latest per device; clients verify before showing a tick.
 */
import { decodeTextTuple, decodeTuple, encodeTuple, parseCount } from './bytes.ts'
import { sign, verifySignature } from './ed25519.ts'
import { err, ok, type Result } from './result.ts'

const RECEIPT_TAG = 'wardline/receipt/v1'
export type Receipt = { conversationId: string; deviceId: string; delivered: number; read: number }

export function signReceipt(r: Receipt, secretKey: Uint8Array): Uint8Array {
  const body = encodeTuple([RECEIPT_TAG, r.conversationId, r.deviceId, String(r.delivered), String(r.read)])
  return encodeTuple([body, sign(body, secretKey)])
}

export function parseReceipt(blob: Uint8Array): Result<Receipt & { body: Uint8Array; signature: Uint8Array }> {
  const outer = decodeTuple(blob, 2)
  if (!outer.ok) return outer
  const [body, signature] = outer.value as [Uint8Array, Uint8Array]
  const f = decodeTextTuple(body, 5)
  if (!f.ok) return err('trust/malformed')
  const [tag, conversationId, deviceId, d, r] = f.value.text as [string, string, string, string, string]
  const delivered = parseCount(d)
  const read = parseCount(r)
  if (tag !== RECEIPT_TAG || delivered === null || read === null) return err('trust/malformed')
  return ok({ conversationId, deviceId, delivered, read, body, signature })
}

export function verifyReceipt(blob: Uint8Array, publicKey: Uint8Array): Result<Receipt> {
  const p = parseReceipt(blob)
  if (!p.ok) return p
  if (!verifySignature(p.value.signature, p.value.body, publicKey)) return err('trust/bad-receipt-signature')
  const { body: _b, signature: _s, ...r } = p.value
  return ok(r)
}
