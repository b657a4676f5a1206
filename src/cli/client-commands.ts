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
    ...memoryLines(body.memory as Record<string, unknown> | undefined),
    `uptime     ${body.uptimeSeconds} s`,
  ];
  const members = (peers.body.members ?? []) as Array<{ id: string; role: string; progress: { match: number; state: string } | null }>;
  if (members.some((m) => m.progress)) {
    lines.push('progress   (as seen by this leader)');
    for (const m of members) if (m.progress) lines.push(`  ${m.id.padEnd(16)} ${m.role.padEnd(9)} match ${m.progress.match} ${m.progress.state}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
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
