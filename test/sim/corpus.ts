/**
 * Reads an MTS-Dialog-format CSV (see ../shared/corpus/README.md) into dialogues of speaker turns,
 * following the parsing rules of the simulator's contract: a turn is a non-blank line; its speaker
 * is the text before the first ':' with spaces and quotes trimmed, compared exactly; a line with no
 * ':' joins the previous turn.
 */
export type Turn = { speaker: string; text: string }
export type Dialogue = { id: string; turns: Turn[]; speakers: string[] }

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += ch
  }
  if (field !== '' || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows.filter((r) => r.some((f) => f !== ''))
}

const trimSpeaker = (s: string) => s.replace(/^[\s"']+|[\s"']+$/g, '')

export function parseDialogue(id: string, dialogue: string): Dialogue {
  const turns: Turn[] = []
  for (const raw of dialogue.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line) continue
    const colon = line.indexOf(':')
    if (colon < 0) {
      const prev = turns[turns.length - 1]
      if (prev) prev.text += '\n' + line
      else turns.push({ speaker: '', text: line }) // no speaker yet: an unnamed speaker
      continue
    }
    turns.push({ speaker: trimSpeaker(line.slice(0, colon)), text: line.slice(colon + 1).trim() })
  }
  const speakers = [...new Set(turns.map((t) => t.speaker))]
  return { id, turns, speakers }
}

export function readCorpus(text: string, limit?: number): Dialogue[] {
  const [header, ...rows] = parseCsv(text)
  if (!header) throw new Error('corpus: empty file')
  const idCol = header.findIndex((h) => h.trim().toLowerCase() === 'id')
  const dialogueCol = header.findIndex((h) => h.trim().toLowerCase() === 'dialogue')
  if (dialogueCol < 0) throw new Error('corpus: no "dialogue" column')
  const selected = limit === undefined ? rows : rows.slice(0, limit)
  return selected.map((r, i) => parseDialogue(idCol >= 0 ? r[idCol] ?? String(i) : String(i), r[dialogueCol] ?? ''))
}
