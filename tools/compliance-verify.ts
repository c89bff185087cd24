/**
 * `npm run compliance:verify -- DIR --root FINGERPRINT` (decision 0019): checks a compliance
 * export folder the way a court or auditor would, with nothing but the organisation's root
 * fingerprint: the manifest's signature by the root-certified compliance key and the SHA-256 of
 * every file it lists. Exit 0 intact, 1 not intact, 2 could not run. Opens nothing, needs no share.
 */
import { type ExportManifest, verifyExportManifest } from './compliance/manifest.ts'

export async function main(argv: string[]): Promise<number> {
  const rootAt = argv.indexOf('--root')
  const fingerprint = rootAt >= 0 ? argv[rootAt + 1] : undefined
  const dir = argv.find((a, i) => !a.startsWith('--') && i !== rootAt + 1)
  if (!dir || !fingerprint) {
    console.error('usage: compliance:verify DIR --root FINGERPRINT')
    return 2
  }
  let manifest: ExportManifest
  const files = new Map<string, Uint8Array>()
  try {
    manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`))
    for (const name of Object.keys(manifest.files ?? {})) {
      if (name.includes('/') || name.startsWith('.')) continue
      files.set(name, await Deno.readFile(`${dir}/${name}`).catch(() => new Uint8Array(0)))
    }
  } catch (e) {
    console.error(
      `compliance:verify: cannot read ${dir}/manifest.json (${e instanceof Error ? e.name : e})`,
    )
    return 2
  }
  const problems = verifyExportManifest(manifest, files, fingerprint)
  for (const p of problems) console.log(`NOT intact: ${p}`)
  if (problems.length === 0) {
    console.log(
      `export intact: ${
        Object.keys(manifest.files).length
      } files, signed by compliance key ${manifest.complianceKeyId}; audit record ${manifest.audit?.seq}`,
    )
  }
  console.log(JSON.stringify({ ok: problems.length === 0, problems }))
  return problems.length === 0 ? 0 : 1
}

if (import.meta.main) Deno.exit(await main(Deno.args))
