/**
 * The SCIM storage contract (issue 7): one suite both backends run, beside contract.ts.
 * `sqlite.test.ts` and `postgres.test.ts` call it. Documents here are arbitrary JSON strings:
 * storage never reads them.
 */
import { assert, assertEquals } from './_assert.ts'
import type { RelayStorage } from './storage.ts'
import type { ScimUserFields } from './scim-storage.ts'

type Open = () => Promise<RelayStorage>

const user = (userName: string, extra: Partial<ScimUserFields> = {}): ScimUserFields => ({
  externalId: `ext-${userName}`,
  userName,
  active: true,
  displayName: `Name of ${userName}`,
  document: JSON.stringify({ userName }),
  ...extra,
})

async function withStorage(open: Open, fn: (s: RelayStorage) => Promise<void>): Promise<void> {
  const s = await open()
  try {
    await fn(s)
  } finally {
    await s.close()
  }
}

/** Registers a device of `userId` the way enrollment does (authorization, then device). */
async function enroll(
  s: RelayStorage,
  userId: string,
  n: number,
  role = 'clinician',
): Promise<string> {
  await s.putAuthorization({
    id: `a-${userId}-${n}`,
    blob: new Uint8Array([n]),
    userId,
    displayName: 'N',
    role,
    expiresAt: 9e12,
  })
  const deviceId = `d-${userId}-${n}`
  const r = await s.registerDevice({
    deviceId,
    userId,
    authorizationId: `a-${userId}-${n}`,
    binding: new Uint8Array([n]),
  })
  assertEquals(r, 'ok')
  return deviceId
}

function created<R>(r: R): Exclude<R, { refused: unknown }> {
  if (typeof r === 'object' && r !== null && 'refused' in r) {
    throw new Error(`refused: ${r.refused}`)
  }
  return r as Exclude<R, { refused: unknown }>
}

