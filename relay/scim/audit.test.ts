/**
 * Directory changes made through SCIM are audited (issue 8): creation, update, deactivation,
 * reactivation and deletion of users, and group changes, each as a record whose actor is `scim`
 * and whose fields name Wardline user ids and counts only — never the person's name, userName or
 * email, which stay in the directory tables.
 */
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { assert, assertEquals } from '../storage/_assert.ts'
import { SQLITE_FILE } from '../storage/sqlite.ts'
import { entraUser, PATCH_OP, scimRequest, withScimRelay } from '../testing/scim-client.ts'

Deno.test('SCIM user and group writes are audited with ids and counts only', () =>
  withScimRelay(async (t) => {
    const created = await scimRequest(t, 'POST', '/scim/v2/Users', entraUser('zebedee.canary@ward.example', 'ext-77'))
    assertEquals(created.status, 201)
    const id = created.body!.id as string
    const patch = (value: string) => ({ schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value }] })
    assertEquals((await scimRequest(t, 'PATCH', `/scim/v2/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Ward Sister' }] })).status, 200)
    assertEquals((await scimRequest(t, 'PATCH', `/scim/v2/Users/${id}`, patch('False'))).status, 200)
    assertEquals((await scimRequest(t, 'PATCH', `/scim/v2/Users/${id}`, patch('True'))).status, 200)
    const group = await scimRequest(t, 'POST', '/scim/v2/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'ICU Nurses', members: [{ value: id }] })
    assertEquals(group.status, 201)
    assertEquals((await scimRequest(t, 'DELETE', `/scim/v2/Groups/${group.body!.id}`)).status, 204)
    assertEquals((await scimRequest(t, 'DELETE', `/scim/v2/Users/${id}`)).status, 204)
    // Directory writes append without waiting: read until the last one is there.
    type Row = { event: string; actor: string; fields: string }
    let rows: Row[] = []
    let all = ''
    for (let i = 0; i < 100; i++) {
      const db = new DatabaseSync(join(t.dataDir, SQLITE_FILE), { readOnly: true })
      rows = db.prepare("SELECT event, actor, fields FROM audit_log WHERE actor = 'scim' ORDER BY seq").all() as Row[]
      all = JSON.stringify(db.prepare('SELECT * FROM audit_log').all())
      db.close()
      if (rows.length >= 7) break
      await new Promise((r) => setTimeout(r, 50))
    }
    assertEquals(rows.map((r) => r.event), [
      'scim.user-created',
      'scim.user-updated',
      'scim.user-deactivated',
      'scim.user-reactivated',
      'scim.group-created',
      'scim.group-deleted',
      'scim.user-deleted',
    ])
    for (const canary of ['zebedee', 'Alex', 'Carter', 'ICU Nurses', 'ext-77']) assert(!all.includes(canary), `${canary} in the audit log`)
  }))
