/**
 * Postgres schema of the relay (issue 4): the same tables and invariants as sqlite-schema.ts, in
 * Postgres types. The per-conversation seq comes from the `head_seq` counter row, bumped in the
 * append's transaction (never a sequence object, which may skip numbers on rollback).
 * `key_boxes.id` is only a storage order, so a BIGSERIAL there may have holes.
 * Migrations run at start under an advisory lock, so relays starting together apply each once.
 */
import type { Sql } from './postgres-base.ts'
import { AUDIT_MIGRATION } from './postgres-audit.ts'

/** Each entry migrates from version i to i + 1; the schema version is the list's length. */
const MIGRATIONS: readonly string[] = [
  `
CREATE TABLE org (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  root_public_key BYTEA,
  setup_code_hash BYTEA,
  compliance_certificate BYTEA
);
CREATE TABLE authorizations (
  id TEXT COLLATE "C" PRIMARY KEY,
  blob BYTEA NOT NULL,
  user_id TEXT COLLATE "C" NOT NULL,
  display_name TEXT COLLATE "C" NOT NULL,
  role TEXT COLLATE "C" NOT NULL,
  expires_at BIGINT NOT NULL,
  used_by_device_id TEXT COLLATE "C" UNIQUE
);
CREATE TABLE devices (
  device_id TEXT COLLATE "C" PRIMARY KEY,
  user_id TEXT COLLATE "C" NOT NULL,
  authorization_id TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES authorizations (id),
  binding BYTEA NOT NULL,
  registered_at BIGINT NOT NULL
);
CREATE TABLE conversations (
  conversation_id TEXT COLLATE "C" PRIMARY KEY,
  genesis BYTEA NOT NULL,
  head_seq BIGINT NOT NULL DEFAULT 0,
  epoch BIGINT NOT NULL DEFAULT 0,
  head_hash BYTEA NOT NULL,
  rotation_pending BOOLEAN NOT NULL DEFAULT false,
  created_at BIGINT NOT NULL
);
CREATE TABLE members (
  conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (conversation_id),
  device_id TEXT COLLATE "C" NOT NULL REFERENCES devices (device_id),
  PRIMARY KEY (conversation_id, device_id)
);
CREATE INDEX members_by_device ON members (device_id);
CREATE TABLE key_boxes (
  id BIGSERIAL PRIMARY KEY,
  conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (conversation_id),
  recipient_device_id TEXT COLLATE "C" NOT NULL,
  epoch BIGINT NOT NULL,
  box BYTEA NOT NULL
);
CREATE INDEX key_boxes_by_recipient ON key_boxes (conversation_id, recipient_device_id);
CREATE TABLE envelopes (
  conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (conversation_id),
  seq BIGINT NOT NULL,
  sender_device_id TEXT COLLATE "C" NOT NULL,
  epoch BIGINT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('data', 'commit')),
  counter BIGINT CHECK ((kind = 'data') = (counter IS NOT NULL)),
  commit_hash BYTEA CHECK ((kind = 'commit') = (commit_hash IS NOT NULL)),
  envelope BYTEA NOT NULL,
  stored_at BIGINT NOT NULL,
  PRIMARY KEY (conversation_id, seq),
  UNIQUE (conversation_id, sender_device_id, epoch, counter)
);
CREATE UNIQUE INDEX one_commit_per_epoch ON envelopes (conversation_id, epoch) WHERE kind = 'commit';
CREATE INDEX commits_by_hash ON envelopes (conversation_id, commit_hash) WHERE kind = 'commit';
CREATE TABLE receipts (
  conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (conversation_id),
  device_id TEXT COLLATE "C" NOT NULL,
  receipt BYTEA NOT NULL,
  progress BIGINT NOT NULL,
  PRIMARY KEY (conversation_id, device_id)
);
CREATE TABLE revocations (
  device_id TEXT COLLATE "C" PRIMARY KEY REFERENCES devices (device_id),
  certificate BYTEA NOT NULL,
  revoked_at BIGINT NOT NULL
);
CREATE TABLE policy (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version BIGINT NOT NULL,
  blob BYTEA NOT NULL
);
`,
  // 2 → 3 in SQLite's numbering: compaction snapshots and the pruned point (DESIGN §4).
  `
ALTER TABLE conversations ADD COLUMN pruned_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN pruned_device_id TEXT COLLATE "C";
CREATE TABLE snapshots (
  conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (conversation_id),
  seq BIGINT NOT NULL,
  device_id TEXT COLLATE "C" NOT NULL,
  part_index INTEGER NOT NULL,
  part_count INTEGER NOT NULL,
  part BYTEA NOT NULL,
  stored_at BIGINT NOT NULL,
  PRIMARY KEY (conversation_id, seq, device_id, part_index)
);
`,
  // The data append as one server-side statement: one round trip instead of five, so the
  // conversation's row lock is held for the append alone (postgres.ts appendEnvelope). Same steps
  // and order as sqlite.ts: lock, idempotency lookup, member, epoch, bump the counter, insert.
  `
CREATE FUNCTION wardline_append_envelope(
  p_conversation TEXT, p_sender TEXT, p_epoch BIGINT, p_counter BIGINT, p_envelope BYTEA,
  p_now BIGINT
) RETURNS TABLE (out_seq BIGINT, out_duplicate BOOLEAN, out_refused TEXT)
LANGUAGE plpgsql AS $$
DECLARE
  current_epoch BIGINT;
  stored_seq BIGINT;
BEGIN
  SELECT c.epoch INTO current_epoch FROM conversations c
    WHERE c.conversation_id = p_conversation FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'expected a stored conversation' USING ERRCODE = 'P0002';
  END IF;
  SELECT e.seq INTO stored_seq FROM envelopes e WHERE e.conversation_id = p_conversation
    AND e.sender_device_id = p_sender AND e.epoch = p_epoch AND e.counter = p_counter;
  IF FOUND THEN
    RETURN QUERY SELECT stored_seq, true, NULL::TEXT;
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM members m
      WHERE m.conversation_id = p_conversation AND m.device_id = p_sender) THEN
    RETURN QUERY SELECT NULL::BIGINT, false, 'relay/not-member'::TEXT;
    RETURN;
  END IF;
  IF current_epoch <> p_epoch THEN
    RETURN QUERY SELECT NULL::BIGINT, false, 'relay/stale-epoch'::TEXT;
    RETURN;
  END IF;
  UPDATE conversations c SET head_seq = c.head_seq + 1
    WHERE c.conversation_id = p_conversation RETURNING c.head_seq INTO stored_seq;
  INSERT INTO envelopes (conversation_id, seq, sender_device_id, epoch, kind, counter,
    commit_hash, envelope, stored_at)
    VALUES (p_conversation, stored_seq, p_sender, p_epoch, 'data', p_counter, NULL, p_envelope,
      p_now);
  RETURN QUERY SELECT stored_seq, false, NULL::TEXT;
END
$$;
`,
  // The encrypted key backup: one opaque blob per user (decision 0007).
  `
CREATE TABLE key_backups (
  user_id TEXT COLLATE "C" PRIMARY KEY,
  version BIGINT NOT NULL,
  blob BYTEA NOT NULL,
  stored_at BIGINT NOT NULL
);
`,
  // The relay's own keys (the offline-lease signing key, decision 0012): the first one stored wins.
  `
CREATE TABLE relay_keys (
  name TEXT COLLATE "C" PRIMARY KEY,
  secret BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);
`,
  // The hash-chained audit log and its head row (issue 8, postgres-audit.ts).
  AUDIT_MIGRATION,
  // SCIM directory sync (issue 7, decision 0014): users, groups, memberships, and the devices a
  // deactivation refused. Staff names live only in these directory tables.
  `
CREATE TABLE scim_users (
  id TEXT COLLATE "C" PRIMARY KEY,
  user_id TEXT COLLATE "C" NOT NULL UNIQUE,
  external_id TEXT COLLATE "C",
  user_name TEXT COLLATE "C" NOT NULL,
  user_name_key TEXT COLLATE "C" NOT NULL,
  active BOOLEAN NOT NULL,
  display_name TEXT COLLATE "C",
  document TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL,
  deleted_at BIGINT
);
CREATE UNIQUE INDEX scim_users_by_name ON scim_users (user_name_key) WHERE deleted_at IS NULL;
CREATE INDEX scim_users_by_external_id ON scim_users (external_id);
CREATE TABLE scim_groups (
  id TEXT COLLATE "C" PRIMARY KEY,
  external_id TEXT COLLATE "C",
  display_name TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL
);
CREATE TABLE scim_members (
  group_id TEXT COLLATE "C" NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
  member_id TEXT COLLATE "C" NOT NULL REFERENCES scim_users (id),
  PRIMARY KEY (group_id, member_id)
);
CREATE INDEX scim_members_by_member ON scim_members (member_id);
CREATE TABLE scim_refused_devices (
  device_id TEXT COLLATE "C" PRIMARY KEY,
  user_id TEXT COLLATE "C" NOT NULL,
  refused_at BIGINT NOT NULL
);
`,
  // legal hold on conversations (issue 8, storage/legal-hold.ts); pruneCovered skips held ones
  `CREATE TABLE legal_holds (
  conversation_id TEXT COLLATE "C" PRIMARY KEY REFERENCES conversations (conversation_id),
  set_by TEXT COLLATE "C" NOT NULL,
  set_at BIGINT NOT NULL
);
`,
  // When each device last logged in, for the admin console's "last seen" (issue 7).
  `
CREATE TABLE device_seen (
  device_id TEXT COLLATE "C" PRIMARY KEY,
  last_seen_at BIGINT NOT NULL
);
`,
  // attachment blobs (issue 9, decision 0018)
  `
CREATE TABLE blobs (
  blob_id TEXT COLLATE "C" PRIMARY KEY,
  device_id TEXT COLLATE "C" NOT NULL,
  size BIGINT NOT NULL,
  chunk_count INTEGER NOT NULL,
  stored INTEGER NOT NULL,
  stored_bytes BIGINT NOT NULL,
  started_at BIGINT NOT NULL,
  completed_at BIGINT
);
CREATE INDEX blobs_incomplete ON blobs (started_at) WHERE completed_at IS NULL;
CREATE INDEX blobs_by_device ON blobs (device_id) WHERE completed_at IS NULL;
CREATE TABLE blob_chunks (
  blob_id TEXT COLLATE "C" NOT NULL REFERENCES blobs (blob_id),
  idx INTEGER NOT NULL,
  chunk BYTEA NOT NULL,
  PRIMARY KEY (blob_id, idx)
);
`,
]

export const PG_SCHEMA_VERSION = MIGRATIONS.length

/** Any fixed number: the advisory lock that serialises migrations between relays. */
const MIGRATION_LOCK = 0x57415244

/** Brings the schema up to PG_SCHEMA_VERSION; refuses a database from a newer relay. */
export async function migratePostgres(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`
    await tx`CREATE TABLE IF NOT EXISTS wardline_schema (
      id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)`
    const [row] = await tx`SELECT version FROM wardline_schema WHERE id = 1`
    const version = row ? Number(row.version) : 0
    if (version > PG_SCHEMA_VERSION) {
      throw new RangeError(
        `expected relay schema ≤ ${PG_SCHEMA_VERSION} in Postgres, got ${version}: ` +
          'this database was written by a newer relay',
      )
    }
    for (const step of MIGRATIONS.slice(version)) await tx.unsafe(step)
    await tx`INSERT INTO wardline_schema (id, version) VALUES (1, ${PG_SCHEMA_VERSION})
      ON CONFLICT (id) DO UPDATE SET version = excluded.version`
  })
}
