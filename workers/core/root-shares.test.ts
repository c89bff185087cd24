import assert from 'node:assert/strict'
import { combine } from 'shamir-secret-sharing'
import * as c from '../../crypto/mod.ts'
import { startRelay } from '../../relay/server.ts'
import { openSqliteStorage } from '../../relay/storage/sqlite.ts'
import {
  createEnrollment,
  enrollDevice,
  newUserId,
  restoreRootKey,
  setupOrganisation,
} from './identity.ts'
import {
  combineRootShares,
  encodeRootShare,
  parseRootHolders,
  parseRootShare,
  splitRootKey,
} from './root-shares.ts'

const holders = ['Ann Admin', 'Bo Admin', 'Cy Admin', 'Di Admin', 'Ed Admin']

Deno.test('k of n root key shares rebuild the root secret, whichever k', async () => {
  const root = c.generateSigningKeyPair()
  const shares = await splitRootKey(root, { threshold: 3, holders })
  assert.deepEqual(shares.map((s) => s.holder), holders)
  const prefix = c.toBase32(c.rootFingerprint(root.publicKey)).slice(0, 8)
  for (const [i, s] of shares.entries()) {
    assert.match(s.share, new RegExp(`^WLRS1-${prefix}-3-${i + 1}-[0-9A-Z]{4}(-[0-9A-Z]{4})+$`))
  }
  for (const pick of [[0, 1, 2], [4, 2, 0], [1, 2, 3, 4]]) {
    const got = await combineRootShares(pick.map((i) => shares[i]!.share), root.publicKey)
    assert.deepEqual(got, { ok: true, value: root.secretKey }, `shares ${pick}`)
  }
  // Shares survive retyping: lower case, spaces instead of dashes, surrounding blanks.
  const retyped = shares.slice(0, 3).map((s) =>
    `  ${s.share.toLowerCase().replace(/-(?=[0-9a-z]{4}(-|$))/g, ' ')} `
  )
  assert.equal((await combineRootShares(retyped, root.publicKey)).ok, true)
})

Deno.test('k − 1 root key shares give nothing: refused, and the raw library result is not the root', async () => {
  const root = c.generateSigningKeyPair()
  const shares = await splitRootKey(root, { threshold: 3, holders })
  const two = shares.slice(0, 2).map((s) => s.share)
  assert.deepEqual(await combineRootShares(two, root.publicKey), {
    ok: false,
    code: 'root/not-enough-shares',
  })
  assert.deepEqual(await combineRootShares([], root.publicKey), {
    ok: false,
    code: 'root/not-enough-shares',
  })
  // The same share twice counts once.
  assert.deepEqual(await combineRootShares([two[0]!, two[0]!, two[1]!], root.publicKey), {
    ok: false,
    code: 'root/not-enough-shares',
  })
  // Even past the k check, two points of a degree-2 polynomial interpolate to another secret.
  const raw = two.map((t) => {
    const p = parseRootShare(t)
    assert.ok(p.ok)
    return p.value.bytes
  })
  assert.notDeepEqual(await combine(raw), root.secretKey)
})

Deno.test('a share of another organisation, a mistyped share and a relabelled share are refused', async () => {
  const root = c.generateSigningKeyPair()
  const other = c.generateSigningKeyPair()
  const shares = (await splitRootKey(root, { threshold: 2, holders: holders.slice(0, 3) })).map((
    s,
  ) => s.share)
  const foreign = (await splitRootKey(other, { threshold: 2, holders: holders.slice(0, 3) })).map((
    s,
  ) => s.share)
  const wrongOrg = await combineRootShares([shares[0]!, foreign[1]!], root.publicKey)
  assert.deepEqual(wrongOrg, { ok: false, code: 'root/wrong-organisation' })
  assert.deepEqual(await combineRootShares(foreign.slice(0, 2), root.publicKey), {
    ok: false,
    code: 'root/wrong-organisation',
  })

  // One character changed in the payload: the check catches it before any arithmetic.
  const s0 = shares[0]!
  const at = s0.length - 6
  const typo = s0.slice(0, at) + (s0[at] === 'A' ? 'B' : 'A') + s0.slice(at + 1)
  assert.deepEqual(await combineRootShares([typo, shares[1]!], root.publicKey), {
    ok: false,
    code: 'root/bad-share',
  })
  // A share renumbered or given another k fails its check (both are bound by it).
  const renumbered = s0.replace(/^(WLRS1-\w{8}-2-)1-/, '$13-')
  assert.notEqual(renumbered, s0)
  assert.deepEqual(await combineRootShares([renumbered, shares[1]!], root.publicKey), {
    ok: false,
    code: 'root/bad-share',
  })
  const rethresholded = s0.replace(/^(WLRS1-\w{8}-)2-/, '$11-')
  assert.deepEqual(await combineRootShares([rethresholded], root.publicKey), {
    ok: false,
    code: 'root/bad-share',
  })
  for (const junk of ['', 'WLRS1', 'WLCS1-0123ABCD-1-AAAA', s0 + '-AAAA', s0.slice(0, -1)]) {
    assert.deepEqual(await combineRootShares([junk, shares[1]!], root.publicKey), {
      ok: false,
      code: 'root/bad-share',
    }, junk)
  }
  // A well-formed share with a valid check but bytes of another secret: the public key decides.
  const p = parseRootShare(shares[1]!)
  assert.ok(p.ok)
  const forged = encodeRootShare(root.publicKey, {
    threshold: 2,
    index: 2,
    bytes: c.randomBytes(33),
  })
  assert.deepEqual(await combineRootShares([shares[0]!, forged], root.publicKey), {
    ok: false,
    code: 'root/shares-do-not-match',
  })
})