export function runScimStorageContract(name: string, open: Open): void {
  Deno.test(`${name}: a SCIM user gets its own ids, and userName is unique ignoring case`, () =>
    withStorage(open, async (s) => {
      const a = created(await s.scim.createUser(user('Ann@Ward.example'))).row
      assert(/^u[0-9a-f]{16}$/.test(a.userId), a.userId)
      assert(a.id !== a.userId && a.version === 1 && a.active && a.deletedAt === null)
      assertEquals(await s.scim.createUser(user('ann@ward.EXAMPLE')), {
        refused: 'scim/uniqueness',
      })
      const b = created(await s.scim.createUser(user('bob@ward.example'))).row
      // Listed in creation order, ties (one millisecond) by id: compared as a set here.
      assertEquals((await s.scim.listUsers()).map((u) => u.userName).sort(), [
        'Ann@Ward.example',
        'bob@ward.example',
      ])
      assertEquals((await s.scim.getUser(a.id))?.externalId, 'ext-Ann@Ward.example')
      assertEquals((await s.scim.findUsers({ userName: 'ANN@ward.example' })).map((u) => u.id), [
        a.id,
      ])
      assertEquals(
        (await s.scim.findUsers({ externalId: 'ext-bob@ward.example' })).map((u) => u.id),
        [b.id],
      )
      assertEquals(
        await s.scim.findUsers({ externalId: 'EXT-bob@ward.example' }),
        [],
        'externalId is exact',
      )
      assertEquals(await s.scim.findUsers({ userName: 'nobody' }), [])
      // Renaming onto another user's name is refused too, and nothing changes.
      const clash = await s.scim.updateUser(b.id, (c) => ({ ...c, userName: 'ANN@ward.example' }))
      assertEquals(clash, { refused: 'scim/uniqueness' })
      assertEquals((await s.scim.getUser(b.id))?.userName, 'bob@ward.example')
      assertEquals(await s.scim.updateUser('no-such-id', (c) => c), { refused: 'scim/not-found' })
      assertEquals(await s.scim.updateUser(a.id, () => ({ refused: 'scim/mutability' })), {
        refused: 'scim/mutability',
      })
      const renamed = created(
        await s.scim.updateUser(a.id, (c) => ({ ...c, displayName: 'Ann B' })),
      )
      assertEquals([renamed.row.displayName, renamed.row.version], ['Ann B', 2])
    }))

  Deno.test(`${name}: concurrent creates of one userName: exactly one wins, the rest are uniqueness`, () =>
    withStorage(open, async (s) => {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => s.scim.createUser(user(i % 2 ? 'Same@x' : 'same@X'))),
      )
      const won = results.filter((r) => !('refused' in r))
      assertEquals(won.length, 1)
      assert(results.every((r) => !('refused' in r) || r.refused === 'scim/uniqueness'))
      assertEquals((await s.scim.listUsers()).length, 1)
    }))

  Deno.test(`${name}: deactivating a user refuses its devices, and reactivation does not bring them back`, () =>
    withStorage(open, async (s) => {
      const a = created(await s.scim.createUser(user('nurse'))).row
      const phone = await enroll(s, a.userId, 1)
      const other = await enroll(s, 'someone-else', 2)
      assertEquals(await s.scim.isDeviceRefused(phone, a.userId), false)
      const off = created(await s.scim.updateUser(a.id, (c) => ({ ...c, active: false })))
      assertEquals(off.refusedDeviceIds, [phone])
      assert(await s.scim.isDeviceRefused(phone, a.userId))
      assert(await s.scim.isUserRefused(a.userId))
      assertEquals(await s.scim.isDeviceRefused(other, 'someone-else'), false)
      // A second deactivating write refuses nothing new.
      const again = created(await s.scim.updateUser(a.id, (c) => ({ ...c, active: false })))
      assertEquals(again.refusedDeviceIds, [])

      const on = created(await s.scim.updateUser(a.id, (c) => ({ ...c, active: true })))
      assertEquals([on.row.active, on.refusedDeviceIds], [true, []])
      assertEquals(await s.scim.isUserRefused(a.userId), false)
      assert(await s.scim.isDeviceRefused(phone, a.userId), 'the old phone stays refused')
      const newPhone = await enroll(s, a.userId, 3)
      assertEquals(await s.scim.isDeviceRefused(newPhone, a.userId), false)
      assertEquals(await s.scim.adminDeviceIds(), [])
      const admin = await enroll(s, 'it-admin', 4, 'admin')
      assertEquals(await s.scim.adminDeviceIds(), [admin])
      assertEquals(await s.scim.devicesOfUser(a.userId), [
        { deviceId: phone, revoked: false, refused: true },
        { deviceId: newPhone, revoked: false, refused: false },
      ])
    }))

  Deno.test(`${name}: a deleted user answers not found, stays refused, and frees its userName`, () =>
    withStorage(open, async (s) => {
      const a = created(await s.scim.createUser(user('leaver'))).row
      const phone = await enroll(s, a.userId, 1)
      const g = created(
        await s.scim.createGroup({ externalId: null, displayName: 'ICU', memberIds: [a.id] }),
      )
      const gone = await s.scim.deleteUser(a.id)
      assertEquals(gone?.refusedDeviceIds, [phone])
      assertEquals(await s.scim.getUser(a.id), null)
      assertEquals(await s.scim.deleteUser(a.id), null)
      assertEquals(await s.scim.listUsers(), [])
      assertEquals(
        await s.scim.findUsers({ userName: 'leaver' }),
        [],
        'a deleted user is not found',
      )
      const kept = await s.scim.listUsers({ includeDeleted: true })
      assert(kept.length === 1 && kept[0]!.deletedAt !== null && !kept[0]!.active)
      assert(await s.scim.isUserRefused(a.userId))
      assert(await s.scim.isDeviceRefused(phone, a.userId))
      assertEquals((await s.scim.getGroup(g.id))?.memberIds, [])
      const back = created(await s.scim.createUser(user('leaver'))).row
      assert(back.userId !== a.userId, 'a new person, a new Wardline user id')
    }))

  Deno.test(`${name}: groups keep their members, refuse unknown ones, and go away`, () =>
    withStorage(open, async (s) => {
      const a = created(await s.scim.createUser(user('a'))).row
      const b = created(await s.scim.createUser(user('b'))).row
      assertEquals(
        await s.scim.createGroup({ externalId: null, displayName: 'X', memberIds: ['nobody'] }),
        { refused: 'scim/unknown-member' },
      )
      assertEquals(await s.scim.listGroups(), [])
      const g = created(
        await s.scim.createGroup({
          externalId: 'g-1',
          displayName: 'IT Admins',
          memberIds: [b.id, a.id, a.id],
        }),
      )
      assertEquals(g.memberIds, [a.id, b.id].sort())
      const h = created(
        await s.scim.createGroup({ externalId: null, displayName: 'IT Admins', memberIds: [] }),
      )
      assert(h.id !== g.id, 'Entra allows two groups with one display name')
      const fewer = created(await s.scim.updateGroup(g.id, (c) => ({ ...c, memberIds: [b.id] })))
      assertEquals([fewer.memberIds, fewer.version], [[b.id], 2])
      assertEquals(
        await s.scim.updateGroup(g.id, (c) => ({ ...c, memberIds: [...c.memberIds, 'nobody'] })),
        { refused: 'scim/unknown-member' },
      )
      assertEquals((await s.scim.getGroup(g.id))?.memberIds, [b.id])
      const groups = (await s.scim.listGroups()).map((x) => [x.displayName, x.memberIds])
      assertEquals(groups.sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1)), [
        ['IT Admins', [b.id]],
        ['IT Admins', []],
      ])
      assertEquals(await s.scim.deleteGroup(g.id), true)
      assertEquals(await s.scim.deleteGroup(g.id), false)
      assertEquals(await s.scim.getGroup(g.id), null)
      assertEquals(await s.scim.updateGroup(g.id, (c) => c), { refused: 'scim/not-found' })
    }))
}
