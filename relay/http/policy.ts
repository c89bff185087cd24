/**
 * GET /api/policy: the organisation's latest root-signed device policy as base64url, or null.
 * Public like /api/org: devices need it before they unlock (and before enrollment), it holds no
 * secret, and its root signature, checked by every client, makes tampering visible.
 */
import { toBase64url } from '../crypto-surface.ts'
import type { RelayDeps } from '../ws/context.ts'
import { json, jsonError } from './respond.ts'

export const POLICY_PATH = '/api/policy'

export async function handlePolicyApi(req: Request, deps: RelayDeps): Promise<Response> {
  if (req.method !== 'GET') return jsonError('api/method-not-allowed', 405)
  const blob = await deps.storage.getPolicy()
  return json({ policy: blob ? toBase64url(blob) : null })
}
