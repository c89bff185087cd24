/**
 * SQLite schema of the relay. Directory attributes (user id, display name, role) live only in
 * `authorizations`; everything else is an opaque blob plus the clear fields needed to route it.
 * UNIQUE constraints back the invariants the code also checks: one device per authorization,
 * one envelope per (conversation, sender, epoch, counter), one commit per (conversation, epoch),
 * gap-free seq per conversation. `members` is the CURRENT member device set (it follows commits).
 */

import { LEGAL_HOLD_TABLE } from './legal-hold.ts'

/** PRAGMA user_version of this schema; 0 with tables present means a pre-epoch data directory. */
export const SCHEMA_VERSION = 10

/**
 * Steps from an older schema version to the next, run in order at start inside one transaction
 * (`MIGRATIONS[n]` takes version n to n + 1). Versions below the first key cannot be migrated.
 */
export const MIGRATIONS: Record<number, string> = {
  // 2 → 3: the encrypted key backup (one opaque blob per user, decision 0007).
  2: `CREATE TABLE IF NOT EXISTS key_backups (
    user_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    blob BLOB NOT NULL,
    stored_at INTEGER NOT NULL
  );`,
  // 3 → 4: compaction (the pruned point; the snapshots table itself is created by SCHEMA).
  3: `ALTER TABLE conversations ADD COLUMN pruned_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN pruned_device_id TEXT;`,
  // 4 → 5: the relay's own signing keys (the offline-lease key, decision 0012). Not a user key.
  4: `CREATE TABLE IF NOT EXISTS relay_keys (
    name TEXT PRIMARY KEY,
    secret BLOB NOT NULL,
    created_at INTEGER NOT NULL
  );`,
  // 5 → 6: the hash-chained audit log and its head row (issue 8, storage/sqlite-audit.ts).
  5: `CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    time INTEGER NOT NULL,
    event TEXT NOT NULL,
    actor TEXT NOT NULL,
    fields TEXT NOT NULL,
    claim BLOB,
    signature BLOB UNIQUE,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
  );
  CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
  );
  CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;`,
  // 6 → 7: SCIM directory sync (issue 7, decision 0014): users, groups, memberships and the
  // devices a deactivation refused. Staff names live only in these directory tables.
  6: `CREATE TABLE IF NOT EXISTS scim_users (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE,
    external_id TEXT,
    user_name TEXT NOT NULL,
    user_name_key TEXT NOT NULL,
    active INTEGER NOT NULL,
    display_name TEXT,
    document TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    deleted_at INTEGER
  );
  CREATE UNIQUE INDEX IF NOT EXISTS scim_users_by_name ON scim_users (user_name_key)
    WHERE deleted_at IS NULL;
  CREATE INDEX IF NOT EXISTS scim_users_by_external_id ON scim_users (external_id);
  CREATE TABLE IF NOT EXISTS scim_groups (
    id TEXT PRIMARY KEY,
    external_id TEXT,
    display_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS scim_members (
    group_id TEXT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    member_id TEXT NOT NULL REFERENCES scim_users (id),
    PRIMARY KEY (group_id, member_id)
  );
  CREATE INDEX IF NOT EXISTS scim_members_by_member ON scim_members (member_id);
  CREATE TABLE IF NOT EXISTS scim_refused_devices (
    device_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    refused_at INTEGER NOT NULL
  );`,
  // 7 → 8: legal hold on conversations (issue 8, storage/legal-hold.ts); pruning skips held ones.
  7: LEGAL_HOLD_TABLE,
  // 8 → 9: when each device last logged in, for the admin console's "last seen" (issue 7).
  8: `CREATE TABLE IF NOT EXISTS device_seen (
    device_id TEXT PRIMARY KEY,
    last_seen_at INTEGER NOT NULL
  );`,
  // 9 → 10: attachment blobs (issue 9, decision 0018): opaque ciphertext in numbered chunks;
  // `stored` counts the chunks in (they arrive in order), `completed_at` is set by the last one.
  9: `CREATE TABLE IF NOT EXISTS blobs (
    blob_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    chunk_count INTEGER NOT NULL,
    stored INTEGER NOT NULL,
    stored_bytes INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    completed_at INTEGER
  );
  CREATE INDEX IF NOT EXISTS blobs_incomplete ON blobs (started_at) WHERE completed_at IS NULL;
  CREATE INDEX IF NOT EXISTS blobs_by_device ON blobs (device_id) WHERE completed_at IS NULL;
  CREATE TABLE IF NOT EXISTS blob_chunks (
    blob_id TEXT NOT NULL REFERENCES blobs (blob_id),
    idx INTEGER NOT NULL,
    chunk BLOB NOT NULL,
    PRIMARY KEY (blob_id, idx)
  );`,
}

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS org (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  root_public_key BLOB,
  setup_code_hash BLOB,
  compliance_certificate BLOB
);
CREATE TABLE IF NOT EXISTS authorizations (
  id TEXT PRIMARY KEY,
  blob BLOB NOT NULL,
  user_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  used_by_device_id TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS devices (
  device_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  authorization_id TEXT NOT NULL UNIQUE REFERENCES authorizations (id),
  binding BLOB NOT NULL,
  registered_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
  conversation_id TEXT PRIMARY KEY,
  genesis BLOB NOT NULL,
  head_seq INTEGER NOT NULL DEFAULT 0,
  epoch INTEGER NOT NULL DEFAULT 0,
  head_hash BLOB NOT NULL,
  rotation_pending INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  pruned_seq INTEGER NOT NULL DEFAULT 0,
  pruned_device_id TEXT
);
CREATE TABLE IF NOT EXISTS members (
  conversation_id TEXT NOT NULL REFERENCES conversations (conversation_id),
  device_id TEXT NOT NULL REFERENCES devices (device_id),
  PRIMARY KEY (conversation_id, device_id)
);
CREATE INDEX IF NOT EXISTS members_by_device ON members (device_id);
CREATE TABLE IF NOT EXISTS key_boxes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL REFERENCES conversations (conversation_id),
  recipient_device_id TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  box BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS key_boxes_by_recipient ON key_boxes (conversation_id, recipient_device_id);
CREATE TABLE IF NOT EXISTS envelopes (
  conversation_id TEXT NOT NULL REFERENCES conversations (conversation_id),
  seq INTEGER NOT NULL,
  sender_device_id TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('data', 'commit')),
  -- data rows: the per-sender counter; commit rows: NULL (NULLs never collide in UNIQUE)
  counter INTEGER CHECK ((kind = 'data') = (counter IS NOT NULL)),
  -- commit rows: commitHash of the commit, so a retried commit is recognised
  commit_hash BLOB CHECK ((kind = 'commit') = (commit_hash IS NOT NULL)),
  envelope BLOB NOT NULL,
  stored_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, seq),
  UNIQUE (conversation_id, sender_device_id, epoch, counter)
);
CREATE UNIQUE INDEX IF NOT EXISTS one_commit_per_epoch ON envelopes (conversation_id, epoch)
  WHERE kind = 'commit';
