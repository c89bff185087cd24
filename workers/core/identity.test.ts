import assert from 'node:assert/strict'
import * as c from '../../crypto/mod.ts'
import { startRelay } from '../../relay/server.ts'
import { openSqliteStorage } from '../../relay/storage/sqlite.ts'
import { combineComplianceShares } from './compliance-setup.ts'
import { createEnrollment, enrollDevice, newUserId, setupOrganisation, verifiedComplianceKey } from './identity.ts'

const officers = ['Compliance officer 1', 'Compliance officer 2', 'Compliance officer 3']

async function organisation() {
  const dataDir = await Deno.makeTempDir({ prefix: 'wardline-identity-' })
  const storage = await openSqliteStorage(dataDir)
  const relay = await startRelay({ port: 0, hostname: '127.0.0.1', storage, staticDir: `${dataDir}/x`, setupCode: 'TESTCODE', log: () => {} })
  const http = { baseUrl: relay.url, fetch: globalThis.fetch.bind(globalThis) }
  const setup = await setupOrganisation(http, 'TESTCODE', 'Ann Admin', { threshold: 2, officers })
  const code = () =>
    createEnrollment({ secretKey: setup.identity.rootSecretKey!, publicKey: setup.identity.rootPublicKey }, {
      userId: newUserId(), displayName: 'Ben Nurse', role: 'clinician', expiresAt: Date.now() + 60_000,
    })
  const putAuthorization = async (authorization: Uint8Array) => {
    // The admin uploads authorizations over its logged-in session; the storage call is equivalent here.
    const a = c.verifyAuthorization(authorization, setup.identity.rootPublicKey)
    assert.ok(a.ok)
    const { enrollPublicKey: _e, ...fields } = a.value
    await storage.putAuthorization({ id: c.authorizationId(a.value.enrollPublicKey), blob: authorization, ...fields })
  }
  const close = async () => {
    await relay.close()
    await Deno.remove(dataDir, { recursive: true })
  }
  return { relay, http, setup, code, putAuthorization, close }
}

Deno.test('setupOrganisation returns one share per officer and a root-certified compliance key that the shares open', async () => {
  const o = await organisation()
  try {
    const { identity, complianceShares } = o.setup
    assert.deepEqual(complianceShares.map((s) => s.officer), officers)
    const key = verifiedComplianceKey(identity)
    assert.ok(key.ok)
    assert.deepEqual([key.value.threshold, key.value.officers], [2, officers])
    const secret = await combineComplianceShares(complianceShares.slice(1).map((s) => s.share), key.value)
    assert.ok(secret.ok)
    // The identity (what the worker stores) holds no share and no compliance private key.
    const stored = JSON.stringify(identity, (_k, v) => v instanceof Uint8Array ? c.bytesToHex(v) : v)
    for (const s of complianceShares) assert.ok(!stored.includes(s.share))
    assert.ok(!stored.includes(c.bytesToHex(secret.value)))
  } finally {
    await o.close()
  }
})

Deno.test('enrollDevice keeps the verified compliance certificate and refuses a missing or foreign one', async () => {
  const o = await organisation()
  try {
    const good = o.code()
    await o.putAuthorization(good.authorization)
    const nurse = await enrollDevice(o.http, good.code)
    assert.deepEqual(nurse.complianceCertificate, o.setup.identity.complianceCertificate)
    assert.equal(verifiedComplianceKey(nurse).ok, true)

    // A relay that drops or swaps the certificate: enrollment stops before anything is registered.
    const other = c.generateSigningKeyPair()
    const foreign = c.signComplianceCertificate({
      agreementPublicKey: c.generateAgreementKeyPair().publicKey, threshold: 1, officers: ['Mallory'], createdAt: 1,
    }, other.secretKey)
    for (const certificate of [undefined, c.toBase64url(foreign), 'not base64!']) {
      const lying = {
        baseUrl: o.http.baseUrl,
        fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
          const res = await fetch(input, init)
          if (!String(input).endsWith('/api/org')) return res
          const org = await res.json()
          return Response.json({ ...org, complianceCertificate: certificate })
        },
      }
      const next = o.code()
      await o.putAuthorization(next.authorization)
      await assert.rejects(enrollDevice(lying, next.code), { code: 'enroll/bad-compliance-key' })
    }
  } finally {
    await o.close()
  }
})
