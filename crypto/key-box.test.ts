import assert from 'node:assert/strict'
import { randomBytes } from './bytes.ts'
import { generateSigningKeyPair } from './ed25519.ts'
import { type BoxLabel, parseKeyBoxHeader, sealKeyBox, verifyAndOpenKeyBox } from './key-box.ts'
import { generateAgreementKeyPair } from './x25519.ts'

const sender = generateSigningKeyPair()
const recipient = generateAgreementKeyPair()
const label: BoxLabel = {
  conversationId: 'conv-42',
  epoch: 5,
  senderDeviceId: 'dev-sender',
  senderSigningKey: sender.publicKey,
  recipientDeviceId: 'dev-recipient',
  recipientAgreementKey: recipient.publicKey,
}

function flipBit(blob: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(blob)
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

Deno.test('sealKeyBox and verifyAndOpenKeyBox round-trip a 32-byte epoch key', () => {
  const key = randomBytes(32)
  const box = sealKeyBox(key, label, sender.secretKey)
  assert.deepEqual(verifyAndOpenKeyBox(box, label, recipient.secretKey), { ok: true, value: key })
  assert.deepEqual(parseKeyBoxHeader(box), {
    ok: true,
    value: {
      conversationId: 'conv-42',
      epoch: 5,
      senderDeviceId: 'dev-sender',
      recipientDeviceId: 'dev-recipient',
    },
  })
  // Two boxes of the same key differ (fresh ephemeral key and nonce).
  assert.notDeepEqual(sealKeyBox(key, label, sender.secretKey), box)
})

Deno.test('sealKeyBox throws on a wrong-length key or an all-zero (low-order) recipient key', () => {
  assert.throws(() => sealKeyBox(randomBytes(16), label, sender.secretKey), RangeError)
  assert.throws(
    () =>
      sealKeyBox(
        randomBytes(32),
        { ...label, recipientAgreementKey: new Uint8Array(32) },
        sender.secretKey,
      ),
    TypeError,
  )
})

Deno.test('verifyAndOpenKeyBox rejects every flipped bit (and accepts the original)', () => {
  const box = sealKeyBox(randomBytes(32), label, sender.secretKey)
  assert.ok(verifyAndOpenKeyBox(box, label, recipient.secretKey).ok)
  const accepted: number[] = []
  for (let bit = 0; bit < box.length * 8; bit++) {
    if (verifyAndOpenKeyBox(flipBit(box, bit), label, recipient.secretKey).ok) accepted.push(bit)
  }
  assert.deepEqual(accepted, [], `accepted after flipping bits ${accepted.join(', ')}`)
})

Deno.test('verifyAndOpenKeyBox refuses a box opened with a label for another epoch, recipient, sender or conversation', () => {
  const box = sealKeyBox(randomBytes(32), label, sender.secretKey)
  const other = generateAgreementKeyPair()
  const cases: [string, BoxLabel, string][] = [
    ['epoch', { ...label, epoch: 6 }, 'crypto/box-mislabelled'],
    ['conversation', { ...label, conversationId: 'conv-43' }, 'crypto/box-mislabelled'],
    ['recipient device', { ...label, recipientDeviceId: 'dev-other' }, 'crypto/box-mislabelled'],
    ['sender device', { ...label, senderDeviceId: 'dev-other' }, 'crypto/box-mislabelled'],
    [
      'recipient agreement key',
      { ...label, recipientAgreementKey: other.publicKey },
      'crypto/bad-signature',
    ],
    [
      'sender signing key',
      { ...label, senderSigningKey: generateSigningKeyPair().publicKey },
      'crypto/bad-signature',
    ],
  ]
  for (const [what, l, code] of cases) {
    assert.deepEqual(verifyAndOpenKeyBox(box, l, recipient.secretKey), { ok: false, code }, what)
  }
  // Another device's secret key cannot open it either.
  assert.deepEqual(verifyAndOpenKeyBox(box, label, other.secretKey), {
    ok: false,
    code: 'crypto/bad-tag',
  })
})

Deno.test('a key box sealed for one recipient cannot be relabelled for another by the relay', () => {
  const other = generateAgreementKeyPair()
  const otherLabel = {
    ...label,
    recipientDeviceId: 'dev-other',
    recipientAgreementKey: other.publicKey,
  }
  const box = sealKeyBox(randomBytes(32), label, sender.secretKey)
  assert.equal(verifyAndOpenKeyBox(box, otherLabel, other.secretKey).ok, false)
})

Deno.test('verifyAndOpenKeyBox never throws on a truncated box of any length', () => {
  const box = sealKeyBox(randomBytes(32), label, sender.secretKey)
  for (let n = 0; n < box.length; n++) {
    for (const piece of [box.subarray(0, n), box.subarray(box.length - n)]) {
      let ok = true
      assert.doesNotThrow(
        () => (ok = verifyAndOpenKeyBox(piece, label, recipient.secretKey).ok),
        `length ${n}`,
      )
      assert.equal(ok, false, `length ${n}`)
    }
  }
})