Deno.test('root key holders: 1 ≤ k ≤ n ≤ 16, distinct one-line names; k = 1 shares each hold the key', async () => {
  for (
    const [names, k] of [[[], 1], [['A', 'A'], 1], [['A', ' '], 1], [['A'], 2], [['A'], 0], [[
      'A',
      'B',
    ], 1.5]] as const
  ) {
    assert.deepEqual(parseRootHolders([...names], k), { ok: false, code: 'setup/bad-root-holders' })
  }
  assert.deepEqual(parseRootHolders('Ann', 1), { ok: false, code: 'setup/bad-root-holders' })
  assert.deepEqual(parseRootHolders([' Ann ', 'Bo'], 2), {
    ok: true,
    value: { threshold: 2, holders: ['Ann', 'Bo'] },
  })
  const root = c.generateSigningKeyPair()
  await assert.rejects(splitRootKey(root, { threshold: 3, holders: ['A', 'B'] }), RangeError)
  await assert.rejects(
    splitRootKey({ ...root, publicKey: c.generateSigningKeyPair().publicKey }, {
      threshold: 1,
      holders: ['A'],
    }),
    RangeError,
  )
  const one = await splitRootKey(root, { threshold: 1, holders: ['A', 'B'] })
  for (const s of one) {
    assert.deepEqual(await combineRootShares([s.share], root.publicKey), {
      ok: true,
      value: root.secretKey,
    })
  }
})

Deno.test('a second admin device restores the root from k shares and signs a new user that another device verifies', async () => {
  const dataDir = await Deno.makeTempDir({ prefix: 'wardline-root-shares-' })
  const storage = await openSqliteStorage(dataDir)
  const relay = await startRelay({
    port: 0,
    hostname: '127.0.0.1',
    storage,
    staticDir: `${dataDir}/x`,
    setupCode: 'TESTCODE',
    log: () => {},
  })
  const http = { baseUrl: relay.url, fetch: globalThis.fetch.bind(globalThis) }
  // The admin uploads authorizations over its session; the storage call is equivalent here.
  const put = async (authorization: Uint8Array, rootPublicKey: Uint8Array) => {
    const a = c.verifyAuthorization(authorization, rootPublicKey)
    assert.ok(a.ok)
    const { enrollPublicKey: _e, ...fields } = a.value
    await storage.putAuthorization({
      id: c.authorizationId(a.value.enrollPublicKey),
      blob: authorization,
      ...fields,
    })
  }
  const enroll = async (
    root: { secretKey: Uint8Array; publicKey: Uint8Array },
    displayName: string,
    role: string,
  ) => {
    const made = createEnrollment(root, {
      userId: newUserId(),
      displayName,
      role,
      expiresAt: Date.now() + 60_000,
    })
    await put(made.authorization, root.publicKey)
    return await enrollDevice(http, made.code)
  }
  try {
    const setup = await setupOrganisation(http, 'TESTCODE', 'Ann Admin', {
      threshold: 1,
      officers: ['Cora'],
    }, {
      threshold: 2,
      holders: ['Ann Admin', 'Bo Admin', 'Cy Admin'],
    })
    assert.deepEqual(setup.rootShares.map((s) => s.holder), ['Ann Admin', 'Bo Admin', 'Cy Admin'])
    const first = setup.identity
    // The device keeps its own root, as before, and no share of it.
    const stored = JSON.stringify(first, (_k, v) => v instanceof Uint8Array ? c.bytesToHex(v) : v)
    for (const s of setup.rootShares) assert.ok(!stored.includes(s.share))

    const clinician = await enroll(
      { secretKey: first.rootSecretKey!, publicKey: first.rootPublicKey },
      'Ben Nurse',
      'clinician',
    )
    const admin2 = await enroll(
      { secretKey: first.rootSecretKey!, publicKey: first.rootPublicKey },
      'Bo Admin',
      'admin',
    )
    assert.equal(admin2.rootSecretKey, undefined)
    const texts = setup.rootShares.map((s) => s.share)

    assert.deepEqual(await restoreRootKey(clinician, texts.slice(0, 2)), {
      ok: false,
      code: 'root/not-admin',
    })
    assert.deepEqual(await restoreRootKey(first, texts.slice(0, 2)), {
      ok: false,
      code: 'root/already-here',
    })
    assert.deepEqual(await restoreRootKey(admin2, texts.slice(2)), {
      ok: false,
      code: 'root/not-enough-shares',
    })
    const restored = await restoreRootKey(admin2, [texts[2]!, texts[0]!])
    assert.ok(restored.ok)
    assert.deepEqual(restored.value.rootSecretKey, first.rootSecretKey)

    // The first admin's phone is gone: the restored device signs a new person, who enrolls, and
    // the clinician's device accepts the new device's chain against the root it pinned.
    const lostPhone = first.rootSecretKey!
    c.wipe(lostPhone)
    const nurse = await enroll(
      { secretKey: restored.value.rootSecretKey!, publicKey: restored.value.rootPublicKey },
      'Cas Nurse',
      'clinician',
    )
    const seen = c.verifyDeviceChain(clinician.rootPublicKey, nurse.authorization, nurse.binding)
    assert.ok(seen.ok)
    assert.deepEqual([seen.value.displayName, seen.value.deviceId], ['Cas Nurse', nurse.deviceId])
  } finally {
    await relay.close()
    await Deno.remove(dataDir, { recursive: true })
  }
})
