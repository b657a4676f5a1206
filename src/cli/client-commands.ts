// Thin REST clients:
//   raftlight status --board URL                 a board's role, leader, log, members, memory
//   raftlight join-token --board URL             a join token for one new board (needs the write token)
//   raftlight join --via URL --join-token T ...  admits a board before its first start (prepares its data directory)
// All take --tls-ca for a board whose certificate a private CA signed.
import { restJson, RestClientError, type RestReply } from '../api/rest-client.ts';
import { DEFAULT_JOIN_TOKEN_TTL_MS } from '../model/index.ts';
import { ensureWritableDataDir } from '../board/data-dir.ts';
import { MEMBER_SECRET_FILE, newSecret, readMemberSecret, writeJoinTrust, writePrivateFile } from '../board/credentials-file.ts';
import { joinCluster } from '../board/join.ts';
import { createLogger } from '../board/log.ts';
import { ConfigError, resolveOptions } from './config.ts';
import type { OptionSpec } from './options.ts';

const tlsCaOption: OptionSpec = { key: 'tlsCa', flag: 'tls-ca', kind: 'string', default: undefined, help: 'PEM CA bundle that signed the board\'s certificate (https URLs); "system" for the system store' };
const tokenOption = (what: string): OptionSpec => ({ key: 'token', flag: 'token', kind: 'string', default: undefined, help: `${what} (also RAFTLIGHT_TOKEN)` });

export const statusOptions: readonly OptionSpec[] = [
  { key: 'board', flag: 'board', kind: 'string', default: 'http://127.0.0.1:8080', help: 'REST URL of the board to ask' },
  { key: 'json', flag: 'json', kind: 'bool', default: false, help: 'print the raw JSON' },
  tokenOption('read or write token, when the board does not allow anonymous reads'),
  tlsCaOption,
];

export const joinTokenOptions: readonly OptionSpec[] = [
  { key: 'board', flag: 'board', kind: 'string', default: 'http://127.0.0.1:8080', help: 'REST URL of a voter of the installation' },
  tokenOption('the installation\'s write token'),
  { key: 'ttlMinutes', flag: 'ttl-minutes', kind: 'int', default: DEFAULT_JOIN_TOKEN_TTL_MS / 60_000, help: 'minutes until the join token expires (1 to 10080)' },
  tlsCaOption,
];

export const joinOptions: readonly OptionSpec[] = [
  { key: 'via', flag: 'via', kind: 'string', default: undefined, help: 'REST URL of a voter of the installation' },
  { key: 'joinToken', flag: 'join-token', kind: 'string', default: undefined, help: 'join token from `raftlight join-token`' },
  { key: 'id', flag: 'id', kind: 'string', default: undefined, help: 'id of the board to add' },
  { key: 'address', flag: 'address', kind: 'string', default: undefined, help: 'host:mqttPort where the members reach the new board' },
  { key: 'dataDir', flag: 'data-dir', kind: 'string', default: undefined, help: 'the new board\'s data directory: receives its member secret and the members it will trust' },
  tlsCaOption,
];

function tokenOf(o: Record<string, unknown>): string | undefined {
  return (o.token as string | undefined) ?? process.env['RAFTLIGHT_TOKEN'];
}

function failed(what: string, r: RestReply): Error {
  const e = r.body.error as { code?: string; message?: string } | undefined;
  return Object.assign(new Error(`${what}: HTTP ${r.status}${e ? ` ${e.code}: ${e.message}` : ''}`), { code: e?.code ?? 'REQUEST_FAILED' });
}

async function call(url: string, method: string, body: unknown, o: Record<string, unknown>): Promise<RestReply> {
  try {
    return await restJson(url, method, body, { ca: o.tlsCa as string | undefined, token: tokenOf(o) });
  } catch (err) {
    if (err instanceof RestClientError) throw Object.assign(new Error(err.message), { code: err.code });
    throw err;
  }
}

function mib(n: unknown): string {
  return typeof n === 'number' ? `${(n / 1024 / 1024).toFixed(1)} MiB` : '?';
}

