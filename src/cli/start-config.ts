// The typed, validated configuration of one board.
import { ConfigError, resolveOptions } from './config.ts';
import { startOptions } from './options.ts';
import { MIN_BOOTSTRAP_SECRET_CHARS, MIN_TOKEN_CHARS, checkCredentialStrength } from './credential-strength.ts';
import type { AutopilotSettings } from '../board/autopilot.ts';

export interface PeerAddress {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface StartConfig {
  id: string;
  cluster: string;
  dataDir: string;
  mqttHost: string;
  mqttPort: number;
  httpHost: string;
  httpPort: number;
  advertiseHost: string;
  peers: PeerAddress[];
  join: string | undefined;
  role: 'voter' | 'external';
  /** Join token for --join (a board that already joined needs none). */
  joinToken: string | undefined;
  /** Multi-board bootstrap: founders derive their member secrets from it. */
  bootstrapSecret: string | undefined;
  writeToken: string | undefined;
  readToken: string | undefined;
  anonymousRead: boolean;
  /** Development only: writes without a token. */
  openWrites: boolean;
  /** This board's certificate: TLS for its broker and its REST API. */
  tls: { cert: string; key: string } | undefined;
  /** CA bundle (path) that verifies other boards, or 'system' for the system store. */
  tlsCa: string | undefined;
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  snapshotEntries: number;
  compactKeepEntries: number;
  logLevel: LogLevel;
  domain: string | null;
  autopilot: AutopilotSettings;
}

const idPattern = /^[A-Za-z0-9_-]{1,32}$/;
const domainPattern = /^[A-Za-z0-9_.-]{1,32}$/;

/** "never", or a duration such as 500ms, 90s, 30m, 24h; in milliseconds. */
export function parseRemoveAfter(text: string): number | null {
  if (text === 'never') return null;
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new ConfigError('BAD_VALUE', `--autopilot-remove-after must be a duration (90s, 30m, 24h) or never, got "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

export function parsePeer(text: string): PeerAddress {
  const m = /^([^=]+)=(.+):(\d{1,5})$/.exec(text);
  if (!m) throw new ConfigError('BAD_VALUE', `peer "${text}" must look like id=host:port`);
  const [, id, host, portText] = m as unknown as [string, string, string, string];
  const port = Number(portText);
  if (!idPattern.test(id)) throw new ConfigError('BAD_VALUE', `peer id "${id}" must match ${idPattern}`);
  if (port < 1 || port > 65535) throw new ConfigError('BAD_VALUE', `peer "${text}": port must be 1..65535`);
  return { id, host, port };
}

export function loadStartConfig(argv: readonly string[], env: NodeJS.ProcessEnv): StartConfig {
  const o = resolveOptions(argv, env, startOptions);
  const str = (k: string): string => o[k] as string;
  const opt = (k: string): string | undefined => o[k] as string | undefined;
  const num = (k: string): number => o[k] as number;

  const id = str('id');
  if (!idPattern.test(id)) throw new ConfigError('BAD_VALUE', `--id "${id}" must match ${idPattern}`);
  const cluster = str('cluster');
  if (!idPattern.test(cluster)) throw new ConfigError('BAD_VALUE', `--cluster "${cluster}" must match ${idPattern}`);
  const role = str('role');
  if (role !== 'voter' && role !== 'external') throw new ConfigError('BAD_VALUE', `--role must be voter or external, got "${role}"`);
  const logLevel = str('logLevel');
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) {
    throw new ConfigError('BAD_VALUE', `--log-level must be error, warn, info or debug, got "${logLevel}"`);
  }
  const peers = (o.peers as string[]).map(parsePeer);
  const seen = new Set<string>();
  for (const p of peers) {
    if (seen.has(p.id)) throw new ConfigError('BAD_VALUE', `--peers names board "${p.id}" twice`);
    seen.add(p.id);
  }
  if (peers.length > 0 && !seen.has(id) && role === 'voter' && !opt('join')) {
    throw new ConfigError('BAD_VALUE', `--peers must include this board (${id}) when bootstrapping a voter`);
  }
  const cert = opt('tlsCert');
  const key = opt('tlsKey');
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError('BAD_VALUE', '--tls-cert and --tls-key go together: give both or neither');
  }
  const tlsCa = opt('tlsCa');
  if (cert !== undefined && tlsCa === undefined) {
    throw new ConfigError('BAD_VALUE', '--tls-cert needs --tls-ca: the CA that signed the boards\' certificates (boards verify each other with it), or --tls-ca system to trust the system\'s CA store');
  }
  const writeToken = opt('writeToken');
  const readToken = opt('readToken');
  const bootstrapSecret = opt('bootstrapSecret');
  if (writeToken !== undefined) checkCredentialStrength('write-token', writeToken, MIN_TOKEN_CHARS);
  if (readToken !== undefined) checkCredentialStrength('read-token', readToken, MIN_TOKEN_CHARS);
  if (bootstrapSecret !== undefined) checkCredentialStrength('bootstrap-secret', bootstrapSecret, MIN_BOOTSTRAP_SECRET_CHARS);
  if (readToken !== undefined && readToken === writeToken) throw new ConfigError('BAD_VALUE', '--read-token must differ from --write-token');
  const anonymousRead = o.anonymousRead as boolean;
  if (!anonymousRead && readToken === undefined && writeToken === undefined) {
    throw new ConfigError('BAD_VALUE', '--no-anonymous-read needs a token to read with: give --read-token (or --write-token)');
  }
  const openWrites = o.openWrites as boolean;
  if (openWrites && writeToken !== undefined) throw new ConfigError('BAD_VALUE', '--open-writes and --write-token contradict each other: give one');
  const joinToken = opt('joinToken');
  if (joinToken !== undefined && opt('join') === undefined) throw new ConfigError('BAD_VALUE', '--join-token goes with --join URL');
  if (num('heartbeatTicks') >= num('electionTicks')) {
    throw new ConfigError('BAD_VALUE', '--heartbeat-ticks must be smaller than --election-ticks');
  }
  const domain = opt('domain') ?? null;
  if (domain !== null && !domainPattern.test(domain)) throw new ConfigError('BAD_VALUE', `--domain "${domain}" must match ${domainPattern}`);
  const targetVoters = num('autopilotVoters');
  if (targetVoters < 1 || targetVoters > 9 || targetVoters % 2 === 0) throw new ConfigError('BAD_VALUE', '--autopilot-voters must be odd, 1..9');
  for (const k of ['autopilotStabilisationMs', 'autopilotDeadVoterMs'] as const) {
    if (num(k) < 1) throw new ConfigError('BAD_VALUE', `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be at least 1`);
  }
  const autopilot: AutopilotSettings = {
    enabled: o.autopilot as boolean,
    targetVoters,
    stabilisationMs: num('autopilotStabilisationMs'),
    catchUpEntries: num('autopilotCatchUpEntries'),
    deadVoterMs: num('autopilotDeadVoterMs'),
    removeAfterMs: parseRemoveAfter(str('autopilotRemoveAfter')),
    // In contact: heard from within two election timeouts (a few missed heartbeats are no failure).
    contactMs: 2 * num('electionTicks') * num('tickMs'),
  };
  return {
    id,
    cluster,
    dataDir: str('dataDir'),
    mqttHost: str('mqttHost'),
    mqttPort: num('mqttPort'),
    httpHost: str('httpHost'),
    httpPort: num('httpPort'),
    advertiseHost: str('advertiseHost'),
    peers,
    join: opt('join'),
    role,
    joinToken,
    bootstrapSecret,
    writeToken,
    readToken,
    anonymousRead,
    openWrites,
    tls: cert !== undefined && key !== undefined ? { cert, key } : undefined,
    tlsCa,
    tickMs: num('tickMs'),
    electionTicks: num('electionTicks'),
    heartbeatTicks: num('heartbeatTicks'),
    snapshotEntries: num('snapshotEntries'),
    compactKeepEntries: num('compactKeepEntries'),
    logLevel: logLevel as LogLevel,
    domain,
    autopilot,
  };
}
