/**
 * The only place the relay imports from crypto/: parse and verify helpers, named one by one so
 * the boundary check (and a reader) can see that nothing here decrypts (DESIGN §2, secsync's
 * rule). Never add aead.ts, local-key.ts, verifyAndOpenEnvelope or verifyAndOpenKeyBox.
 */
export {
  encodeTuple,
  equalBytes,
  fromBase64url,
  randomBytes,
  toBase32,
  toBase64url,
} from '../crypto/bytes.ts'
export { verifySignature } from '../crypto/ed25519.ts'
export { sha256 } from '../crypto/hkdf.ts'
export {
  authorizationId,
  loginChallengeMessage,
  parseAuthorization,
  parseDeviceBinding,
  verifyAuthorization,
  verifyDeviceChain,
} from '../crypto/trust.ts'
export { complianceRecipientId, parseComplianceCertificate, verifyComplianceCertificate } from '../crypto/compliance.ts'
export { parseEnvelopeHeader } from '../crypto/envelope-header.ts'
export { parseKeyBoxHeader } from '../crypto/key-box-header.ts'
export {
  commitHash,
  decodeCommitEntry,
  GENESIS_PREV_HASH,
  isCommitEntry,
  MAX_COMMIT_BOXES,
  MAX_CONVERSATION_DEVICES,
  parseCommit,
  verifyCommit,
} from '../crypto/commit.ts'
export { parseRevocation, verifyRevocation } from '../crypto/revocation.ts'
export { parseReceipt } from '../crypto/receipt.ts'
export { parsePolicy, verifyPolicy } from '../crypto/policy.ts'
export { joinSnapshot, MAX_SNAPSHOT_PARTS, verifySnapshot } from '../crypto/snapshot-header.ts'
export { parseKeyBackupHeader } from '../crypto/key-backup-header.ts'
// The relay's own offline-lease signatures (decision 0012): signing, never decrypting.
export { publicKeyFromSecret, sign } from '../crypto/ed25519.ts'
export { signLease } from '../crypto/lease.ts'
// The audit log (issue 8): chaining records, checking device-signed claims and checkpoints.
export {
  auditRecordJson,
  AUDIT_CLAIM_MAX_SKEW_MS,
  auditRecordHash,
  chainAuditRecord,
  encodeAuditFields,
  isAuditEventName,
  MAX_AUDIT_CLAIM_BYTES,
  parseAuditClaim,
  verifyAuditClaim,
} from '../crypto/audit.ts'
export type { AuditFields, AuditRecord } from '../crypto/audit.ts'
export { parseCheckpointLine, verifyAuditCheckpoint } from '../crypto/audit-checkpoint.ts'
export type { AuditCheckpoint } from '../crypto/audit-checkpoint.ts'
export { rootFingerprint } from '../crypto/trust.ts'
// Claims and manifests the compliance tool signs with the compliance key (decision 0019): checking only.
export { xeddsaVerify } from '../crypto/xeddsa.ts'
