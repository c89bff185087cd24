/**
 * Network boundaries on a real relay (decision 0017): the organisation is set up and its devices
 * enrolled on a relay without boundaries, then the same data directory is served by a relay with
 * WARDLINE_NETWORKS-style boundaries. Every connection here comes from 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { toBase64url } from '../../crypto/bytes.ts'
import {
  createAuthorization,
  createDevice,
  signTestRevocation,
  type TestAuthorization,
  type TestDevice,
} from '../testing/fixtures.ts'
import { TestClient } from '../testing/test-client.ts'
import { postJson, startTestRelay } from '../testing/test-relay.ts'
import { type Relay, startRelay } from '../server.ts'
import { openSqliteStorage } from '../storage/sqlite.ts'
import { parseNetworkBoundaries } from '../network-boundaries.ts'
import { CLOSE } from './session.ts'

type Prepared = {
  dataDir: string
  admin: TestDevice
  clinician: TestDevice
  /** Stored authorizations no device has used yet. */
  pendingAdmin: TestAuthorization
  pendingClinician: TestAuthorization
  /** An admin-role device the root revoked before the boundaries came in. */
  revokedAdmin: TestDevice
}

async function prepare(): Promise<Prepared> {
  const t = await startTestRelay()
  const clinician = await t.enroll('clin', 'clinician')
  const pendingAdmin = createAuthorization(t.org, { userId: 'admin2', role: 'admin' })
  const pendingClinician = createAuthorization(t.org, { userId: 'clin2', role: 'clinician' })
  await t.putAuthorization(pendingAdmin)
  await t.putAuthorization(pendingClinician)
  const revokedAdmin = await t.enroll('admin3', 'admin')
  const c = await TestClient.loggedIn(t.url, t.admin)
  c.send({
    type: 'revokeDevice',
    ref: 'rv',
    revocation: signTestRevocation(revokedAdmin.deviceId, t.org),
  })
  await c.waitFor('ack')
  await c.close()
  await t.relay.close() // keeps the data directory
  return {
    dataDir: t.dataDir,
    admin: t.admin,
    clinician,
    pendingAdmin,
    pendingClinician,
    revokedAdmin,
  }
}

async function serve(p: Prepared, networks: string, extra: { trustProxy?: boolean } = {}) {
  const lines: string[] = []
  const relay: Relay = await startRelay({
    port: 0,
    hostname: '127.0.0.1',
    dataDir: p.dataDir,
    staticDir: `${p.dataDir}/no-static`,
    log: (event, fields) => lines.push(JSON.stringify({ event, ...fields })),
    networks: parseNetworkBoundaries(networks),
    ...extra,
  })
  return { relay, url: relay.url, lines }
}

async function loginResult(url: string, device: TestDevice) {
  const c = await TestClient.connect(url)
  const first = await c.login(device)
  if (first.type === 'ready') {
    await c.close()
    return { frame: first.type, close: null }
  }
  const closed = await c.closed
  return { frame: first.type === 'error' ? first.code : first.type, close: closed.code }
}

async function auditRecords(dataDir: string) {
  const storage = await openSqliteStorage(dataDir)
  try {
    return await storage.auditRecords(0, 1000)
  } finally {
    await storage.close()
  }
}

Deno.test('an admin logging in from 127.0.0.1 is refused when admin is limited to 10.0.0.0/8; a clinician is not, and a revoked admin still learns it is revoked', async () => {
  const p = await prepare()
  try {
    const r = await serve(p, '{"admin":["10.0.0.0/8"],"compliance":["10.0.0.0/8"]}')
    try {
      assert.deepEqual(await loginResult(r.url, p.admin), {
        frame: 'relay/network-refused',
        close: CLOSE.networkRefused,
      })
      assert.deepEqual(await loginResult(r.url, p.clinician), { frame: 'ready', close: null })
      // A revoked device outside its networks still learns it is revoked (and so wipes itself).
      const revoked = await TestClient.connect(r.url)
      const first = await revoked.login(p.revokedAdmin)
      assert.equal(first.type, 'revoked')
      assert.equal((await revoked.closed).code, CLOSE.revoked)
      const refusal = r.lines.find((l) => l.includes('login.network-refused'))
      assert.ok(refusal)
      // Logged by short device id and role only: no address, no name.
      assert.ok(!refusal.includes('127.0.0.1') && !refusal.includes('Name of'))
    } finally {
      await r.relay.close()
    }
    const refused = (await auditRecords(p.dataDir)).filter((x) =>
      x.event === 'login.refused' && x.fields.reason === 'network'
    )
    assert.deepEqual(refused.map((x) => x.fields), [{
      device: p.admin.deviceId,
      reason: 'network',
      role: 'admin',
    }])
  } finally {
    await Deno.remove(p.dataDir, { recursive: true })
  }
})

