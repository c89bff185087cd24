/**
 * The byte patterns a canary string takes when stored: UTF-8, UTF-16 (little-endian), and base64
 * and base64url at each of the three alignments (the edge characters depend on neighbours, so
 * they are left out). Shared by the browser scan (idb-scan.ts) and the relay scan (e2e).
 */
export function canaryForms(canary: string): Uint8Array[] {
  const encode = (s: string) => new TextEncoder().encode(s)
  const utf16 = new Uint8Array(canary.length * 2)
  for (let i = 0; i < canary.length; i++) {
    utf16[i * 2] = canary.charCodeAt(i) & 0xff
    utf16[i * 2 + 1] = canary.charCodeAt(i) >> 8
  }
  const base64 = [0, 1, 2].map((k) => {
    const s = btoa('x'.repeat(k) + canary)
    return s.slice(k === 0 ? 0 : 4, s.length - 4)
  })
  const base64url = base64.map((s) => s.replaceAll('+', '-').replaceAll('/', '_'))
  return [encode(canary), utf16, ...base64.map(encode), ...base64url.map(encode)]
}
