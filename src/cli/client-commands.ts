// `raftlight status --board URL` and `raftlight join --via URL ...`: thin REST clients.
import { ConfigError, resolveOptions } from './config.ts';
import type { OptionSpec } from './options.ts';

export const statusOptions: readonly OptionSpec[] = [
  { key: 'board', flag: 'board', kind: 'string', default: 'http://127.0.0.1:8080', help: 'REST URL of the board to ask' },
  { key: 'json', flag: 'json', kind: 'bool', default: false, help: 'print the raw JSON' },
];

export const joinOptions: readonly OptionSpec[] = [
  { key: 'via', flag: 'via', kind: 'string', default: undefined, help: 'REST URL of any member of the cluster' },
  { key: 'id', flag: 'id', kind: 'string', default: undefined, help: 'id of the board to add' },
  { key: 'address', flag: 'address', kind: 'string', default: undefined, help: 'host:mqttPort where the members reach the new board' },
  { key: 'role', flag: 'role', kind: 'string', default: 'external', help: 'external (default) or voter' },
  { key: 'writeToken', flag: 'write-token', kind: 'string', default: undefined, help: 'the cluster\'s write token, when it has one' },
];

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw Object.assign(new Error(`cannot reach ${url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`), { code: 'UNREACHABLE' });
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: res.status, body };
}

function mib(n: unknown): string {
  return typeof n === 'number' ? `${(n / 1024 / 1024).toFixed(1)} MiB` : '?';
}

export async function runStatus(argv: readonly string[]): Promise<number> {
  const o = resolveOptions(argv, process.env, statusOptions);
  const base = o.board as string;
  const { status, body } = await getJson(new URL('/v1/status', base).toString());
  if (status !== 200) throw Object.assign(new Error(`status request failed: HTTP ${status} ${JSON.stringify(body)}`), { code: 'REQUEST_FAILED' });
  if (o.json) {
    process.stdout.write(JSON.stringify(body, null, 2) + '\n');
    return 0;
  }
  const peers = await getJson(new URL('/v1/peers', base).toString());
  const lines = [
    `board      ${body.id} (${body.role}, raft ${body.raftRole}) in cluster ${body.cluster}, version ${body.version}`,
    `leader     ${body.leader ?? 'none'} (term ${body.term})`,
    `log        commit ${body.commitIndex}, applied ${body.appliedIndex}, in memory ${body.firstIndex}..${body.lastIndex}`,
    `members    voters ${(body.voters as string[]).join(', ')}; ${body.externals} external boards`,
    `memory     RSS ${mib(body.rssBytes)}, heap ${mib(body.heapUsedBytes)} of ${mib(body.heapLimitBytes)}`,
    `uptime     ${body.uptimeSeconds} s`,
  ];
  const members = (peers.body.members ?? []) as Array<{ id: string; role: string; progress: { match: number; state: string } | null }>;
  if (members.some((m) => m.progress)) {
    lines.push('progress   (as seen by this leader)');
    for (const m of members) if (m.progress) lines.push(`  ${m.id.padEnd(16)} ${m.role.padEnd(9)} match ${m.progress.match} ${m.progress.state}`);
  }
  lines.push(...installationLines(body));
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

interface MemberRow { id: string; role: string; domain: string | null; health: string; reason: string; lastContactMs: number | null; match: number | null; lagEntries: number | null }
interface DecisionRow { at: string; action: string; member: string; with?: string; reason: string; outcome: string; error?: string }

/** The leader's table of every board, and autopilot's state and recent decisions. */
export function installationLines(body: Record<string, unknown>): string[] {
  const rows = (body.installation ?? []) as MemberRow[];
  const pilot = body.autopilot as { enabled: boolean; active: boolean; wantedVoters?: number; healthyVoters?: number; waiting?: string; decisions: DecisionRow[] } | null;
  if (rows.length === 0) return [`boards     per-board health and autopilot are kept by the leader (${body.leader ?? 'none'}): ask it`];
  const cell = (v: unknown): string => (v === null || v === undefined || v === '' ? '-' : String(v));
  const table = [['board', 'role', 'domain', 'health', 'last contact', 'match', 'lag', 'why']];
  for (const r of rows) {
    table.push([r.id, r.role, cell(r.domain), r.health, r.lastContactMs === null ? 'never' : `${r.lastContactMs} ms`, cell(r.match), cell(r.lagEntries), cell(r.reason)]);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const out = ['boards     (as seen by this leader)', ...table.map((row) => '  ' + row.map((x, c) => (c === row.length - 1 ? x : x.padEnd(widths[c]!))).join('  '))];
  if (pilot !== null) {
    out.push(!pilot.enabled
      ? 'autopilot  off'
      : `autopilot  on: ${pilot.healthyVoters ?? '?'} healthy voters, ${pilot.wantedVoters ?? '?'} wanted${pilot.waiting ? `; ${pilot.waiting}` : ''}`);
    for (const d of pilot.decisions.slice(-8)) {
      out.push(`  ${d.at}  ${d.action} ${d.member}${d.with ? ` → ${d.with}` : ''}: ${d.outcome}${d.error ? ` (${d.error})` : ''} — ${d.reason}`);
    }
  }
  return out;
}

export async function runJoin(argv: readonly string[]): Promise<number> {
  const o = resolveOptions(argv, process.env, joinOptions);
  if (!o.via || !o.id || !o.address) throw new ConfigError('MISSING_VALUE', 'join needs --via URL, --id ID and --address host:mqttPort');
  const m = /^(.+):(\d{1,5})$/.exec(o.address as string);
  if (!m) throw new ConfigError('BAD_VALUE', `--address must be host:port, got "${o.address}"`);
  const token = o.writeToken as string | undefined;
  const { status, body } = await getJson(new URL('/v1/members', o.via as string).toString(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ id: o.id, host: m[1], port: Number(m[2]), role: o.role }),
  });
  process.stdout.write(JSON.stringify(body, null, 2) + '\n');
  return status === 200 ? 0 : 1;
}
