/**
 * Envelope sealing and opening against a baseline measured in the same run: the bare AEAD
 * (XChaCha20-Poly1305) and a bare Ed25519 sign/verify, so the overhead of the protocol layer is
 * visible as a ratio independent of the machine. Prints one JSON line.
 *
 *   deno run -A bench/envelope.bench.ts
 */
import * as c from '../crypto/mod.ts'

function measure(name: string, fn: () => void, ms = 600): { name: string; opsPerSec: number } {
  for (let i = 0; i < 20; i++) fn()
  let n = 0
  const t0 = performance.now()
  while (performance.now() - t0 < ms) {
    fn()
    n++
  }
  return { name, opsPerSec: Math.round((n * 1000) / (performance.now() - t0)) }
}

const key = c.randomBytes(32)
const dev = c.generateSigningKeyPair()
const payload = c.randomBytes(200)
const header = { conversationId: 'c'.repeat(32), epoch: 0, senderDeviceId: 'd'.repeat(32), counter: 1 }
const envelope = c.sealEnvelope(header, payload, key, dev.secretKey)
const sealedAead = c.sealAead(key, payload)
const sig = c.sign(payload, dev.secretKey)

const results = [
  measure('baseline: xchacha20poly1305 seal 200 B', () => c.sealAead(key, payload)),
  measure('baseline: xchacha20poly1305 open 200 B', () => c.openAead(key, sealedAead)),
  measure('baseline: ed25519 sign', () => c.sign(payload, dev.secretKey)),
  measure('baseline: ed25519 verify (strict)', () => c.verifySignature(sig, payload, dev.publicKey)),
  measure('sealEnvelope 200 B', () => c.sealEnvelope(header, payload, key, dev.secretKey)),
  measure('verifyAndOpenEnvelope 200 B', () => c.verifyAndOpenEnvelope(envelope, dev.publicKey, key)),
]
const by = Object.fromEntries(results.map((r) => [r.name, r.opsPerSec]))
console.log(JSON.stringify({
  bench: 'envelope',
  runtime: `deno ${Deno.version.deno}`,
  results,
  ratios: {
    sealVsSign: by['sealEnvelope 200 B']! / by['baseline: ed25519 sign']!,
    openVsVerify: by['verifyAndOpenEnvelope 200 B']! / by['baseline: ed25519 verify (strict)']!,
  },
}))
