/**
 * The offline brute-force cost of a PIN (docs/THREAT_MODEL.md): times one scrypt unwrap of the
 * local key at production parameters (DEFAULT_KDF, 64 MiB), against a baseline of one HKDF-SHA-256
 * in the same run, and derives the expected time to guess PINs of each policy on one core.
 * Prints one JSON line.
 *
 *   deno run -A bench/pin-cost.bench.ts
 */
import { randomBytes } from '../crypto/bytes.ts'
import { deriveKey } from '../crypto/hkdf.ts'
import { DEFAULT_KDF, unwrapLocalKey, wrapLocalKey } from '../crypto/local-key.ts'

function timeMs(fn: () => void, runs: number): number {
  fn()
  const t0 = performance.now()
  for (let i = 0; i < runs; i++) fn()
  return (performance.now() - t0) / runs
}

const wrapped = wrapLocalKey(randomBytes(32), 'right-pin-1', DEFAULT_KDF)
const unwrapMs = timeMs(() => void unwrapLocalKey(wrapped, 'wrong-pin-1'), 5)
const ikm = randomBytes(32)
const baselineMs = timeMs(() => void deriveKey(ikm, undefined, ikm), 2000)

// Keyspaces: digits 10^n; mixed letters+digits 62^n (upper bound; at least one of each);
// a 12-character passphrase counted as 4 words from a 7,776-word diceware list (the realistic
// case; random characters would be far more).
const policies = [
  { pin: '6 digits', keyspace: 10 ** 6 },
  { pin: '6 mixed (a-z, A-Z, 0-9)', keyspace: 62 ** 6 },
  { pin: '8 mixed (a-z, A-Z, 0-9)', keyspace: 62 ** 8 },
  { pin: '12-char passphrase (4 diceware words)', keyspace: 7776 ** 4 },
]
const rows = policies.map((p) => {
  const expectedGuesses = p.keyspace / 2
  const seconds = (expectedGuesses * unwrapMs) / 1000
  return { ...p, expectedGuesses, oneCoreSeconds: Math.round(seconds), oneCoreYears: +(seconds / 31_557_600).toPrecision(3) }
})
console.log(JSON.stringify({ kdf: DEFAULT_KDF, memoryMiB: (128 * DEFAULT_KDF.N * DEFAULT_KDF.r) / 2 ** 20, unwrapMs: +unwrapMs.toFixed(1), baselineHkdfMs: +baselineMs.toFixed(4), ratio: Math.round(unwrapMs / baselineMs), rows }))
