/**
 * `npm run compliance:export -- (--data DIR | --database-url URL) --conversation ID --shares FILE
 * [--out DIR] [--root FINGERPRINT]` (issue 8, docs/decisions/0019-compliance-export.md): rebuilds
 * the compliance private key from k officers' shares (one per line of FILE, as printed at setup),
 * reads one conversation's log from the relay's store, opens every epoch key sealed to the
 * compliance key, verifies every commit, envelope and record signature against the root-chained
 * directory, appends a `compliance.export` record to the audit log (signed with the compliance
 * key) and only then writes DIR: `export.json`, `export.txt` and `manifest.json` (signed).
 * Exit 0: exported, nothing failed to verify; 1: exported, but entries failed to verify (listed in
 * the export, the manifest and on stderr, never shown as messages); 2: nothing written (bad
 * arguments, too few / wrong / another organisation's shares, unknown conversation, store or
 * audit log not writable). The key and the epoch keys are wiped before it exits.
 */
import * as c from '../crypto/mod.ts'
import { combineComplianceShares, parseComplianceShare } from '../workers/core/compliance-setup.ts'
import type { RelayStorage } from '../relay/storage/storage.ts'
import {
  type ExportManifest,
  sha256Hex,
  signExportManifest,
  TOOL_NAME,
  TOOL_VERSION,
} from './compliance/manifest.ts'
import { openConversationLog } from './compliance/open-log.ts'
import { renderExport } from './compliance/render.ts'
import { openStore, readDirectory, readLog } from './compliance/store.ts'
import { type Args, parseArgs, readShareLines, USAGE } from './compliance/args.ts'

class Refusal extends Error {}

const SHARE_ERRORS: Record<string, string> = {
  'compliance/not-enough-shares':
    'not enough shares: this key needs more officers’ shares; nothing was opened',
  'compliance/wrong-key':
    'a share belongs to another compliance key (another organisation, or a replaced key) than the one the root certified',
  'compliance/bad-share': 'a share is mistyped or altered (its check does not match)',
  'compliance/shares-do-not-match': 'the shares do not rebuild the root-certified compliance key',
}

const normFp = (s: string) =>
  s.toUpperCase().replace(/[^0-9A-Z]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0')
const grouped = (root: Uint8Array) =>
  c.toBase32(c.rootFingerprint(root)).match(/.{1,4}/g)!.join(' ')

async function orgKeys(storage: RelayStorage, pinned: string | undefined) {
  const root = (await storage.getOrg()).rootPublicKey
  if (!root) throw new Refusal('the store holds no organisation (setup never happened)')
  if (pinned !== undefined && normFp(grouped(root)) !== normFp(pinned)) {
    throw new Refusal('the store’s root key does not have the fingerprint given with --root')
  }
  if (pinned === undefined) {
    console.error(
      `compliance:export: warning: no --root: trusting the store's root key (fingerprint ${
        grouped(root)
      }); compare it with Organisation in the app`,
    )
  }
  const cert = await storage.getComplianceCertificate()
  const key = cert ? c.verifyComplianceCertificate(cert, root) : null
  if (!cert || !key?.ok) {
    throw new Refusal('the store holds no compliance certificate signed by the root')
  }
  return { root, cert, key: key.value }
}

/** Appends the signed `compliance.export` claim; the export is written only after it is stored. */
async function appendExportRecord(
  storage: RelayStorage,
  o: { key: c.ComplianceKey; secret: Uint8Array; fields: c.AuditFields },
) {
  const claim: c.AuditClaim = {
    deviceId: c.complianceRecipientId(o.key.keyId),
    event: 'compliance.export',
    time: Date.now(),
    fields: o.fields,
  }
  const bytes = c.encodeAuditClaim(claim)
  const signature = c.xeddsaSign(bytes, o.secret)
  return await storage.appendAudit({
    time: claim.time,
    event: claim.event,
    actor: claim.deviceId,
    fields: claim.fields,
    claim: bytes,
    signature,
  })
}

/** Refuses an output path that is a file or a non-empty folder, before any key is opened. */
async function checkOut(out: string): Promise<void> {
  let info: Deno.FileInfo
  try {
    info = await Deno.stat(out)
  } catch {
    return // does not exist: fine
  }
  if (!info.isDirectory || [...Deno.readDirSync(out)].length > 0) {
    throw new Refusal(`${out} exists and is not an empty folder`)
  }
}

/**
 * Writes the files into a private temporary folder beside `out` and renames it into place, so
 * there is never a partial export; the files are plaintext patient data (owner-only modes).
 */
async function writeAtomically(out: string, files: Record<string, Uint8Array>): Promise<void> {
  await checkOut(out)
  const tmp = `${out}.partial-${c.bytesToHex(c.randomBytes(4))}`
  try {
    await Deno.mkdir(tmp, { recursive: true, mode: 0o700 })
    for (const [name, bytes] of Object.entries(files)) {
      await Deno.writeFile(`${tmp}/${name}`, bytes, { mode: 0o600, createNew: true })
    }
    await Deno.remove(out).catch(() => {})
    await Deno.rename(tmp, out)
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {})
    throw e
  }
}

