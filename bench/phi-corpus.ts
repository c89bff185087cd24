/**
 * False-positive rate of the PHI detector (workers/core/phi.ts) on MTS-Dialog files (real clinical
 * language, no real patients; CC BY 4.0, Ben Abacha et al., EACL 2023 — attribution in
 * test/fixtures/README.md). Every dialogue turn and note is one text; prints how many were flagged,
 * by kind, with what was flagged. Run: deno run --allow-read bench/phi-corpus.ts [file.csv ...]
 */
import { parseCsv } from '../test/sim/corpus.ts'
import { detectPhi, phiKinds } from '../workers/core/phi.ts'

const files = Deno.args.length
  ? Deno.args
  : [new URL('../test/fixtures/mts-dialog/validation.csv', import.meta.url).pathname]
for (const file of files) {
  const [header, ...rows] = parseCsv(Deno.readTextFileSync(file))
  const dialogue = header!.indexOf('dialogue')
  const note = header!.indexOf('section_text')
  const texts = rows.flatMap((r) => [...(r[dialogue] ?? '').split(/\r?\n/), r[note] ?? '']).map((
    t,
  ) => t.trim()).filter(Boolean)
  const byKind: Record<string, number> = {}
  const flagged: string[] = []
  const t0 = performance.now()
  for (const t of texts) {
    const spans = detectPhi(t)
    if (!spans.length) continue
    for (const k of phiKinds(spans)) byKind[k] = (byKind[k] ?? 0) + 1
    flagged.push(spans.map((s) => `${s.kind}: ${t.slice(s.start, s.end)}`).join(' | '))
  }
  const ms = performance.now() - t0
  console.log(JSON.stringify(
    {
      file: file.split('/').pop(),
      texts: texts.length,
      flagged: flagged.length,
      rate: `${((100 * flagged.length) / texts.length).toFixed(2)}%`,
      byKind,
      msPerText: +(ms / texts.length).toFixed(3),
      examples: flagged,
    },
    null,
    1,
  ))
}

// Worst cases for the patterns: 60 KB drafts built to make a regular expression backtrack.
const worst: Record<string, string> = {
  'spaces after a cue': 'MRN' + ' '.repeat(60_000) + 'x',
  'one long number': '1'.repeat(60_000),
  'spaced digits': '1 '.repeat(30_000),
  'plus signs': '+1 '.repeat(20_000),
  'dates': '12/03/1958 '.repeat(5_000),
  'honorifics': 'Mr Smith '.repeat(7_000),
}
const times: Record<string, number> = {}
for (const [name, text] of Object.entries(worst)) {
  const t0 = performance.now()
  detectPhi(text, { names: ['Margaret Okafor'] })
  times[name] = +(performance.now() - t0).toFixed(1)
}
console.log(JSON.stringify({ worstCaseMs: times }))
