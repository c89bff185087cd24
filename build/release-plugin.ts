/**
 * Vite plugin that signs each build (issue 5, docs/decisions/0010): after vite-plugin-pwa wrote
 * sw.js it writes `release.json` (version, build time, the SHA-256 of every precached file plus
 * sw.js and its workbox runtime) and `release.sig` (Ed25519 over the exact JSON bytes, base64url).
 * It also bakes the release's public key and identity into the app (`__WARDLINE_RELEASE__`), which
 * the first load pins. Node-only build code: never bundled into the app.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Plugin } from 'vite'
import { bytesToHex, toBase64url } from '../crypto/bytes.ts'
import { publicKeyFromSecret } from '../crypto/ed25519.ts'
import { encodeRelease, hashReleaseFile, type ReleaseFile, signRelease } from '../crypto/release.ts'
import { DEV_KEY_PATH, loadReleaseKey } from './release-key.ts'

type ManifestEntry = { url: string; revision: string | null; size: number }
export type BakedRelease = { version: string; releasedAt: number; publicKey: string }

function buildId(env: NodeJS.ProcessEnv, releasedAt: number): string {
  if (env.WARDLINE_BUILD_ID) {
    if (!/^[0-9A-Za-z.-]{1,40}$/.test(env.WARDLINE_BUILD_ID)) {
      throw new RangeError(`expected WARDLINE_BUILD_ID of [0-9A-Za-z.-], got ${env.WARDLINE_BUILD_ID}`)
    }
    return env.WARDLINE_BUILD_ID
  }
  return new Date(releasedAt).toISOString().replace(/\D/g, '').slice(0, 14)
}

/** The plugin, the workbox manifest transform that tells it what is precached, and the define. */
export function wardlineRelease(root: string, env: NodeJS.ProcessEnv = process.env) {
  const key = loadReleaseKey(root, env)
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
  const releasedAt = env.WARDLINE_RELEASED_AT ? Number(env.WARDLINE_RELEASED_AT) : Date.now()
  if (!Number.isSafeInteger(releasedAt) || releasedAt < 0) {
    throw new RangeError(`expected WARDLINE_RELEASED_AT in ms, got ${env.WARDLINE_RELEASED_AT}`)
  }
  const baked: BakedRelease = {
    version: `${pkg.version}+${buildId(env, releasedAt)}`,
    releasedAt,
    publicKey: bytesToHex(publicKeyFromSecret(key.seed)),
  }
  let precache: ManifestEntry[] | null = null
  let outDir = ''

  const manifestTransform = (entries: ManifestEntry[]) => {
    precache = entries
    return { manifest: entries, warnings: [] as string[] }
  }

  const plugin: Plugin = {
    name: 'wardline:release',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir)
      if (key.development) {
        config.logger.warn(
          `wardline: signing with the development release key ${DEV_KEY_PATH}; ` +
            'set WARDLINE_RELEASE_KEY_FILE for a release users should pin (README "Release key")',
        )
      }
    },
    closeBundle: {
      order: 'post',
      sequential: true,
      handler() {
        if (!precache) throw new Error('wardline: the service worker was not generated (no precache list)')
        const files: ReleaseFile[] = precache.map((e) => ({
          url: e.url,
          revision: e.revision,
          precached: true,
          sha256: hashReleaseFile(readFileSync(join(outDir, e.url))),
        }))
        // The worker script and its runtime are fetched by the browser, not precached.
        const runtime = readdirSync(outDir).filter((f) => /^workbox-[0-9a-f]+\.js$/.test(f))
        for (const url of ['sw.js', ...runtime]) {
          files.push({ url, revision: null, precached: false, sha256: hashReleaseFile(readFileSync(join(outDir, url))) })
        }
        const json = encodeRelease({ format: 'wardline-release/1', ...baked, files })
        writeFileSync(join(outDir, 'release.json'), json)
        writeFileSync(join(outDir, 'release.sig'), toBase64url(signRelease(json, key.seed)) + '\n')
      },
    },
  }
  return { plugin, manifestTransform, define: { __WARDLINE_RELEASE__: JSON.stringify(baked) } }
}
