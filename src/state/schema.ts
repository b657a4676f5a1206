// The relational schema, as an ordered list of migrations. A database records
// the migrations it has run (table `migrations`, and PRAGMA user_version);
// restoring an older image runs the missing ones. Never edit a released
// migration: add a new one.

/** PRAGMA application_id of every raftlight state database ("RFLT"). */
export const APPLICATION_ID = 0x52464c54;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial lighting schema',
    sql: `
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) STRICT;
      INSERT INTO meta (key, value) VALUES ('applied_index', 0), ('changes_floor', 0);

      CREATE TABLE areas (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        parent TEXT REFERENCES areas (id),
        created_revision INTEGER NOT NULL,
        revision INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX areas_by_parent ON areas (parent, id);

      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        serial_number TEXT NOT NULL UNIQUE,
        model TEXT NOT NULL,
        area TEXT REFERENCES areas (id),
        created_revision INTEGER NOT NULL,
        revision INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX devices_by_area ON devices (area, id);

      CREATE TABLE zones (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        device TEXT NOT NULL REFERENCES devices (id),
        min_level INTEGER NOT NULL CHECK (min_level BETWEEN 0 AND 100),
        max_level INTEGER NOT NULL CHECK (max_level BETWEEN min_level AND 100),
        created_revision INTEGER NOT NULL,
        revision INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX zones_by_device ON zones (device, id);

      CREATE TABLE scenes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        fade_centis INTEGER NOT NULL,
        created_revision INTEGER NOT NULL,
        revision INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE scene_levels (
        scene TEXT NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
        zone TEXT NOT NULL REFERENCES zones (id),
        level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 100),
        PRIMARY KEY (scene, zone)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX scene_levels_by_zone ON scene_levels (zone, scene);

      CREATE TABLE buttons (
        id TEXT PRIMARY KEY,
        device TEXT NOT NULL REFERENCES devices (id),
        number INTEGER NOT NULL,
        scene TEXT NOT NULL REFERENCES scenes (id),
        action TEXT,
        created_revision INTEGER NOT NULL,
        revision INTEGER NOT NULL,
        UNIQUE (device, number)
      ) STRICT;
      CREATE INDEX buttons_by_device ON buttons (device, id);
      CREATE INDEX buttons_by_scene ON buttons (scene, id);

      -- Exactly-once: the outcome of each recent client request (bounded, see machine options).
      CREATE TABLE requests (
        seq INTEGER PRIMARY KEY,
        request_id TEXT NOT NULL UNIQUE,
        revision INTEGER NOT NULL,
        outcome TEXT NOT NULL
      ) STRICT;

      -- Recent changes for "changes since revision" (bounded; meta.changes_floor marks what was pruned).
      CREATE TABLE changes (
        seq INTEGER PRIMARY KEY,
        revision INTEGER NOT NULL,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        op TEXT NOT NULL
      ) STRICT;
      CREATE INDEX changes_by_revision ON changes (revision);
    `,
  },
  {
    version: 2,
    name: 'cluster membership',
    sql: `
      -- The Raft configuration as of applied_index (JSON ConfState), so it travels in snapshots.
      CREATE TABLE membership (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
      -- Where each current member's broker listens; rows of removed members are deleted (bounded by membership).
      CREATE TABLE member_addresses (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
        revision INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: 'member credentials, join tokens, request fingerprints',
    sql: `
      -- What a board must prove to speak Raft as itself: the SHA-256 of its own member secret.
      -- Rows of removed members are deleted; a joined board's row is pending (dropped after
      -- pending_until_ms) until a configuration change makes it a member (bounded by membership
      -- plus outstanding join tokens).
      CREATE TABLE member_credentials (
        id TEXT PRIMARY KEY,
        verifier TEXT NOT NULL,
        revision INTEGER NOT NULL,
        pending_until_ms INTEGER,
        -- Index of the change that made the board a voter; NULL while it is not one.
        voter_since INTEGER
      ) STRICT;
      -- Join tokens (their SHA-256 only), each admitting one board until it expires
      -- (at most MAX_JOIN_TOKENS rows; expired ones are deleted by the next access command).
      CREATE TABLE join_tokens (
        token_digest TEXT PRIMARY KEY,
        expires_at_ms INTEGER NOT NULL,
        revision INTEGER NOT NULL,
        used_by TEXT,
        used_verifier TEXT
      ) STRICT;
      -- A request id reused with a different command is refused: each remembers its command's digest.
      ALTER TABLE requests ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export const MIGRATIONS_TABLE_SQL = `
  CREATE TABLE IF NOT EXISTS migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL
  ) STRICT;
`;
