/** Vite's `import.meta.env` and asset-import types for the UI (tsconfig sets `types: []`). */
/// <reference types="vite/client" />
