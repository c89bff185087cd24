/**
 * Turns an opened conversation log into the export's two files (decision 0019): `export.json`
 * (every verified record with its author's directory name, device, time, record id, relay seq
 * and epoch; attachment hashes when a record carries them; members per epoch; problems) and
 * `export.txt`, the same messages as a readable transcript. Only verified records appear; each
 * problem names its log position and reason. Pure: no I/O.
 */
import type * as c from '../../crypto/mod.ts'
import type { OpenedLog } from './open-log.ts'

export type ExportFiles = {
  json: Uint8Array
  text: Uint8Array
  messages: number
  attachments: number
}

type Person = { userId: string; displayName: string; role: string }

/** A record's attachment hash, when its body is JSON naming one (`sha256` or `hash`). */
function attachmentHash(body: string): string | null {
  if (!body.startsWith('{')) return null
  try {
    const b = JSON.parse(body) as Record<string, unknown>
    const h = b.sha256 ?? b.hash
    return typeof h === 'string' ? h : null
  } catch {
    return null
  }
}

function personOf(devices: ReadonlyMap<string, c.VerifiedDevice>, userId: string): Person {
  const d = [...devices.values()].find((v) => v.userId === userId)
  return { userId, displayName: d?.displayName ?? '(not in the directory)', role: d?.role ?? '' }
}

export function renderExport(o: {
  conversationId: string
  opened: OpenedLog
  devices: ReadonlyMap<string, c.VerifiedDevice>
  revoked: ReadonlySet<string>
  exportedAt: string
}): ExportFiles {
  const { opened, devices } = o
  const messages = opened.records.map((r) => {
    const hash = attachmentHash(r.body)
    return {
      recordId: r.id,
      seq: r.seq,
      epoch: r.epoch,
      time: new Date(r.at).toISOString(),
      at: r.at,
      authorUserId: r.author,
      authorName: devices.get(r.device)?.displayName ?? '(unknown)',
      authorDevice: r.device,
      authorDeviceRevokedSince: o.revoked.has(r.device),
      kind: r.kind,
      text: r.body,
      signature: r.sig,
      ...(hash ? { attachment: { sha256: hash } } : {}),
    }
  })
  const epochs = opened.epochs.map((e) => ({
    ...e,
    createdAt: new Date(e.createdAt).toISOString(),
    members: e.memberUserIds.map((u) => personOf(devices, u)),
  }))
  const doc = {
    conversationId: o.conversationId,
    exportedAt: o.exportedAt,
    epochs,
    compaction: opened.snapshot,
    messages,
    problems: opened.problems,
  }
  const lines = [
    `Wardline compliance export — conversation ${o.conversationId}`,
    `Exported ${o.exportedAt}. Only records whose author signature verified are listed.`,
    ...(opened.snapshot
      ? [
        `Log entries up to seq ${opened.snapshot.seq} were compacted: their records come from the snapshot signed by device ${opened.snapshot.signerDeviceId} (each record still carries its author's signature).`,
      ]
      : []),
    '',
    ...epochs.map((e) =>
      `Epoch ${e.epoch} (log seq ${e.seq}, ${e.change}, ${e.createdAt}): ${
        e.members.map((m) => m.displayName).join(', ')
      }`
    ),
    '',
    ...messages.map((m) =>
      `[${m.time}] ${m.authorName} (device ${m.authorDevice}, seq ${m.seq}, record ${m.recordId}, ${m.kind}): ${m.text}`
    ),
    ...(opened.problems.length
      ? [
        '',
        'PROBLEMS (an entry that failed verification is not exported; fork and missing-entry mean the log differs from what members saw):',
        ...opened.problems.map((p) => `seq ${p.seq}: ${p.reason}`),
      ]
      : []),
    '',
  ]
  const enc = new TextEncoder()
  return {
    json: enc.encode(JSON.stringify(doc, null, 2) + '\n'),
    text: enc.encode(lines.join('\n')),
    messages: messages.length,
    attachments: messages.filter((m) => 'attachment' in m).length,
  }
}
