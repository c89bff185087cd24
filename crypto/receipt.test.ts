import assert from 'node:assert/strict'
import { generateSigningKeyPair } from './ed25519.ts'
import { parseReceipt, type Receipt, signReceipt, verifyReceipt } from './receipt.ts'

const device = generateSigningKeyPair()
const receipt: Receipt = {
  conversationId: 'conv-1',
  deviceId: 'dev-b',
  delivered: 1200,
  read: 1187,
}

function flipBit(blob: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(blob)
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

Deno.test('signReceipt and verifyReceipt round-trip a receipt', () => {
  assert.deepEqual(verifyReceipt(signReceipt(receipt, device.secretKey), device.publicKey), {
    ok: true,
    value: receipt,
  })
  const zero = { ...receipt, delivered: 0, read: 0 }
  assert.deepEqual(verifyReceipt(signReceipt(zero, device.secretKey), device.publicKey), {
    ok: true,
    value: zero,
  })
})

Deno.test('verifyReceipt rejects every flipped bit (and accepts the original)', () => {
  const blob = signReceipt(receipt, device.secretKey)
  assert.ok(verifyReceipt(blob, device.publicKey).ok)
  const accepted: number[] = []
  for (let bit = 0; bit < blob.length * 8; bit++) {
    if (verifyReceipt(flipBit(blob, bit), device.publicKey).ok) accepted.push(bit)
  }
  assert.deepEqual(accepted, [])
})

Deno.test('verifyReceipt refuses another device key and never throws on truncation', () => {
  const blob = signReceipt(receipt, device.secretKey)
  assert.deepEqual(verifyReceipt(blob, generateSigningKeyPair().publicKey), {
    ok: false,
    code: 'trust/bad-receipt-signature',
  })
  for (let n = 0; n < blob.length; n++) {
    assert.equal(verifyReceipt(blob.subarray(0, n), device.publicKey).ok, false)
  }
  assert.ok(parseReceipt(blob).ok)
})
