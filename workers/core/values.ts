/**
 * Serialises stored values (plain JSON plus Uint8Array) to bytes and back, so the encrypted store
 * can seal any record with one AEAD call. Bytes become `{ "$b": base64url }`.
 */
import { fromBase64url, fromUtf8, toBase64url, utf8 } from '../../crypto/bytes.ts'

export function encodeValue(value: unknown): Uint8Array {
  return utf8(JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? { $b: toBase64url(v) } : v)))
}

export function decodeValue<T>(bytes: Uint8Array): T {
  return JSON.parse(fromUtf8(bytes), (_k, v) =>
    v !== null && typeof v === 'object' && typeof v.$b === 'string' && Object.keys(v).length === 1
      ? fromBase64url(v.$b)
      : v) as T
}
