/**
 * Network boundaries (DESIGN §1 rule 6, issue 7): per role, the address ranges the relay admits
 * a logged-in device (or an enrollment) from, configured by WARDLINE_NETWORKS as JSON, e.g.
 * `{"admin":["10.0.0.0/8"],"clinician":["0.0.0.0/0","::/0"]}`. A role not listed is admitted from
 * anywhere; a listed role with `[]` from nowhere. Every address is compared as 16 bytes, IPv4 as
 * its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so `10.0.0.0/8` also matches a dual-stack socket's
 * `::ffff:10.1.2.3`, and `0.0.0.0/0` means every IPv4 address (not IPv6: list `::/0` for that).
 * Pure functions; no Deno API. Decision 0017.
 */

/** One range: the network's 16 address bytes and how many leading bits must match (0..128). */
export type Cidr = { readonly bytes: Uint8Array; readonly bits: number }
/** Role → the ranges it is admitted from. */
export type NetworkBoundaries = ReadonlyMap<string, readonly Cidr[]>

/** Most ranges per role and characters of a role name: a config, not a blocklist. */
export const MAX_RANGES_PER_ROLE = 256
const MAX_ROLE_LENGTH = 64

const IPV4_OCTET = /^(0|[1-9][0-9]{0,2})$/

/** `a.b.c.d` with decimal octets (no leading zeros: `010` is octal to some parsers). */
function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.')
  if (parts.length !== 4) return null
  const out = new Uint8Array(4)
  for (const [i, p] of parts.entries()) {
    if (!IPV4_OCTET.test(p) || Number(p) > 255) return null
    out[i] = Number(p)
  }
  return out
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/

/** Eight 16-bit groups, one `::` at most, an IPv4 dotted tail allowed (RFC 4291 §2.2). */
function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split('::')
  if (halves.length > 2) return null
  const groups = (half: string): number[] | null => {
    if (half === '') return []
    const out: number[] = []
    const parts = half.split(':')
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p)
        if (!v4) return null
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
      } else if (HEX_GROUP.test(p)) {
        out.push(parseInt(p, 16))
      } else {
        return null
      }
    }
    return out
  }
  const head = groups(halves[0]!)
  const tail = halves.length === 2 ? groups(halves[1]!) : []
  if (!head || !tail) return null
  // A dotted tail only at the very end: not in the head when a `::` follows it.
  if (halves.length === 2 && halves[0]!.includes('.')) return null
  const n = head.length + tail.length
  if (halves.length === 1 ? n !== 8 : n > 7) return null
  const all = [...head, ...new Array(8 - n).fill(0), ...tail]
  const out = new Uint8Array(16)
  for (const [i, g] of all.entries()) {
    out[2 * i] = g >> 8
    out[2 * i + 1] = g & 0xff
  }
  return out
}

/**
 * An address as 16 bytes (IPv4 mapped into ::ffff:0:0/96), or null when it is not one. Accepts
 * `[v6]` brackets and drops a `%zone`, as socket APIs and proxies print them.
 */
export function parseIpAddress(text: string): Uint8Array | null {
  let t = text.trim()
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1)
  const zone = t.indexOf('%')
  if (zone >= 0 && t.includes(':')) t = t.slice(0, zone)
  if (!t.includes(':')) {
    const v4 = parseIpv4(t)
    if (!v4) return null
    const out = new Uint8Array(16)
    out[10] = 0xff
    out[11] = 0xff
    out.set(v4, 12)
    return out
  }
  return parseIpv6(t)
}

/** True when no bit past the first `bits` is set (`10.1.0.0/8` is a typo, not a network). */
function hostBitsZero(bytes: Uint8Array, bits: number): boolean {
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i))
    const mask = keep === 8 ? 0 : 0xff >> keep
    if ((bytes[i]! & mask) !== 0) return false
  }
  return true
}

