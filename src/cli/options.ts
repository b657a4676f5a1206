// The options of `raftlight start`: one table drives flags, environment
// variables, the config file and the help text, so they cannot drift apart.
import { DEFAULT_SNAPSHOT_ENTRIES } from '../storage/snapshot-policy.ts';

export type OptionKind = 'string' | 'port' | 'int' | 'bool' | 'list';

export interface OptionSpec {
  /** Key in the config file and in the parsed result (camelCase). */
  readonly key: string;
  /** Command-line flag without dashes (kebab-case). */
  readonly flag: string;
  readonly kind: OptionKind;
  readonly default: string | number | boolean | readonly string[] | undefined;
  readonly help: string;
}

export const startOptions: readonly OptionSpec[] = [
  { key: 'config', flag: 'config', kind: 'string', default: undefined, help: 'JSON config file; flags and environment variables override it' },
  { key: 'id', flag: 'id', kind: 'string', default: 'board-1', help: 'this board\'s id in the cluster ([A-Za-z0-9_-], at most 32 characters)' },
  { key: 'cluster', flag: 'cluster', kind: 'string', default: 'default', help: 'installation name; prefixes every MQTT topic (raftlight/<cluster>/...)' },
  { key: 'dataDir', flag: 'data-dir', kind: 'string', default: './raftlight-data', help: 'directory for the write-ahead log, snapshots and the lock file' },
  { key: 'mqttHost', flag: 'mqtt-host', kind: 'string', default: '0.0.0.0', help: 'address the embedded MQTT broker listens on' },
  { key: 'mqttPort', flag: 'mqtt-port', kind: 'port', default: 1883, help: 'TCP port of the embedded MQTT broker (0 picks a free port)' },
  { key: 'httpHost', flag: 'http-host', kind: 'string', default: '0.0.0.0', help: 'address the REST API listens on' },
  { key: 'httpPort', flag: 'http-port', kind: 'port', default: 8080, help: 'TCP port of the REST API (0 picks a free port)' },
  { key: 'advertiseHost', flag: 'advertise-host', kind: 'string', default: '127.0.0.1', help: 'host other boards use to reach this board\'s broker' },
  { key: 'peers', flag: 'peers', kind: 'list', default: [], help: 'initial voters, comma-separated id=host:mqttPort (include this board); empty = a one-voter cluster' },
  { key: 'join', flag: 'join', kind: 'string', default: undefined, help: 'REST URL of any member: join that cluster as an external board instead of bootstrapping' },
  { key: 'role', flag: 'role', kind: 'string', default: 'voter', help: 'voter or external (external boards are non-voting Raft learners)' },
  { key: 'joinToken', flag: 'join-token', kind: 'string', default: undefined, help: 'join token from `raftlight join-token` (single use, expiring); needed with --join by a board that has not joined yet' },
  { key: 'bootstrapSecret', flag: 'bootstrap-secret', kind: 'string', default: undefined, help: 'with --peers naming several boards: a secret of at least 32 characters, the same on every founding board (founders derive their member credentials from it; read only while the data directory is new)' },
  { key: 'writeToken', flag: 'write-token', kind: 'string', default: undefined, help: 'bearer token (REST) / MQTT password for writes, at least 16 characters; unset: <data-dir>/write.token, which a new one-board installation generates' },
  { key: 'readToken', flag: 'read-token', kind: 'string', default: undefined, help: 'bearer token (REST) / MQTT password for reads only, at least 16 characters (the write token reads too)' },
  { key: 'anonymousRead', flag: 'anonymous-read', kind: 'bool', default: true, help: 'let clients without a token read (REST GETs but /health, MQTT state, events and status); --no-anonymous-read needs --read-token or --write-token' },
  { key: 'openWrites', flag: 'open-writes', kind: 'bool', default: false, help: 'development only: accept writes without a token (warns at start)' },
  { key: 'tlsCert', flag: 'tls-cert', kind: 'string', default: undefined, help: 'PEM certificate: enables TLS for MQTT (between boards too) and HTTPS; needs --tls-ca' },
  { key: 'tlsKey', flag: 'tls-key', kind: 'string', default: undefined, help: 'PEM private key matching --tls-cert' },
  { key: 'tlsCa', flag: 'tls-ca', kind: 'string', default: undefined, help: 'PEM CA bundle that signed the other boards\' certificates (verifies peers, and the board given to --join); "system" trusts the system\'s CA store instead' },
  { key: 'tickMs', flag: 'tick-ms', kind: 'int', default: 100, help: 'Raft tick length in milliseconds' },
  { key: 'electionTicks', flag: 'election-ticks', kind: 'int', default: 10, help: 'ticks without a leader before an election starts' },
  { key: 'heartbeatTicks', flag: 'heartbeat-ticks', kind: 'int', default: 3, help: 'ticks between leader heartbeats (3: a 100-board leader idles at ~3 % of a core instead of ~9 %)' },
  { key: 'snapshotEntries', flag: 'snapshot-entries', kind: 'int', default: DEFAULT_SNAPSHOT_ENTRIES, help: 'take a snapshot and compact the log after this many entries (or 1 MiB of entries): the in-memory log\'s cap' },
  { key: 'compactKeepEntries', flag: 'compact-keep-entries', kind: 'int', default: 500, help: 'entries kept below a snapshot so slightly lagging boards catch up without one' },
  { key: 'domain', flag: 'domain', kind: 'string', default: undefined, help: 'this board\'s failure domain (a panel, a floor, a building; [A-Za-z0-9_.-], at most 32 characters): autopilot spreads voters across domains' },
  { key: 'autopilot', flag: 'autopilot', kind: 'bool', default: true, help: 'the leader keeps the voters healthy by itself: promotes, replaces and spreads voters (--no-autopilot: membership changes only through /v1/members)' },
  { key: 'autopilotVoters', flag: 'autopilot-voters', kind: 'int', default: 5, help: 'voters autopilot aims for (odd); fewer while fewer healthy boards exist (1, 3, 5)' },
  { key: 'autopilotStabilisationMs', flag: 'autopilot-stabilisation-ms', kind: 'int', default: 10000, help: 'an external board must be in contact this long, continuously, before autopilot promotes it' },
  { key: 'autopilotCatchUpEntries', flag: 'autopilot-catch-up-entries', kind: 'int', default: 250, help: 'caught up: at most this many entries behind the leader (promotion needs it; healthy voters too)' },
  { key: 'autopilotDeadVoterMs', flag: 'autopilot-dead-voter-ms', kind: 'int', default: 30000, help: 'a voter not heard from for this long is dead: an eligible external board takes its seat, then it is demoted' },
  { key: 'autopilotRemoveAfter', flag: 'autopilot-remove-after', kind: 'string', default: '24h', help: 'a member not heard from for this long is removed entirely: a duration (90s, 30m, 24h) or never' },
  { key: 'logLevel', flag: 'log-level', kind: 'string', default: 'info', help: 'error, warn, info or debug' },
];

/** RAFTLIGHT_DATA_DIR for dataDir, and so on. */
export function envName(spec: OptionSpec): string {
  return 'RAFTLIGHT_' + spec.flag.toUpperCase().replace(/-/g, '_');
}
