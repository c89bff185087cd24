/**
 * Byte helpers shared by every crypto module: concatenation, constant-time comparison, text and
 * base encodings, and a canonical length-prefixed tuple encoding for everything that is signed.
 * Pure functions over bytes; no DOM, no IndexedDB, no Deno API.
 */
import { bytesToHex, hexToBytes, randomBytes as nobleRandom } from '@noble/hashes/utils.js'
import { err, ok, type Result } from './result.ts'

export { bytesToHex, hexToBytes }

export function randomBytes(length: number): Uint8Array {
  return nobleRandom(length)
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** Compares in time independent of where the first difference is. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

export function wipe(...buffers: Uint8Array[]): void {
  for (const b of buffers) b.fill(0)
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
export const utf8 = (s: string): Uint8Array => encoder.encode(s)
export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b)
}

export function toBase64url(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!)
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

export function fromBase64url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new TypeError('expected base64url text')
  const bin = atob(s.replaceAll('-', '+').replaceAll('_', '/') + '==='.slice((s.length + 3) % 4))
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  // One text per value: refuse non-zero unused bits, so a signature has exactly one spelling.
  if (toBase64url(out) !== s) throw new TypeError('expected canonical base64url text')
  return out
}

/** Crockford base32 (no I, L, O, U) so typed codes survive handwriting and phone keyboards. */
const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
export function toBase32(b: Uint8Array): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of b) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31]
  return out
}

export function fromBase32(text: string, length: number): Result<Uint8Array> {
  const s = text.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0')
  if (s.length !== Math.ceil((length * 8) / 5)) return err('crypto/bad-encoding')
  const out = new Uint8Array(length)
  let bits = 0
  let value = 0
  let index = 0
  for (const ch of s) {
    const v = B32.indexOf(ch)
    if (v < 0) return err('crypto/bad-encoding')
    value = (value << 5) | v
    bits += 5
    if (bits >= 8) {
      out[index++] = (value >>> (bits - 8)) & 255
      bits -= 8
    }
  }
  // One text per value: the unused low bits of the last character must be zero.
  if ((value & ((1 << bits) - 1)) !== 0) return err('crypto/bad-encoding')
  return ok(out)
}

/**
 * Canonical tuple encoding: each field is a 4-byte big-endian length then its bytes. Strings are
 * UTF-8. One encoding per value, so a signature over it cannot be reinterpreted.
 */
export type Field = Uint8Array | string
export function encodeTuple(fields: readonly Field[]): Uint8Array {
  const parts: Uint8Array[] = []
  for (const f of fields) {
    const bytes = typeof f === 'string' ? utf8(f) : f
    const len = new Uint8Array(4)
    new DataView(len.buffer).setUint32(0, bytes.length)
    parts.push(len, bytes)
  }
  return concatBytes(...parts)
}

/** Decodes exactly `count` fields and requires that nothing is left over. */
export function decodeTuple(bytes: Uint8Array, count: number): Result<Uint8Array[]> {
  const out: Uint8Array[] = []
  let offset = 0
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.length) return err('crypto/malformed')
    const len = view.getUint32(offset)
    offset += 4
    if (offset + len > bytes.length) return err('crypto/malformed')
    out.push(bytes.subarray(offset, offset + len))
    offset += len
  }
  if (offset !== bytes.length) return err('crypto/malformed')
  return ok(out)
}

/** Decodes a tuple of any number of fields, up to `max` (a list such as key boxes). */
export function decodeTupleList(bytes: Uint8Array, max: number): Result<Uint8Array[]> {
  const out: Uint8Array[] = []
  let offset = 0
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  while (offset < bytes.length) {
    if (out.length >= max || offset + 4 > bytes.length) return err('crypto/malformed')
    const len = view.getUint32(offset)
    offset += 4
    if (offset + len > bytes.length) return err('crypto/malformed')
    out.push(bytes.subarray(offset, offset + len))
    offset += len
  }
  return ok(out)
}

/** Decodes UTF-8 that must be valid. */
export function decodeText(b: Uint8Array): Result<string> {
  try {
    return ok(fromUtf8(b))
  } catch {
    return err('crypto/malformed')
  }
}

/**
 * Decodes a tuple of `count` fields whose first `textCount` are UTF-8 text, the rest bytes. The
 * one shape every signed structure of the protocol parses with.
 */
export function decodeTextTuple(
  bytes: Uint8Array,
  count: number,
  textCount = count,
): Result<{ text: string[]; bytes: Uint8Array[] }> {
  const fields = decodeTuple(bytes, count)
  if (!fields.ok) return fields
  const text: string[] = []
  for (const f of fields.value.slice(0, textCount)) {
    const t = decodeText(f)
    if (!t.ok) return t
    text.push(t.value)
  }
  return ok({ text, bytes: fields.value.slice(textCount) })
}

/** A canonical non-negative decimal integer ("0", "17"; not "", "-1", "07", "1e3"), or null. */
export function parseCount(text: string | undefined): number | null {
  if (text === undefined || !/^(0|[1-9][0-9]*)$/.test(text)) return null
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : null
}
