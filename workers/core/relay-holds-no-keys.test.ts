/**
 * What the relay stores holds no key (issue 8, DESIGN §5): after setup, enrollment, messages, a
 * removal (a new epoch) and a snapshot, no file in the relay's data directory contains the
 * compliance private key, any officer's share, the organisation root key, a device's private keys
 * or any epoch key — searched as raw bytes, hex, base64 and base64url, and shares also as UTF-8
 * and UTF-16 text. A display name planted in the directory is found, so the search works.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import * as c from '../../crypto/mod.ts'
import { combineComplianceShares } from './compliance-setup.ts'
import { verifiedComplianceKey } from './identity.ts'
import { until, world } from './test-world.ts'

const NAME_CANARY = 'Zebedee Canary-Nurse 5521'

function forms(secret: Uint8Array): Uint8Array[] {
  const text = (s: string) => new TextEncoder().encode(s)
  const b64 = btoa(String.fromCharCode(...secret))
  return [secret, text(c.bytesToHex(secret)), text(b64), text(b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''))]
}

function textForms(s: string): Uint8Array[] {
  const utf16 = new Uint8Array(s.length * 2)
  for (let i = 0; i < s.length; i++) {
    utf16[i * 2] = s.charCodeAt(i) & 0xff
    utf16[i * 2 + 1] = s.charCodeAt(i) >> 8
  }
  return [new TextEncoder().encode(s), utf16]
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    if (hay[i] !== needle[0]) continue
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

Deno.test('the relay data directory holds no compliance key, share, root key, device key or epoch key', async () => {
  const w = await world({ compactionGraceMs: 0 }, { snapshotEvery: 5 })
  try {
    const benId = await w.enroll(NAME_CANARY)
    const caraId = await w.enroll('Cara Doctor')
    const ben = w.make(benId)
    const cara = w.make(caraId)
    await ben.start()
    await cara.start()
    await until(() => w.admin.people().length === 3 && ben.people().length === 3, 'directory')
    const conv = await w.admin.createConversation([benId.userId, caraId.userId])
    for (let i = 0; i < 6; i++) await w.admin.sendMessage(conv, `message ${i}`, `m${i}`)
    await w.admin.removeMembers(conv, [caraId.userId])
    await w.admin.sendMessage(conv, 'after the removal', 'm-after')
    await until(() => w.admin.queuedCount() === 0 && (ben.conversations.get(conv)?.meta.epoch ?? 0) >= 1, 'sent under the new epoch')

    const key = verifiedComplianceKey(w.adminId)
    assert.ok(key.ok)
    const compliancePrivate = await combineComplianceShares(w.complianceShares.map((s) => s.share).slice(0, 2), key.value)
    assert.ok(compliancePrivate.ok)
    const secrets: [string, Uint8Array[]][] = [
      ['compliance private key', forms(compliancePrivate.value)],
      ['organisation root key', forms(w.adminId.rootSecretKey!)],
      ...[w.adminId, benId, caraId].flatMap((id) => [
        [`${id.displayName} signing key`, forms(id.signingSecretKey)] as [string, Uint8Array[]],
        [`${id.displayName} agreement key`, forms(id.agreementSecretKey)] as [string, Uint8Array[]],
      ]),
      ...Object.entries(w.admin.conversations.get(conv)!.meta.epochKeys).map(([epoch, k]) => [`epoch ${epoch} key`, forms(k)] as [string, Uint8Array[]]),
      ...w.complianceShares.map((s, i) => [`officer share ${i + 1}`, textForms(s.share)] as [string, Uint8Array[]]),
    ]
    for (const client of [ben, cara]) client.stop()
    w.admin.stop()
    await w.relay.close()

    const files: [string, Uint8Array][] = []
    for await (const e of Deno.readDir(w.dataDir)) if (e.isFile) files.push([e.name, await Deno.readFile(join(w.dataDir, e.name))])
    assert.ok(files.some(([name]) => name.endsWith('.sqlite')), 'the database file was read')
    assert.ok(files.some(([, bytes]) => contains(bytes, new TextEncoder().encode(NAME_CANARY))), 'the planted name is found: the search works')
    for (const [what, variants] of secrets) {
      for (const v of variants) {
        for (const [name, bytes] of files) assert.ok(!contains(bytes, v), `${what} found in ${name}`)
      }
    }
  } finally {
    await w.close().catch(() => {})
  }
})
