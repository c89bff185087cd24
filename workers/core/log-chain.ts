/**
 * Fork and withholding detection (DESIGN §4): every device keeps a running hash of a
 * conversation's log as it received it, and every envelope it sends commits to the sequence and
 * hash it had seen. A relay that shows two members different histories is caught when one of
 * them reads the other's commitment; one that withholds entries from a device shows it a gap.
 */
import { bytesToHex, decodeText, decodeTuple, encodeTuple, equalBytes, hexToBytes, parseCount } from '../../crypto/bytes.ts'
import { sha256 } from '../../crypto/hkdf.ts'
import { err, ok, type Result } from '../../crypto/result.ts'

/** How many recent positions of the log a device remembers to check others' commitments against. */
export const MAX_CHAIN_MEMORY = 1024

export type LogChain = { seq: number; hash: Uint8Array; recent: Record<string, string> }

export function emptyChain(): LogChain {
  const hash = new Uint8Array(32)
  return { seq: 0, hash, recent: { '0': bytesToHex(hash) } }
}

/** Adds the entry delivered at `seq` (the next one) to the chain. */
export function extendChain(chain: LogChain, seq: number, entry: Uint8Array): void {
  if (seq !== chain.seq + 1) throw new RangeError(`expected seq ${chain.seq + 1}, got ${seq}`)
  chain.hash = sha256(encodeTuple(['wardline/log/v1', chain.hash, String(seq), sha256(entry)]))
  chain.seq = seq
  chain.recent[String(seq)] = bytesToHex(chain.hash)
  delete chain.recent[String(seq - MAX_CHAIN_MEMORY)]
}

/** 'fork' when this device's log at `seenSeq` differs from the claim; 'unknown' if too old. */
export function checkClaim(chain: LogChain, seenSeq: number, seenHash: Uint8Array): 'ok' | 'fork' | 'unknown' {
  if (seenSeq > chain.seq) return 'fork' // a sender cannot have seen entries after the one it wrote
  const mine = chain.recent[String(seenSeq)]
  if (mine === undefined) return 'unknown'
  return equalBytes(hexToBytes(mine), seenHash) ? 'ok' : 'fork'
}

export type Payload = { kind: 'yjs' | 'beat'; update: Uint8Array; seenSeq: number; seenHash: Uint8Array }

export function encodePayload(kind: Payload['kind'], update: Uint8Array, chain: LogChain): Uint8Array {
  return encodeTuple([kind, update, String(chain.seq), chain.hash])
}

export function decodePayload(bytes: Uint8Array): Result<Payload> {
  const f = decodeTuple(bytes, 4)
  if (!f.ok) return err('sync/bad-payload')
  const kind = decodeText(f.value[0]!)
  const seen = decodeText(f.value[2]!)
  const seenSeq = seen.ok ? parseCount(seen.value) : null
  if (!kind.ok || (kind.value !== 'yjs' && kind.value !== 'beat') || seenSeq === null || f.value[3]!.length !== 32) {
    return err('sync/bad-payload')
  }
  return ok({ kind: kind.value, update: f.value[1]!, seenSeq, seenHash: f.value[3]! })
}
