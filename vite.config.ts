/**
 * Build of the Wardline PWA: index.html → dist/, the Wardline worker as its own ES module file
 * (so the CSP's `worker-src 'self'` holds), and a generated service worker registered by hand
 * in web/register-sw.ts (no inline script under `script-src 'self'`). A new service worker waits:
 * the running app verifies the signed release (build/release-plugin.ts writes release.json and
 * release.sig) before it lets the worker take over (web/release-updates.ts, decision 0010).
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'
import { wardlineRelease } from './build/release-plugin.ts'

const THEME = '#0b5c73'
const release = wardlineRelease(fileURLToPath(new URL('.', import.meta.url)))

export default defineConfig({
  define: release.define,
  publicDir: 'web/public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Never inline assets as data: URLs into JS/CSS; keep files addressable under 'self'.
    assetsInlineLimit: 0,
  },
  worker: { format: 'es' },
  plugins: [
    VitePWA({
      strategies: 'generateSW',
      injectRegister: false,
      registerType: 'autoUpdate',
      includeAssets: ['icons/apple-touch-icon.png'],
      manifest: {
        name: 'Wardline',
        short_name: 'Wardline',
        description: 'Secure messaging for care teams',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        id: '/',
        theme_color: THEME,
        background_color: '#f3f6f8',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: 'icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html}'],
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/ws/, /^\/scim\//],
        cleanupOutdatedCaches: true,
        // Never automatic: the page posts SKIP_WAITING only after the release verified.
        skipWaiting: false,
        // The first install has no earlier build to verify against: it controls the page at once.
        clientsClaim: true,
        runtimeCaching: [], // /api, /ws and /scim always go to the network
        manifestTransforms: [release.manifestTransform],
      },
    }),
    release.plugin,
  ],
})
