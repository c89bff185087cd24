/**
 * The export manifest on its own: canonical JSON is one spelling per value, and a court's check
 * refuses another root, a changed field, a key the root did not certify, and an altered file.
 */
import assert from 'node:assert/strict'
import * as c from '../../crypto/mod.ts'
import {
  combineComplianceShares,
  createComplianceKey,
} from '../../workers/core/compliance-setup.ts'
import {
  canonicalJson,
  type ExportManifest,
  sha256Hex,
  signExportManifest,
  verifyExportManifest,
} from './manifest.ts'
import { parseArgs, readShareLines } from './args.ts'

const fingerprint = (root: Uint8Array) =>
  c.toBase32(c.rootFingerprint(root)).match(/.{1,4}/g)!.join(' ')

async function signedExport() {
  const root = c.generateSigningKeyPair()
  const made = await createComplianceKey(root.secretKey, {
    threshold: 2,
    officers: ['A', 'B', 'C'],
  })
  const secret = await combineComplianceShares(made.shares.slice(1).map((s) => s.share), made.key)
  assert.ok(secret.ok)
  const file = new TextEncoder().encode('{"messages":[]}\n')
  const manifest: ExportManifest = {
    v: 1,
    tool: 'wardline-compliance-export',
    toolVersion: '1.0.0',
    createdAt: '2026-12-04T00:00:00.000Z',
    conversationId: 'c1',
    complianceKeyId: made.key.keyId,
    sharesUsed: [2, 3],
    rootPublicKey: c.bytesToHex(root.publicKey),
    rootFingerprint: fingerprint(root.publicKey),
    complianceCertificate: c.toBase64url(made.certificate),
    epochs: [],
    compaction: null,
    counts: { messages: 0 },
    problems: [],
    files: { 'export.json': sha256Hex(file) },
    audit: { seq: 7, hash: '00'.repeat(32) },
  }
  return {
    root,
    made,
    secret: secret.value,
    file,
    signed: signExportManifest(manifest, secret.value),
  }
}

Deno.test('canonicalJson sorts keys at every level, drops undefined and has no whitespace', () => {
  assert.equal(
    canonicalJson({ b: [{ y: 1, x: 'é' }], a: null, c: undefined }),
    '{"a":null,"b":[{"x":"é","y":1}]}',
  )
})

Deno.test('verifyExportManifest accepts the signed manifest with its files under the right root fingerprint', async () => {
  const { root, file, signed } = await signedExport()
  const files = new Map([['export.json', file]])
  assert.deepEqual(verifyExportManifest(signed, files, fingerprint(root.publicKey)), [])
  // typed as the app shows it, lower case and without spaces
  assert.deepEqual(
    verifyExportManifest(
      signed,
      files,
      fingerprint(root.publicKey).toLowerCase().replace(/ /g, ''),
    ),
    [],
  )
})

Deno.test('verifyExportManifest refuses another root, a changed field, an uncertified key and an altered file', async () => {
  const { root, made, file, signed } = await signedExport()
  const files = new Map([['export.json', file]])
  const fp = fingerprint(root.publicKey)
  assert.match(
    verifyExportManifest(signed, files, fingerprint(c.generateSigningKeyPair().publicKey)).join(),
    /root fingerprint/,
  )
  assert.match(
    verifyExportManifest({ ...signed, counts: { messages: 1 } }, files, fp).join(),
    /signature does not verify/,
  )
  assert.match(
    verifyExportManifest({ ...signed, audit: null }, files, fp).join(),
    /signature does not verify/,
  )
  const other = c.generateAgreementKeyPair()
  const forged = signExportManifest(signed, other.secretKey)
  assert.match(verifyExportManifest(forged, files, fp).join(), /signature does not verify/)
  const selfMade = await createComplianceKey(c.generateSigningKeyPair().secretKey, {
    threshold: 1,
    officers: ['X'],
  })
  assert.match(
    verifyExportManifest(
      { ...signed, complianceCertificate: c.toBase64url(selfMade.certificate) },
      files,
      fp,
    ).join(),
    /not signed by the root/,
  )
  assert.match(
    verifyExportManifest(signed, new Map([['export.json', Uint8Array.of(1)]]), fp).join(),
    /SHA-256 differs/,
  )
  assert.match(verifyExportManifest(signed, new Map(), fp).join(), /missing/)
  assert.equal(signed.complianceKeyId, made.key.keyId)
})

Deno.test('the shares file takes one share per line, with or without the officer’s name, and skips comments', () => {
  const text = '# case 123\n\nOfficer 1: WLCS1-ABCD1234-1-AAAA-BBBB\n  WLCS1-ABCD1234-2-CCCC \n'
  assert.deepEqual(readShareLines(text), ['WLCS1-ABCD1234-1-AAAA-BBBB', 'WLCS1-ABCD1234-2-CCCC'])
})

Deno.test('compliance:export options: exactly one store, conversation and shares required, unknown options refused', () => {
  assert.deepEqual(parseArgs(['--data', 'd', '--conversation', 'c', '--shares', 's']), {
    data: 'd',
    conversation: 'c',
    shares: 's',
  })
  assert.deepEqual(
    parseArgs([
      '--database-url=postgres://x',
      '--conversation=c',
      '--shares=s',
      '--out',
      'o',
      '--root',
      'R',
    ]),
    {
      databaseUrl: 'postgres://x',
      conversation: 'c',
      shares: 's',
      out: 'o',
      root: 'R',
    },
  )
  assert.equal(
    typeof parseArgs([
      '--data',
      'd',
      '--database-url',
      'u',
      '--conversation',
      'c',
      '--shares',
      's',
    ]),
    'string',
  )
  assert.equal(typeof parseArgs(['--data', 'd', '--shares', 's']), 'string')
  assert.equal(
    typeof parseArgs(['--data', 'd', '--conversation', 'c', '--shares', 's', '--force']),
    'string',
  )
  assert.equal(typeof parseArgs(['--data']), 'string')
})
