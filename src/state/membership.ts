// Cluster membership kept in the state database, so a snapshot carries the
// configuration and every member's address (any future leader can reach them).
import type { ConfState } from '../raft/types.ts';
import { int, text } from './database.ts';
import type { SqlDatabase } from './database.ts';
import { updateCredentialsForMembership } from './access.ts';

export interface Member {
  readonly id: string;
  readonly role: 'voter' | 'learner';
  /** Null when no conf-change context ever gave this member's address. */
  readonly host: string | null;
  readonly port: number | null;
}

/** Longest context read (a few boards' addresses). */
const MAX_CONTEXT_CHARS = 16 * 1024;
const HOST_PATTERN = /^[A-Za-z0-9.:_[\]%-]{1,253}$/;

/**
 * Addresses from a conf-change context: JSON `{ addresses: { <id>: { host, port } } }`
 * (other fields ignored). Malformed input gives no addresses, never an error: the
 * entry is committed and must apply the same way everywhere.
 */
export function addressesFromContext(context: string | undefined): Map<string, { host: string; port: number }> {
  const out = new Map<string, { host: string; port: number }>();
  if (context === undefined || context.length === 0 || context.length > MAX_CONTEXT_CHARS) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(context);
  } catch {
    return out;
  }
  if (typeof parsed !== 'object' || parsed === null) return out;
  const addresses = (parsed as { addresses?: unknown }).addresses;
  if (typeof addresses !== 'object' || addresses === null || Array.isArray(addresses)) return out;
  for (const [id, a] of Object.entries(addresses as Record<string, unknown>)) {
    if (typeof a !== 'object' || a === null) continue;
    const { host, port } = a as { host?: unknown; port?: unknown };
    if (typeof host === 'string' && HOST_PATTERN.test(host) && typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535) {
      out.set(id, { host, port });
    }
  }
  return out;
}

function memberIds(cs: ConfState): string[] {
  return [...new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext])].sort();
}

/** Inside the apply transaction: store the configuration, record given addresses, drop those of removed members. */
export function writeMembership(db: SqlDatabase, index: number, confState: ConfState, context: string | undefined): void {
  const before = readConfState(db);
  const previous = before === null ? [] : memberIds(before);
  const stored: ConfState = {
    voters: [...confState.voters].sort(),
    learners: [...confState.learners].sort(),
    votersOutgoing: [...confState.votersOutgoing].sort(),
    learnersNext: [...confState.learnersNext].sort(),
    autoLeave: confState.autoLeave,
  };
  db.run("INSERT INTO membership (key, value) VALUES ('conf_state', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [JSON.stringify(stored)]);
  const ids = memberIds(stored);
  for (const [id, a] of [...addressesFromContext(context)].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (!ids.includes(id)) continue;
    db.run('INSERT INTO member_addresses (id, host, port, revision) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET host = excluded.host, port = excluded.port, revision = excluded.revision', [
      id,
      a.host,
      a.port,
      index,
    ]);
  }
  for (const row of db.all('SELECT id FROM member_addresses ORDER BY id')) {
    const id = text(row, 0);
    if (!ids.includes(id)) db.run('DELETE FROM member_addresses WHERE id = ?', [id]);
  }
  updateCredentialsForMembership(db, index, previous, ids, [...new Set([...stored.voters, ...stored.votersOutgoing])]);
}

export function readConfState(db: SqlDatabase): ConfState | null {
  const row = db.one("SELECT value FROM membership WHERE key = 'conf_state'");
  return row === null ? null : (JSON.parse(text(row, 0)) as ConfState);
}

export function readMembers(db: SqlDatabase): Member[] {
  const cs = readConfState(db);
  if (cs === null) return [];
  const addresses = new Map(db.all('SELECT id, host, port FROM member_addresses').map((r) => [text(r, 0), { host: text(r, 1), port: int(r, 2) }]));
  const voters = new Set([...cs.voters, ...cs.votersOutgoing]);
  return memberIds(cs).map((id) => {
    const a = addresses.get(id);
    return { id, role: voters.has(id) ? 'voter' : 'learner', host: a?.host ?? null, port: a?.port ?? null };
  });
}
