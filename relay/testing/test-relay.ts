/**
 * Starts a real relay for a test: port 0, a temporary data directory, a known setup code, and
 * an organisation already set up through the real HTTP API with one admin device. `enroll`
 * adds devices the way the app does (admin uploads an authorization, device posts a binding).
 */
import { toBase64url } from '../../crypto/bytes.ts'
import { type Relay, type RelayOptions, startRelay } from '../server.ts'
import { silentLog } from '../log.ts'
import {
  createAuthorization,
  createDevice,
  createTestOrg,
  type TestAuthorization,
  type TestDevice,
  type TestOrg,
} from './fixtures.ts'
import { TestClient } from './test-client.ts'

export const TEST_SETUP_CODE = 'TEST-SETU-PC0D-E000'

export type TestRelay = {
  relay: Relay
  url: string
  dataDir: string
  org: TestOrg
  admin: TestDevice
  /** Uploads an authorization as the admin (over WebSocket) and enrolls a device under it. */
  enroll(userId: string, role?: string): Promise<TestDevice>
  putAuthorization(auth: TestAuthorization): Promise<void>
  close(): Promise<void>
}

export function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
}

/** A started relay with no organisation yet. */
export async function startBareRelay(options: Partial<RelayOptions> = {}) {
  const dataDir = await Deno.makeTempDir({ prefix: 'wardline-relay-' })
  const relay = await startRelay({
    port: 0,
    hostname: '127.0.0.1',
    dataDir,
    staticDir: `${dataDir}/no-static`,
    setupCode: TEST_SETUP_CODE,
    log: silentLog,
    ...options,
  })
  const close = async () => {
    await relay.close()
    await Deno.remove(dataDir, { recursive: true })
  }
  return { relay, url: relay.url, dataDir, close }
}

export async function startTestRelay(options: Partial<RelayOptions> = {}): Promise<TestRelay> {
  const bare = await startBareRelay(options)
  const org = createTestOrg()
  const admin = createDevice(createAuthorization(org, { userId: 'admin', role: 'admin' }))
  const res = await postJson(`${bare.url}/api/setup`, {
    setupCode: TEST_SETUP_CODE,
    rootPublicKey: toBase64url(org.root.publicKey),
    authorization: toBase64url(admin.authorization.blob),
    binding: toBase64url(admin.binding),
    complianceCertificate: toBase64url(org.complianceCertificate),
  })
  if (res.status !== 200) throw new Error(`setup failed: ${res.status} ${await res.text()}`)
  await res.body?.cancel()

  const putAuthorization = async (auth: TestAuthorization) => {
    const c = await TestClient.loggedIn(bare.url, admin)
    c.send({ type: 'putAuthorization', ref: 'put', authorization: auth.blob })
    const ack = await c.waitFor('ack')
    await c.close()
    if (ack.ref !== 'put') throw new Error('authorization not stored')
  }

  const enroll = async (userId: string, role = 'member') => {
    const auth = createAuthorization(org, { userId, role })
    await putAuthorization(auth)
    const device = createDevice(auth)
    const r = await postJson(`${bare.url}/api/devices`, {
      authorizationId: auth.id,
      binding: toBase64url(device.binding),
    })
    if (r.status !== 200) throw new Error(`enroll failed: ${r.status} ${await r.text()}`)
    await r.body?.cancel()
    return device
  }

  return { ...bare, org, admin, enroll, putAuthorization }
}
