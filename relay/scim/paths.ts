/**
 * SCIM attribute paths (RFC 7644 §3.10, §3.5.2): `userName`, `name.givenName`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`, and PATCH paths with a
 * value filter, `emails[type eq "work"].value`. Names are matched ignoring case; the core schema
 * URN prefix is dropped, an extension's attributes live in the object named by its URN.
 */
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const EXTENSIONS = [ENTERPRISE_USER]

/** `schema`: the extension holding the attribute (absent for the core schema). */
export type AttrPath = { schema?: string; attr: string; sub?: string }

const NAME = /^[A-Za-z$][\w$-]*$/

function splitSub(rest: string): { attr: string; sub?: string } | null {
  const [attr, sub, more] = rest.split('.')
  if (more !== undefined || !attr || !NAME.test(attr)) return null
  if (sub === undefined) return { attr }
  return NAME.test(sub) ? { attr, sub } : null
}

export function parseAttrPath(text: string): AttrPath | null {
  if (!/^urn:/i.test(text)) return splitSub(text)
  const lower = text.toLowerCase()
  // The extension object itself (a no-path PATCH value or a full resource names it).
  const whole = EXTENSIONS.find((u) => u.toLowerCase() === lower)
  if (whole) return { attr: whole }
  const cut = text.lastIndexOf(':')
  const schemaText = text.slice(0, cut).toLowerCase()
  const rest = splitSub(text.slice(cut + 1))
  if (!rest) return null
  if (schemaText === CORE_USER.toLowerCase() || schemaText === CORE_GROUP.toLowerCase()) return rest
  const ext = EXTENSIONS.find((u) => u.toLowerCase() === schemaText)
  return ext ? { schema: ext, ...rest } : null
}
