/**
 * Relay faults, small (issue 4): five dialogues through a real relay process that is killed with
 * SIGKILL three times at seeded points of the replay and restarted on the same port and data
 * directory. The devices reconnect by themselves; nothing acknowledged may be lost or re-stored
 * at another seq, nothing duplicated, and every device must end up showing every message of its
 * conversation. The long runs (20 kills, a 20 s SIGSTOP, two relays on Postgres) are
 * `npm run sim -- --kill-relay 20 …` (bench/README.md).
 */
import { assertEquals } from '../../relay/storage/_assert.ts'
import { readCorpus } from './corpus.ts'
import { RelayFleet, runFaults } from './faults.ts'
import { runScenario } from './scenario.ts'
import { seededRandom } from '../seeded-random.ts'

const CORPUS = new URL('../fixtures/mts-dialog/validation.csv', import.meta.url)

Deno.test({
  name: 'faults: a relay killed with SIGKILL three times mid-replay loses and duplicates nothing, and every device converges',
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dialogues = readCorpus(await Deno.readTextFile(CORPUS), 5)
    const dataDir = await Deno.makeTempDir({ prefix: 'wardline-faults-' })
    const fleet = await RelayFleet.start({ dataDirs: [`${dataDir}/relay-0`] })
    try {
      let kills = 0
      const r = await runScenario({
        dialogues,
        relayUrl: fleet.urls[0]!,
        relayUrls: fleet.urls,
        setupCode: fleet.relays[0]!.setupCode,
        seed: 7,
        dataDir,
        faults: async (ctx) => {
          kills = (await runFaults(fleet, { kills: 3, pauseSeconds: 0, random: seededRandom(7) }, ctx)).kills
        },
      })
      const run = JSON.stringify(r)
      assertEquals(kills, 3, run)
      assertEquals(
        { lost: r.lost, duplicates: r.duplicates, outOfOrder: r.outOfOrder, missingAtEnd: r.missingAtEnd, acksChanged: r.acksChanged },
        { lost: 0, duplicates: 0, outOfOrder: 0, missingAtEnd: 0, acksChanged: 0 },
        run,
      )
      assertEquals(r.delivered, r.expected, run)
    } finally {
      await fleet.stop()
      await Deno.remove(dataDir, { recursive: true }).catch(() => {})
    }
  },
})
