/**
 * List queries (RFC 7644 §3.4.2): `filter`, `startIndex` (1-based), `count` (capped at
 * MAX_PAGE), `attributes` and `excludedAttributes`, query names matched ignoring case. Filters
 * run over the resources as a client would read them, so any attribute can be filtered on; a
 * directory of a hospital's staff fits in memory for that.
 */
import { matchesFilter, parseFilter } from './filter.ts'
import { projectResource } from './resources.ts'
import { listResponse, scimError, scimJson } from './respond.ts'

/** Largest page returned, whatever `count` asks for (ServiceProviderConfig filter.maxResults). */
export const MAX_PAGE = 1000
const DEFAULT_PAGE = 100

type Json = Record<string, unknown>

/** A query parameter by name, ignoring case (Entra and Okta spell them the RFC's way anyway). */
export function queryParam(url: URL, name: string): string | null {
  const lower = name.toLowerCase()
  for (const [k, v] of url.searchParams) if (k.toLowerCase() === lower) return v
  return null
}

/**
 * One resource as a GET, POST, PUT or PATCH answers it: projected by `attributes` /
 * `excludedAttributes`, with its version as ETag and, when created, its Location.
 */
export function resourceResponse(resource: Json, url: URL, status = 200): Response {
  const body = projectResource(resource, queryParam(url, 'attributes'), queryParam(url, 'excludedAttributes'))
  const meta = resource.meta as { location: string; version: string }
  return scimJson(body, status, {
    ETag: meta.version,
    ...(status === 201 ? { Location: meta.location } : {}),
  })
}

function parseIndex(text: string | null, fallback: number): number | null {
  if (text === null || text === '') return fallback
  if (!/^-?\d+$/.test(text.trim())) return null
  return Number(text.trim())
}

export function listResources(url: URL, resources: Json[]): Response {
  const start = parseIndex(queryParam(url, 'startIndex'), 1)
  const count = parseIndex(queryParam(url, 'count'), DEFAULT_PAGE)
  if (start === null || count === null) {
    return scimError(400, 'startIndex and count must be integers', 'invalidValue')
  }
  const filterText = queryParam(url, 'filter')
  let matching = resources
  if (filterText !== null && filterText.trim() !== '') {
    const f = parseFilter(filterText.trim())
    if (!f.ok) return scimError(400, 'the filter does not parse', 'invalidFilter')
    matching = resources.filter((r) => matchesFilter(r, f.filter))
  }
  // Below 1 is read as 1, a negative count as 0 (RFC 7644 §3.4.2.4).
  const startIndex = Math.max(1, start)
  const take = Math.min(Math.max(0, count), MAX_PAGE)
  const attributes = queryParam(url, 'attributes')
  const excluded = queryParam(url, 'excludedAttributes')
  const page = matching.slice(startIndex - 1, startIndex - 1 + take)
    .map((r) => projectResource(r, attributes, excluded))
  return listResponse(page, matching.length, startIndex)
}
