// The typed, validated configuration of one board.
import { ConfigError, resolveOptions } from './config.ts';
import { startOptions } from './options.ts';

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
  memberSecret: string;
  writeToken: string | undefined;
  anonymousRead: boolean;
  tls: { cert: string; key: string; ca: string | undefined } | undefined;
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  snapshotEntries: number;
  compactKeepEntries: number;
  logLevel: LogLevel;
}

const idPattern = /^[A-Za-z0-9_-]{1,32}$/;

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
  if (num('heartbeatTicks') >= num('electionTicks')) {
    throw new ConfigError('BAD_VALUE', '--heartbeat-ticks must be smaller than --election-ticks');
  }
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
    memberSecret: str('memberSecret'),
    writeToken: opt('writeToken'),
    anonymousRead: o.anonymousRead as boolean,
    tls: cert !== undefined && key !== undefined ? { cert, key, ca: opt('tlsCa') } : undefined,
    tickMs: num('tickMs'),
    electionTicks: num('electionTicks'),
    heartbeatTicks: num('heartbeatTicks'),
    snapshotEntries: num('snapshotEntries'),
    compactKeepEntries: num('compactKeepEntries'),
    logLevel: logLevel as LogLevel,
  };
}
