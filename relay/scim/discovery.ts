/**
 * SCIM discovery (RFC 7644 §4, RFC 7643 §5–§7): ServiceProviderConfig, ResourceTypes and
 * Schemas, which Entra ID and Okta read to learn what this service provider supports (PATCH and
 * filters yes; bulk, sort, etags and password changes no).
 */
import { MAX_PAGE } from './list.ts'
import { CORE_GROUP, CORE_USER, ENTERPRISE_USER } from './paths.ts'
import { listResponse, scimError, scimJson } from './respond.ts'
import { SCHEMA_RESOURCES } from './schemas.ts'

function serviceProviderConfig(base: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [{
      type: 'oauthbearertoken',
      name: 'OAuth Bearer Token',
      description: 'The WARDLINE_SCIM_TOKEN the relay was started with, as a bearer token',
      primary: true,
    }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  }
}

function resourceTypes(base: string) {
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: CORE_USER,
      schemaExtensions: [{ schema: ENTERPRISE_USER, required: false }],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Group',
      schema: CORE_GROUP,
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ]
}

/** null when `resource` is not a discovery endpoint. */
export function handleDiscovery(
  base: string,
  resource: string,
  id: string | null,
): Response | null {
  if (resource === 'ServiceProviderConfig' && id === null) {
    return scimJson(serviceProviderConfig(base))
  }
  if (resource === 'ResourceTypes') {
    const all = resourceTypes(base)
    if (id === null) return listResponse(all, all.length, 1)
    const one = all.find((r) => r.id === id)
    return one ? scimJson(one) : scimError(404, 'no such resource type')
  }
  if (resource === 'Schemas') {
    const all = SCHEMA_RESOURCES.map((s) => ({
      ...s,
      meta: { ...s.meta, location: `${base}${s.meta.location}` },
    }))
    if (id === null) return listResponse(all, all.length, 1)
    const one = all.find((s) => s.id.toLowerCase() === id.toLowerCase())
    return one ? scimJson(one) : scimError(404, 'no such schema')
  }
  return null
}