CREATE INDEX IF NOT EXISTS commits_by_hash ON envelopes (conversation_id, commit_hash)
  WHERE kind = 'commit';
CREATE TABLE IF NOT EXISTS receipts (
  conversation_id TEXT NOT NULL REFERENCES conversations (conversation_id),
  device_id TEXT NOT NULL,
  receipt BLOB NOT NULL,
  progress INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, device_id)
);
CREATE TABLE IF NOT EXISTS revocations (
  device_id TEXT PRIMARY KEY REFERENCES devices (device_id),
  certificate BLOB NOT NULL,
  revoked_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
  conversation_id TEXT NOT NULL REFERENCES conversations (conversation_id),
  seq INTEGER NOT NULL,
  device_id TEXT NOT NULL,
  part_index INTEGER NOT NULL,
  part_count INTEGER NOT NULL,
  part BLOB NOT NULL,
  stored_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, seq, device_id, part_index)
);
CREATE TABLE IF NOT EXISTS policy (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL,
  blob BLOB NOT NULL
);
${MIGRATIONS[2]}
${MIGRATIONS[4]}
${MIGRATIONS[5]}
${MIGRATIONS[6]}
${MIGRATIONS[7]}
${MIGRATIONS[8]}
${MIGRATIONS[9]}
`