Deno.test('the same admin is admitted once 127.0.0.0/8 is listed for admin, and from anywhere when admin is not listed', async () => {
  const p = await prepare()
  try {
    for (
      const networks of [
        '{"admin":["10.0.0.0/8","127.0.0.0/8"]}',
        '{"clinician":["10.0.0.0/8"]}',
        '',
      ]
    ) {
      const r = await serve(p, networks)
      try {
        assert.deepEqual(
          await loginResult(r.url, p.admin),
          { frame: 'ready', close: null },
          networks,
        )
      } finally {
        await r.relay.close()
      }
    }
  } finally {
    await Deno.remove(p.dataDir, { recursive: true })
  }
})

Deno.test('enrollment of an admin device from outside its networks is refused before anything is registered', async () => {
  const p = await prepare()
  try {
    const r = await serve(p, '{"admin":["10.0.0.0/8"]}')
    try {
      const get = await fetch(`${r.url}/api/authorizations/${p.pendingAdmin.id}`)
      assert.deepEqual([get.status, await get.json()], [403, { error: 'relay/network-refused' }])
      const device = createDevice(p.pendingAdmin)
      const post = await postJson(`${r.url}/api/devices`, {
        authorizationId: p.pendingAdmin.id,
        binding: toBase64url(device.binding),
      })
      assert.deepEqual([post.status, await post.json()], [403, { error: 'relay/network-refused' }])
      // The clinician's code still works from here.
      const clin = createDevice(p.pendingClinician)
      const ok = await postJson(`${r.url}/api/devices`, {
        authorizationId: p.pendingClinician.id,
        binding: toBase64url(clin.binding),
      })
      assert.equal(ok.status, 200)
      await ok.body?.cancel()
    } finally {
      await r.relay.close()
    }
    // The admin's code was not used up: the same code enrolls once the network allows it.
    const open = await serve(p, '')
    try {
      const device = createDevice(p.pendingAdmin)
      const post = await postJson(`${open.url}/api/devices`, {
        authorizationId: p.pendingAdmin.id,
        binding: toBase64url(device.binding),
      })
      assert.equal(post.status, 200)
      await post.body?.cancel()
    } finally {
      await open.relay.close()
    }
    const refused = (await auditRecords(p.dataDir)).filter((x) => x.event === 'enroll.refused')
    assert.deepEqual(refused.map((x) => [x.fields.reason, x.fields.role]), [['network', 'admin'], [
      'network',
      'admin',
    ]])
  } finally {
    await Deno.remove(p.dataDir, { recursive: true })
  }
})

Deno.test('X-Forwarded-For decides the address only when WARDLINE_TRUST_PROXY is set', async () => {
  const p = await prepare()
  const path = `/api/authorizations/${p.pendingAdmin.id}`
  const statusFrom = async (url: string, forwarded?: string) => {
    const res = await fetch(
      url + path,
      forwarded ? { headers: { 'X-Forwarded-For': forwarded } } : {},
    )
    await res.body?.cancel()
    return res.status
  }
  try {
    const trusted = await serve(p, '{"admin":["10.0.0.0/8"]}', { trustProxy: true })
    try {
      // The proxy appends the address it saw last; earlier entries are the client's to invent.
      assert.equal(await statusFrom(trusted.url, '203.0.113.5, 10.1.2.3'), 200)
      assert.equal(await statusFrom(trusted.url, '10.1.2.3, 203.0.113.5'), 403)
      assert.equal(await statusFrom(trusted.url, '::ffff:10.9.9.9'), 200)
      assert.equal(await statusFrom(trusted.url), 403) // no header: the socket's 127.0.0.1
    } finally {
      await trusted.relay.close()
    }
    const direct = await serve(p, '{"admin":["10.0.0.0/8"]}')
    try {
      assert.equal(await statusFrom(direct.url, '10.1.2.3'), 403)
    } finally {
      await direct.relay.close()
    }
  } finally {
    await Deno.remove(p.dataDir, { recursive: true })
  }
})
