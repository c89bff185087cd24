import assert from 'node:assert/strict'
import {
  isAdmittedFrom,
  isInRange,
  parseCidr,
  parseIpAddress,
  parseNetworkBoundaries,
} from './network-boundaries.ts'

const hex = (
  b: Uint8Array | null,
) => (b ? Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') : null)
const inRange = (address: string, range: string) =>
  isInRange(parseIpAddress(address)!, parseCidr(range))

Deno.test('parseIpAddress reads IPv4 as IPv4-mapped IPv6 and IPv6 in every RFC 4291 spelling', () => {
  assert.equal(hex(parseIpAddress('10.1.2.3')), '00000000000000000000ffff0a010203')
  assert.equal(hex(parseIpAddress('::ffff:10.1.2.3')), '00000000000000000000ffff0a010203')
  assert.equal(hex(parseIpAddress('::FFFF:a01:203')), '00000000000000000000ffff0a010203')
  assert.equal(hex(parseIpAddress('::')), '0'.repeat(32))
  assert.equal(hex(parseIpAddress('::1')), '0'.repeat(31) + '1')
  assert.equal(hex(parseIpAddress('[::1]')), '0'.repeat(31) + '1')
  assert.equal(hex(parseIpAddress('fe80::1%eth0')), 'fe80' + '0'.repeat(27) + '1')
  assert.equal(hex(parseIpAddress('2001:db8::')), '20010db8' + '0'.repeat(24))
  assert.equal(hex(parseIpAddress('1:2:3:4:5:6:7:8')), '00010002000300040005000600070008')
  assert.equal(hex(parseIpAddress('1:2:3:4:5:6:1.2.3.4')), '00010002000300040005000601020304')
  for (
    const bad of [
      '',
      'unknown',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1.2.3.-1',
      '1.2.3.4:80',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '12345::',
      ':1::',
      '1::2:',
      'g::',
      '1.2.3.4::',
      '::1.2.3',
      '1:2:3:4:5:6:7:1.2.3.4',
    ]
  ) assert.equal(parseIpAddress(bad), null, bad)
})

Deno.test('CIDR matching: /0, /32, /128, odd prefixes and IPv4-mapped addresses', () => {
  assert.ok(inRange('10.255.0.1', '10.0.0.0/8'))
  assert.ok(inRange('::ffff:10.1.2.3', '10.0.0.0/8'))
  assert.ok(!inRange('11.0.0.1', '10.0.0.0/8'))
  assert.ok(!inRange('::1', '10.0.0.0/8'))
  // /0 of IPv4 is every IPv4 address and no native IPv6 one; ::/0 is everything.
  assert.ok(inRange('203.0.113.9', '0.0.0.0/0'))
  assert.ok(!inRange('2001:db8::1', '0.0.0.0/0'))
  assert.ok(inRange('2001:db8::1', '::/0'))
  assert.ok(inRange('203.0.113.9', '::/0'))
  // One host.
  assert.ok(inRange('192.168.1.7', '192.168.1.7/32'))
  assert.ok(inRange('192.168.1.7', '192.168.1.7'))
  assert.ok(!inRange('192.168.1.6', '192.168.1.7/32'))
  assert.ok(inRange('2001:db8::7', '2001:db8::7/128'))
  assert.ok(!inRange('2001:db8::6', '2001:db8::7/128'))
  // A prefix that ends inside a byte.
  assert.ok(inRange('172.31.255.255', '172.16.0.0/12'))
  assert.ok(!inRange('172.32.0.0', '172.16.0.0/12'))
  assert.ok(inRange('192.168.1.127', '192.168.1.0/25'))
  assert.ok(!inRange('192.168.1.128', '192.168.1.0/25'))
  assert.ok(inRange('fd12:3456::1', 'fc00::/7'))
  assert.ok(!inRange('fe00::1', 'fc00::/7'))
  // The IPv4-mapped range written in IPv6 is the same range.
  assert.ok(inRange('10.9.9.9', '::ffff:10.0.0.0/104'))
  assert.ok(inRange('127.0.0.1', '127.0.0.0/8'))
})

Deno.test('parseCidr refuses what is not one range, naming the entry', () => {
  for (
    const bad of [
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/',
      '10.0.0.0/08',
      '10.0.0.0/8/8',
      '10.1.0.0/8',
      '2001:db8::1/32',
      '[::1]/128',
      'fe80::%1/64',
      'ten/8',
      '',
    ]
  ) {
    assert.throws(() => parseCidr(bad), RangeError, bad)
  }
  assert.deepEqual(parseCidr(' 10.0.0.0/8 ').bits, 104)
  assert.deepEqual(parseCidr('::/0').bits, 0)
})

Deno.test('parseNetworkBoundaries reads the role map and refuses a bad one with a clear message', () => {
  assert.equal(parseNetworkBoundaries(undefined).size, 0)
  assert.equal(parseNetworkBoundaries('  ').size, 0)
  const b = parseNetworkBoundaries(
    '{"admin":["10.0.0.0/8","192.168.1.0/24"],"compliance":["10.0.0.0/8"],"clinician":["0.0.0.0/0","::/0"],"locked":[]}',
  )
  assert.deepEqual([...b.keys()], ['admin', 'compliance', 'clinician', 'locked'])
  assert.ok(isAdmittedFrom(b, 'admin', '10.2.3.4'))
  assert.ok(isAdmittedFrom(b, 'admin', '::ffff:192.168.1.200'))
  assert.ok(!isAdmittedFrom(b, 'admin', '192.168.2.1'))
  assert.ok(!isAdmittedFrom(b, 'admin', '127.0.0.1'))
  assert.ok(isAdmittedFrom(b, 'clinician', '2001:db8::1'))
  assert.ok(!isAdmittedFrom(b, 'locked', '10.0.0.1'))
  // A role not listed: anywhere, even from an address that does not parse.
  assert.ok(isAdmittedFrom(b, 'auditor', 'unknown'))
  // A listed role from an address that does not parse: refused.
  assert.ok(!isAdmittedFrom(b, 'admin', 'unknown'))
  for (
    const [text, message] of [
      ['admin=10.0.0.0/8', /not JSON/],
      ['["10.0.0.0/8"]', /JSON object/],
      ['null', /JSON object/],
      ['{"admin":"10.0.0.0/8"}', /WARDLINE_NETWORKS.admin to be an array/],
      ['{"admin":["10.0.0.0/33"]}', /WARDLINE_NETWORKS.admin: expected a prefix length 0..32/],
      ['{"admin":[10]}', /WARDLINE_NETWORKS.admin: expected a CIDR range string/],
      ['{"Admin":[]}', /role names/],
      ['{"":[]}', /role names/],
    ] as const
  ) {
    assert.throws(
      () => parseNetworkBoundaries(text),
      (e: unknown) => e instanceof RangeError && message.test(e.message),
      text,
    )
  }
})