/**
 * `address/prefix` (IPv4 prefix 0..32, IPv6 0..128); a bare address is one host (/32, /128).
 * Throws RangeError with what is wrong: a bad range is a configuration error that stops startup.
 */
export function parseCidr(text: string): Cidr {
  if (typeof text !== 'string') {
    throw new RangeError(`expected a CIDR range string, got ${typeof text}`)
  }
  const [addr, prefix, extra] = text.trim().split('/')
  const isV4 = !addr!.includes(':')
  const bytes = parseIpAddress(addr!)
  if (!bytes || extra !== undefined || addr!.includes('[') || addr!.includes('%')) {
    throw new RangeError(
      `expected an IPv4 or IPv6 range like 10.0.0.0/8 or fd00::/8, got ${JSON.stringify(text)}`,
    )
  }
  const max = isV4 ? 32 : 128
  if (prefix !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(prefix)) {
    throw new RangeError(`expected a prefix length 0..${max} in ${JSON.stringify(text)}`)
  }
  const length = prefix === undefined ? max : Number(prefix)
  if (length > max) {
    throw new RangeError(`expected a prefix length 0..${max} in ${JSON.stringify(text)}`)
  }
  const bits = isV4 ? 96 + length : length
  if (!hostBitsZero(bytes, bits)) {
    throw new RangeError(`expected no address bits past the prefix in ${JSON.stringify(text)}`)
  }
  return { bytes, bits }
}

/** True when the first `range.bits` bits of the address equal the range's. */
export function isInRange(address: Uint8Array, range: Cidr): boolean {
  if (address.length !== 16) {
    throw new RangeError(`expected a 16-byte address, got ${address.length}`)
  }
  const whole = range.bits >> 3
  for (let i = 0; i < whole; i++) if (address[i] !== range.bytes[i]) return false
  const rest = range.bits & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return (address[whole]! & mask) === (range.bytes[whole]! & mask)
}

/**
 * Reads WARDLINE_NETWORKS: a JSON object of role → array of ranges. Empty or absent: no
 * boundaries (an empty map). Throws RangeError with a message fit for the operator.
 */
export function parseNetworkBoundaries(text: string | undefined): NetworkBoundaries {
  const out = new Map<string, Cidr[]>()
  if (text === undefined || text.trim() === '') return out
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new RangeError(
      'expected WARDLINE_NETWORKS to be JSON like {"admin":["10.0.0.0/8"]}, got text that is not JSON',
    )
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RangeError('expected WARDLINE_NETWORKS to be a JSON object of role → array of ranges')
  }
  for (const [role, ranges] of Object.entries(json)) {
    if (role === '' || role.length > MAX_ROLE_LENGTH || !/^[a-z][a-z0-9_-]*$/.test(role)) {
      throw new RangeError(
        `expected WARDLINE_NETWORKS role names like "admin" (lower case), got ${
          JSON.stringify(role)
        }`,
      )
    }
    if (!Array.isArray(ranges) || ranges.length > MAX_RANGES_PER_ROLE) {
      throw new RangeError(
        `expected WARDLINE_NETWORKS.${role} to be an array of at most ${MAX_RANGES_PER_ROLE} ranges`,
      )
    }
    try {
      out.set(role, ranges.map(parseCidr))
    } catch (e) {
      throw new RangeError(
        `WARDLINE_NETWORKS.${role}: ${e instanceof Error ? e.message : 'bad range'}`,
      )
    }
  }
  return out
}

/**
 * Whether a device of this role may connect from this address. A role without boundaries is
 * admitted from anywhere; with boundaries, an address that does not parse is refused.
 */
export function isAdmittedFrom(
  boundaries: NetworkBoundaries,
  role: string,
  address: string,
): boolean {
  const ranges = boundaries.get(role)
  if (!ranges) return true
  const bytes = parseIpAddress(address)
  if (!bytes) return false
  return ranges.some((r) => isInRange(bytes, r))
}