async function exportConversation(storage: RelayStorage, args: Args): Promise<number> {
  const out = args.out ?? `compliance-export-${args.conversation}`
  await checkOut(out)
  const { root, cert, key } = await orgKeys(storage, args.root)
  const texts = readShareLines(await Deno.readTextFile(args.shares))
  const combined = await combineComplianceShares(texts, key)
  if (!combined.ok) throw new Refusal(SHARE_ERRORS[combined.code] ?? combined.code)
  const secret = combined.value
  try {
    const conv = await storage.getConversation(args.conversation)
    if (!conv) throw new Refusal(`no conversation ${args.conversation} in the store`)
    const { devices, revoked } = await readDirectory(storage, root)
    const opened = openConversationLog({
      conversationId: args.conversation,
      genesis: conv.genesis,
      complianceBoxes: await storage.boxesFor(
        args.conversation,
        c.complianceRecipientId(key.keyId),
      ),
      entries: await readLog(storage, args.conversation),
      snapshot: await storage.prunedSnapshot(args.conversation),
      headSeq: conv.headSeq,
      devices,
      key,
      secretKey: secret,
    })
    if (opened === 'bad-genesis') {
      throw new Refusal('the conversation’s genesis commit does not verify')
    }
    const exportedAt = new Date().toISOString()
    const files = renderExport({
      conversationId: args.conversation,
      opened,
      devices,
      revoked,
      exportedAt,
    })
    const sharesUsed = [
      ...new Set(
        texts.map((t) => parseComplianceShare(t)).filter((s) => s.ok).map((s) => s.value.index),
      ),
    ].sort()
    const record = await appendExportRecord(storage, {
      key,
      secret,
      fields: {
        conversation: args.conversation,
        messages: files.messages,
        problems: opened.problems.length,
        sha256: sha256Hex(files.json),
        shares: sharesUsed.join(','),
      },
    })
    const manifest: ExportManifest = {
      v: 1,
      tool: TOOL_NAME,
      toolVersion: TOOL_VERSION,
      createdAt: exportedAt,
      conversationId: args.conversation,
      complianceKeyId: key.keyId,
      sharesUsed,
      rootPublicKey: c.bytesToHex(root),
      rootFingerprint: grouped(root),
      complianceCertificate: c.toBase64url(cert),
      epochs: opened.epochs,
      compaction: opened.snapshot,
      counts: {
        ...opened.counts,
        messages: files.messages,
        attachments: files.attachments,
        problems: opened.problems.length,
      },
      problems: opened.problems,
      files: { 'export.json': sha256Hex(files.json), 'export.txt': sha256Hex(files.text) },
      audit: { seq: record.seq, hash: c.bytesToHex(record.hash) },
    }
    const signed = signExportManifest(manifest, secret)
    await writeAtomically(out, {
      'export.json': files.json,
      'export.txt': files.text,
      'manifest.json': new TextEncoder().encode(JSON.stringify(signed, null, 2) + '\n'),
    })
    for (const p of opened.problems) {
      console.error(`compliance:export: problem at seq ${p.seq}: ${p.reason}`)
    }
    console.log(
      `exported ${files.messages} messages of ${args.conversation} to ${out} (audit record ${record.seq})`,
    )
    console.log(
      JSON.stringify({
        ok: opened.problems.length === 0,
        out,
        messages: files.messages,
        problems: opened.problems.length,
        auditSeq: record.seq,
      }),
    )
    return opened.problems.length === 0 ? 0 : 1
  } finally {
    c.wipe(secret)
  }
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv)
  if (typeof args === 'string') {
    console.error(`compliance:export: ${args}\n${USAGE}`)
    return 2
  }
  let storage: RelayStorage
  try {
    storage = await openStore(args)
  } catch (e) {
    console.error(`compliance:export: cannot open the store: ${e instanceof Error ? e.message : e}`)
    return 2
  }
  try {
    return await exportConversation(storage, args)
  } catch (e) {
    const why = e instanceof Refusal
      ? e.message
      : `failed (${e instanceof Error ? `${e.name}: ${e.message}` : e})`
    console.error(`compliance:export: ${why}; nothing was written`)
    return 2
  } finally {
    await storage.close()
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args))
