/** Vite's `import.meta.env` and asset-import types for the UI (tsconfig sets `types: []`). */
/// <reference types="vite/client" />

/** This build's release identity and public key (build/release-plugin.ts, Vite `define`). */
declare const __WARDLINE_RELEASE__: { version: string; releasedAt: number; publicKey: string }
