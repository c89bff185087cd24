/**
 * `npm run compliance:list -- (--data DIR | --database-url URL)` (decision 0019): the
 * conversations a relay's store holds, so officers can name the one to export or an admin the
 * one to hold: id, the time its genesis commit states, members (names from the root-verified
 * directory), entries in the log, current epoch, and whether it is under legal hold. Reads the
 * store only; opens nothing and needs no share (all of it is metadata the relay already has).
 * One JSON object per conversation on stdout, newest first; exit 0, or 2 when it cannot run.
 */
import * as c from '../crypto/mod.ts'
import { openStore, readDirectory, type StoreLocation } from './compliance/store.ts'

export type ListedConversation = {
  conversationId: string
  createdAt: string | null
  members: string[]
  entries: number
  epoch: number
  legalHold: boolean
}

export async function listConversations(at: StoreLocation): Promise<ListedConversation[]> {
  const storage = await openStore(at)
  try {
    const root = (await storage.getOrg()).rootPublicKey
    if (!root) throw new RangeError('expected an organisation in this store, got none (setup never happened)')
    const { devices } = await readDirectory(storage, root)
    const seen = new Set<string>()
    const out: ListedConversation[] = []
    for (const deviceId of devices.keys()) {
      for (const conv of await storage.conversationsOf(deviceId)) {
        if (seen.has(conv.conversationId)) continue
        seen.add(conv.conversationId)
        const genesis = c.parseCommit(conv.genesis)
        const names = new Set<string>()
        for (const d of await storage.memberDeviceIds(conv.conversationId)) {
          const v = devices.get(d)
          if (v) names.add(v.displayName)
        }
        out.push({
          conversationId: conv.conversationId,
          createdAt: genesis.ok ? new Date(genesis.value.createdAt).toISOString() : null,
          members: [...names].sort(),
          entries: conv.headSeq,
          epoch: conv.epoch,
          legalHold: (await storage.legalHold.holdOf(conv.conversationId)) !== null,
        })
      }
    }
    return out.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''))
  } finally {
    await storage.close()
  }
}

export async function main(argv: string[]): Promise<number> {
  const flag = argv[0]
  const value = argv[1]
  if (argv.length !== 2 || (flag !== '--data' && flag !== '--database-url') || !value) {
    console.error('usage: compliance:list (--data DIR | --database-url URL)')
    return 2
  }
  try {
    const at: StoreLocation = flag === '--data' ? { data: value } : { databaseUrl: value }
    for (const conv of await listConversations(at)) console.log(JSON.stringify(conv))
    return 0
  } catch (e) {
    console.error(`compliance:list: ${e instanceof Error ? e.message : e}`)
    return 2
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args))
