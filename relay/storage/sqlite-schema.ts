/**
 * SQLite schema of the relay. Directory attributes (user id, display name, role) live only in
 * `authorizations`; everything else is an opaque blob plus the clear fields needed to route it.
 * UNIQUE constraints back the invariants the code also checks: one device per authorization,
 * one envelope per (conversation, sender, epoch, counter), gap-free seq per conversation.
 */
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
  manifest BLOB NOT NULL,
  head_seq INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
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
  box BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS key_boxes_by_recipient ON key_boxes (conversation_id, recipient_device_id);
CREATE TABLE IF NOT EXISTS envelopes (
  conversation_id TEXT NOT NULL REFERENCES conversations (conversation_id),
  seq INTEGER NOT NULL,
  sender_device_id TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  counter INTEGER NOT NULL,
  envelope BLOB NOT NULL,
  stored_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, seq),
  UNIQUE (conversation_id, sender_device_id, epoch, counter)
);
CREATE TABLE IF NOT EXISTS receipts (
  conversation_id TEXT NOT NULL REFERENCES conversations (conversation_id),
  device_id TEXT NOT NULL,
  receipt BLOB NOT NULL,
  progress INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, device_id)
);
CREATE TABLE IF NOT EXISTS policy (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL,
  blob BLOB NOT NULL
);
`