/** The status's memory figures, anonymous (what the board cannot give back) first. */
function memoryLines(m: Record<string, unknown> | undefined): string[] {
  if (m === undefined) return ['memory     ?'];
  return [
    `memory     anonymous ${mib(m.anonRssBytes)}, file-backed ${mib(m.fileRssBytes)} (executable ${mib(m.executableRssBytes)}), PSS ${mib(m.pssBytes)}`,
    `           V8 heap ${mib(m.v8HeapUsedBytes)} used, ${mib(m.v8HeapCommittedBytes)} committed, limit ${mib(m.v8HeapLimitBytes)}; buffers ${mib(m.arrayBufferBytes)}`,
    `           WASM (sql.js) ${mib(m.wasmResidentBytes)} resident of ${mib(m.wasmReservedBytes)}; malloc arenas ${mib(m.mallocMainArenaRssBytes)} main + ${mib(m.mallocThreadArenasRssBytes)} in ${m.mallocThreadArenas ?? '?'} thread arenas`,
    `           ${m.threads ?? '?'} threads, ${m.majorFaults ?? '?'} major page faults`,
  ];
}

export async function runStatus(argv: readonly string[]): Promise<number> {
  const o = resolveOptions(argv, process.env, statusOptions);
  const base = o.board as string;
  const r = await call(new URL('/v1/status', base).toString(), 'GET', undefined, o);
  if (r.status !== 200) throw failed('status request failed', r);
  const body = r.body;
  if (o.json) {
    process.stdout.write(JSON.stringify(body, null, 2) + '\n');
    return 0;
  }
  const peers = await call(new URL('/v1/peers', base).toString(), 'GET', undefined, o);
  const lines = [
    `board      ${body.id} (${body.role}, raft ${body.raftRole}) in cluster ${body.cluster}, version ${body.version}`,
    `leader     ${body.leader ?? 'none'} (term ${body.term})`,
    `log        commit ${body.commitIndex}, applied ${body.appliedIndex}, in memory ${body.firstIndex}..${body.lastIndex}`,
    `members    voters ${(body.voters as string[]).join(', ')}; ${body.externals} external boards`,
    ...memoryLines(body.memory as Record<string, unknown> | undefined),
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

export async function runJoinToken(argv: readonly string[]): Promise<number> {
  const o = resolveOptions(argv, process.env, joinTokenOptions);
  const minutes = o.ttlMinutes as number;
  if (minutes > 7 * 24 * 60) throw new ConfigError('BAD_VALUE', '--ttl-minutes must be at most 10080 (7 days)');
  const r = await call(new URL('/v1/join-tokens', o.board as string).toString(), 'POST', { ttlSeconds: minutes * 60 }, o);
  if (r.status !== 201) throw failed('join token refused', r);
  // The token alone on stdout (scripts capture it); how to use it on stderr.
  process.stdout.write(`${r.body.token as string}\n`);
  process.stderr.write(`join token for one board, valid until ${r.body.expiresAt as string} (shown once):\n  raftlight start --id <new board> --role external --join ${o.board as string} --join-token <token> ...\n`);
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
  if (!o.via || !o.id || !o.address || !o.joinToken || !o.dataDir) {
    throw new ConfigError('MISSING_VALUE', 'join needs --via URL, --join-token TOKEN, --id ID, --address host:mqttPort and --data-dir DIR');
  }
  const m = /^(.+):(\d{1,5})$/.exec(o.address as string);
  if (!m) throw new ConfigError('BAD_VALUE', `--address must be host:port, got "${o.address}"`);
  const dir = o.dataDir as string;
  ensureWritableDataDir(dir);
  let secret = readMemberSecret(dir);
  if (secret === null) {
    secret = newSecret();
    writePrivateFile(dir, MEMBER_SECRET_FILE, secret + '\n');
  }
  const abort = new AbortController();
  const result = await joinCluster({
    via: o.via as string, id: o.id as string, host: m[1]!, port: Number(m[2]), joinToken: o.joinToken as string, memberSecret: secret,
    ca: o.tlsCa as string | undefined, signal: AbortSignal.any([abort.signal, AbortSignal.timeout(120_000)]), log: createLogger(o.id as string, 'warn'),
    admitted: (verifiers) => writeJoinTrust(dir, verifiers),
  });
  if (result !== 'joined') return 1;
  process.stdout.write(`${o.id as string} joined; start it with: raftlight start --id ${o.id as string} --role external --data-dir ${dir} --join ${o.via as string} ...\n`);
  return 0;
}
