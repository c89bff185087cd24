#!/usr/bin/env node
// Fails when an import crosses a boundary the architecture forbids (STYLE.md "Boundaries are
// checked"): web/ may import only workers/protocol.ts from workers/ and nothing from crypto/;
// crypto/ imports only @noble/* and itself; relay/ never imports decryption; tools/ (the offline
// compliance tool, which opens boxes with officers' shares) is imported by nothing else; no cycles.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..')
const folders = ['web', 'workers', 'crypto', 'relay', 'tools']
const files = []
const walk = (d) => {
  for (const name of readdirSync(d)) {
    const p = join(d, name)
    if (name === 'node_modules' || name === 'dist') continue
    if (statSync(p).isDirectory()) walk(p)
    else if (/\.(ts|js|mjs)$/.test(name)) files.push(p)
  }
}
folders.forEach((f) => walk(join(root, f)))

const DECRYPTING = ['crypto/aead.ts', 'crypto/key-box.ts', 'crypto/envelope.ts', 'crypto/local-key.ts', 'crypto/mod.ts']
const problems = []
const graph = new Map()
for (const file of files) {
  const rel = relative(root, file)
  const src = readFileSync(file, 'utf8')
  const deps = []
  for (const m of src.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2]
    if (spec.startsWith('.')) {
      const target = relative(root, resolve(dirname(file), spec))
      deps.push(target)
      if (rel.startsWith('web/') && target.startsWith('crypto/')) problems.push(`${rel} imports ${target}: the UI holds no keys`)
      if (rel.startsWith('web/') && target.startsWith('workers/') && target !== 'workers/protocol.ts' && !rel.endsWith('.test.ts')) {
        problems.push(`${rel} imports ${target}: the UI may import only workers/protocol.ts`)
      }
      if (rel.startsWith('crypto/') && !target.startsWith('crypto/')) problems.push(`${rel} imports ${target}: crypto/ is self-contained`)
      if (!rel.startsWith('tools/') && target.startsWith('tools/')) {
        problems.push(`${rel} imports ${target}: only the compliance tool itself uses tools/`)
      }
      if (rel.startsWith('relay/') && !rel.endsWith('.test.ts') && !rel.startsWith('relay/testing/') && DECRYPTING.includes(target)) {
        problems.push(`${rel} imports ${target}: the relay never imports decryption`)
      }
    } else if (rel.startsWith('crypto/') && !spec.startsWith('@noble/') && !rel.endsWith('.test.ts') && !spec.startsWith('node:')) {
      problems.push(`${rel} imports ${spec}: crypto/ imports only @noble/*`)
    }
  }
  graph.set(rel, deps)
}
// cycle detection (DFS)
const state = new Map()
const stack = []
const visit = (n) => {
  state.set(n, 1)
  stack.push(n)
  for (const d of graph.get(n) ?? []) {
    if (!graph.has(d)) continue
    if (state.get(d) === 1) problems.push(`import cycle: ${[...stack.slice(stack.indexOf(d)), d].join(' → ')}`)
    else if (!state.has(d)) visit(d)
  }
  stack.pop()
  state.set(n, 2)
}
for (const n of graph.keys()) if (!state.has(n)) visit(n)
if (problems.length) {
  console.error(problems.join('\n'))
  process.exit(1)
}
console.log(`boundaries ok (${files.length} files)`)
