import assert from 'node:assert/strict'
import { decodeTuple, encodeTuple, randomBytes, utf8 } from './bytes.ts'
import { generateSigningKeyPair } from './ed25519.ts'
import {
  type EnvelopeHeader,
  MAX_ENVELOPE_PAYLOAD,
  padPayload,
  parseEnvelopeHeader,
  sealEnvelope,
  unpadPayload,
  verifyAndOpenEnvelope,
} from './envelope.ts'

const sender = generateSigningKeyPair()
const epochKey = randomBytes(32)
const header: EnvelopeHeader = {
  conversationId: 'conv-42',
  epoch: 3,
  senderDeviceId: 'dev-a',
  counter: 17,
}

function flipBit(blob: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(blob)
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

const ciphertextLength = (blob: Uint8Array): number => {
  const d = decodeTuple(blob, 3)
  assert.ok(d.ok)
  return d.value[1]!.length
}

Deno.test('sealEnvelope and verifyAndOpenEnvelope round-trip payloads of 0, 1, 252, 253, 255 and 5000 bytes', () => {
  for (const size of [0, 1, 252, 253, 255, 5000]) {
    const payload = randomBytes(size)
    const blob = sealEnvelope(header, payload, epochKey, sender.secretKey)
    const opened = verifyAndOpenEnvelope(blob, sender.publicKey, epochKey)
    assert.ok(opened.ok, `size ${size}`)
    assert.deepEqual(opened.value.payload, payload)
    assert.deepEqual(opened.value.header, header)
    assert.deepEqual(parseEnvelopeHeader(blob), { ok: true, value: header })
  }
})

Deno.test('envelope ciphertexts are padded to a power of two of at least 256 bytes (plus the tag)', () => {
  const expected: [number, number][] = [
    [0, 256],
    [1, 256],
    [252, 256],
    [253, 512],
    [255, 512],
    [508, 512],
    [509, 1024],
    [5000, 8192],
  ]
  for (const [size, padded] of expected) {
    assert.equal(padPayload(new Uint8Array(size)).length, padded, `padPayload(${size})`)
    const blob = sealEnvelope(header, new Uint8Array(size), epochKey, sender.secretKey)
    assert.equal(ciphertextLength(blob), padded + 16, `envelope of ${size}`)
  }
  for (let size = 0; size < 3000; size += 37) {
    const n = padPayload(new Uint8Array(size)).length
    assert.ok(
      n >= 256 && (n & (n - 1)) === 0 && n >= size + 4 && (n === 256 || n / 2 < size + 4),
      `size ${size} → ${n}`,
    )
  }
})

Deno.test('padPayload and unpadPayload round-trip and unpadPayload refuses a length past the end', () => {
  for (let size = 0; size < 600; size += 7) {
    const p = randomBytes(size)
    assert.deepEqual(unpadPayload(padPayload(p)), { ok: true, value: p })
  }
  const padded = padPayload(randomBytes(10))
  new DataView(padded.buffer).setUint32(0, padded.length - 3)
  assert.deepEqual(unpadPayload(padded), { ok: false, code: 'crypto/malformed' })
  assert.deepEqual(unpadPayload(new Uint8Array(3)), { ok: false, code: 'crypto/malformed' })
})

Deno.test('sealEnvelope accepts the maximum payload and throws on a larger one or a bad counter', () => {
  const max = sealEnvelope(header, new Uint8Array(MAX_ENVELOPE_PAYLOAD), epochKey, sender.secretKey)
  const opened = verifyAndOpenEnvelope(max, sender.publicKey, epochKey)
  assert.ok(opened.ok)
  assert.equal(opened.value.payload.length, MAX_ENVELOPE_PAYLOAD)
  assert.throws(
    () =>
      sealEnvelope(header, new Uint8Array(MAX_ENVELOPE_PAYLOAD + 1), epochKey, sender.secretKey),
    RangeError,
  )
  for (const counter of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1]) {
    assert.throws(
      () => sealEnvelope({ ...header, counter }, new Uint8Array(1), epochKey, sender.secretKey),
      RangeError,
    )
  }
})

Deno.test('verifyAndOpenEnvelope rejects every flipped bit (and accepts the original)', () => {
  const blob = sealEnvelope(header, utf8('BP 120/80, obs stable'), epochKey, sender.secretKey)
  assert.ok(verifyAndOpenEnvelope(blob, sender.publicKey, epochKey).ok)
  const accepted: number[] = []
  for (let bit = 0; bit < blob.length * 8; bit++) {
    if (verifyAndOpenEnvelope(flipBit(blob, bit), sender.publicKey, epochKey).ok) accepted.push(bit)
  }
  assert.deepEqual(accepted, [], `accepted after flipping bits ${accepted.join(', ')}`)
})

Deno.test('verifyAndOpenEnvelope refuses the wrong epoch key and the wrong sender key', () => {
  const blob = sealEnvelope(header, utf8('hello'), epochKey, sender.secretKey)
  assert.deepEqual(verifyAndOpenEnvelope(blob, sender.publicKey, randomBytes(32)), {
    ok: false,
    code: 'crypto/bad-tag',
  })
  assert.deepEqual(verifyAndOpenEnvelope(blob, generateSigningKeyPair().publicKey, epochKey), {
    ok: false,
    code: 'crypto/bad-signature',
  })
})

Deno.test('verifyAndOpenEnvelope never throws on a truncated envelope of any length', () => {
  const blob = sealEnvelope(header, utf8('truncate me'), epochKey, sender.secretKey)
  for (let n = 0; n < blob.length; n++) {
    for (const piece of [blob.subarray(0, n), blob.subarray(blob.length - n)]) {
      let ok = true
      assert.doesNotThrow(
        () => (ok = verifyAndOpenEnvelope(piece, sender.publicKey, epochKey).ok),
        `length ${n}`,
      )
      assert.equal(ok, false, `length ${n}`)
    }
  }
})

Deno.test('parseEnvelopeHeader refuses a non-canonical epoch or counter and an unknown version', () => {
  const nonce = randomBytes(24)
  const make = (fields: string[], n = nonce) =>
    encodeTuple([encodeTuple([...fields, n]), new Uint8Array(16), new Uint8Array(64)])
  assert.ok(parseEnvelopeHeader(make(['wardline/envelope/v1', 'c', '1', 'd', '2'])).ok)
  assert.deepEqual(parseEnvelopeHeader(make(['wardline/envelope/v1', 'c', '01', 'd', '2'])), {
    ok: false,
    code: 'crypto/malformed',
  })
  assert.deepEqual(parseEnvelopeHeader(make(['wardline/envelope/v1', 'c', '1', 'd', '-2'])), {
    ok: false,
    code: 'crypto/malformed',
  })
  assert.deepEqual(parseEnvelopeHeader(make(['wardline/envelope/v2', 'c', '1', 'd', '2'])), {
    ok: false,
    code: 'crypto/unknown-version',
  })
  assert.deepEqual(
    parseEnvelopeHeader(make(['wardline/envelope/v1', 'c', '1', 'd', '2'], randomBytes(12))),
    { ok: false, code: 'crypto/malformed' },
  )
})
