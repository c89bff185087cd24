/** Groups a code or fingerprint for reading aloud: "ABCD-EFGH-…" stays; bare text gets groups of 4. */
export function groupCode(code: string): string[] {
  const parts = code.trim().split(/[\s-]+/).filter(Boolean)
  if (parts.length > 1) return parts
  return code.trim().match(/.{1,4}/g) ?? []
}
