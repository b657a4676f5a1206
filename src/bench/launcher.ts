// Launches real board processes on loopback: the test platform's and the
// integration tests' way to build an installation. Every board gets free
// ports and its own data directory under one root; stopAll() leaves nothing running.
import { ALLOW_NODE_ENV, NODE_ENV_HOOKS } from '../cli/image-guard.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { JOIN_TRUST_FILE, MEMBER_SECRET_FILE, newSecret } from '../board/credentials-file.ts';
import { restJson } from '../api/rest-client.ts';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface BoardSpec {
  id: string;
  role: 'voter' | 'external';
}

export interface LaunchedBoard {
  readonly id: string;
  readonly role: 'voter' | 'external';
  /** Address the board listens on (127.0.0.1 unless the launcher was given hostOf). */
  readonly host: string;
  readonly httpPort: number;
  readonly mqttPort: number;
  readonly dataDir: string;
  readonly url: string;
  process: ChildProcess | null;
  /** Last lines of the board's log (bounded), for failure reports. */
  readonly logTail: string[];
}

export interface LauncherOptions {
  /** Command and leading arguments that run the raftlight executable. */
  command: string;
  args: string[];
  /** A board's own command instead of `command` (--board-limits: its own copy of the executable). */
  commandOf?: (id: string) => string;
  root: string;
  cluster?: string;
  /** Extra flags for every board (tick length, snapshot size...). */
  extraArgs?: string[];
  /** Extra flags for one board (its --domain...). */
  boardArgs?: (id: string) => string[];
  env?: NodeJS.ProcessEnv;
  /** Write a V8 CPU profile of every board into this folder, named <board>-<start>.cpuprofile. */
  cpuProfileDir?: string;
  /** Node flags for every board (no spaces inside a flag), e.g. the heap snapshots' signal. */
  nodeFlags?: string[];
  /** Log lines kept per board. */
  logTailLines?: number;
  /** Address a board listens on and advertises (default 127.0.0.1; the bench's --netns gives each board its own). */
  hostOf?: (id: string) => string;
  /** Command prefix for a board (e.g. `ip netns exec <ns>`); must exec the board so the pid stays the board's. */
  wrap?: (id: string) => string[];
  /** Called with every spawned board process (cgroup placement, sampling). */
  onSpawn?: (id: string, child: ChildProcess) => void;
  /**
   * The MQTT address other boards use to reach a voter (default: its own host
   * and port); tests put a proxy there to delay or freeze the traffic between boards.
   */
  peerAddressOf?: (board: LaunchedBoard) => { host: string; port: number };
  /** Write token the boards are started with (default: a new random one per installation). */
  writeToken?: string;
  /** Read token (--read-token); reads use the write token when there is none. */
  readToken?: string;
  /** TLS for every board: its certificate and key (one for all boards on loopback) and the CA that signed it. */
  tls?: { cert: string; key: string; ca: string };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Whether a TCP port is free on 127.0.0.1 right now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A free port below Linux's ephemeral range (32768+): boards that start
 * minutes after their ports were chosen (100-board installations) must not
 * find them taken by some outbound connection in the meantime.
 */
export async function freePortOutsideEphemeral(): Promise<number> {
  // Processes that choose ports side by side (test files run in parallel) each draw from their own
  // slice of the range, by process id, and a process never hands out a port twice: a port chosen here
  // is bound only when its board starts, and another process could otherwise choose it meanwhile.
  const slice = process.pid % PORT_SLICES;
  // Ports of earlier installations are bound by now, or released: forget them before the slice fills.
  if (handedOut.size > PORT_SLICE_SIZE / 2) handedOut.clear();
  for (let i = 0; i < 400; i++) {
    const port = PORT_RANGE_START + slice * PORT_SLICE_SIZE + Math.floor(Math.random() * PORT_SLICE_SIZE);
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return freePort();
}

const PORT_RANGE_START = 20000;
const PORT_SLICES = 16;
const PORT_SLICE_SIZE = 750;
/** Ports this process gave out lately (at most half a slice, then forgotten). */
const handedOut = new Set<number>();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long waitForLeader waits for one board's status. */
const STATUS_POLL_TIMEOUT_MS = 3_000;

export class Installation {
  readonly boards = new Map<string, LaunchedBoard>();
  private voterPeers = '';
  /** The founders derive their member credentials from it; never needed again after their first start. */
  private readonly bootstrapSecret = newSecret();
  readonly writeToken: string;

  constructor(private readonly o: LauncherOptions) {
    this.writeToken = o.writeToken ?? newSecret();
  }

  /** Flags every board gets: tokens and TLS. */
  private accessArgs(): string[] {
    const tls = this.o.tls;
    return [
      '--write-token', this.writeToken, ...(this.o.readToken ? ['--read-token', this.o.readToken] : []),
      ...(tls ? ['--tls-cert', tls.cert, '--tls-key', tls.key, '--tls-ca', tls.ca] : []),
    ];
  }

  private get scheme(): string {
    return this.o.tls ? 'https' : 'http';
  }

  private hostOf(id: string): string {
    return this.o.hostOf?.(id) ?? '127.0.0.1';
  }

  get cluster(): string {
    return this.o.cluster ?? 'test';
  }

  /** Allocates ports for all boards, then starts the voters (bootstrapping together). */
  async create(voters: number, externals: number): Promise<void> {
    const specs: BoardSpec[] = [
      ...Array.from({ length: voters }, (_, i) => ({ id: `v${i + 1}`, role: 'voter' as const })),
      ...Array.from({ length: externals }, (_, i) => ({ id: `e${i + 1}`, role: 'external' as const })),
    ];
    // bind(0) may hand the same port out twice in a row: keep the installation's ports distinct.
    const taken = new Set([...this.boards.values()].flatMap((b) => [b.httpPort, b.mqttPort]));
    const distinctPort = async (): Promise<number> => {
      for (;;) {
        const p = await freePortOutsideEphemeral();
        if (!taken.has(p)) {
          taken.add(p);
          return p;
        }
      }
    };
    for (const s of specs) {
      const [httpPort, mqttPort] = [await distinctPort(), await distinctPort()];
      const dataDir = join(this.o.root, s.id);
      mkdirSync(dataDir, { recursive: true });
      const host = this.hostOf(s.id);
      this.boards.set(s.id, { ...s, host, httpPort, mqttPort, dataDir, url: `${this.scheme}://${host}:${httpPort}`, process: null, logTail: [] });
    }
    const addressOf = (b: LaunchedBoard): { host: string; port: number } => this.o.peerAddressOf?.(b) ?? { host: b.host, port: b.mqttPort };
    this.voterPeers = [...this.boards.values()].filter((b) => b.role === 'voter').map((b) => {
      const a = addressOf(b);
      return `${b.id}=${a.host}:${a.port}`;
    }).join(',');
    for (const b of this.boards.values()) if (b.role === 'voter') await this.start(b.id);
  }

  /** A join token from a running voter (retried while the installation elects its leader). */
  async joinToken(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      for (const b of this.boards.values()) {
        if (b.role !== 'voter' || !this.isRunning(b.id)) continue;
        try {
          const r = await this.json(b.id, '/v1/join-tokens', { method: 'POST', headers: { 'content-type': 'application/json', ...this.writeHeaders() }, body: '{}' });
          if (r.status === 201 && typeof r.body.token === 'string') return r.body.token;
          last = `${b.id}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
        } catch (err) {
          last = `${b.id}: ${(err as Error).message}`;
        }
      }
      await sleep(250);
    }
    throw new Error(`no join token within ${timeoutMs} ms (last: ${last})`);
  }

  private readonly starts = new Map<string, number>();

  /**
   * Node flags of one start: the CPU profile under the board's own name (one
   * file per start) and `nodeFlags`. On node's command line when the board
   * runs from the sources; for the image one --node-options="..." (it ignores
   * NODE_OPTIONS).
   */
  private nodeArgs(id: string): string[] {
    const flags = [...(this.o.nodeFlags ?? [])];
    const dir = this.o.cpuProfileDir;
    if (dir !== undefined) {
      const n = (this.starts.get(id) ?? 0) + 1;
      this.starts.set(id, n);
      flags.push('--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${id}-${n}.cpuprofile`);
    }
    if (flags.length === 0) return [];
    if (this.o.args.length > 0) return flags;
    return [`--node-options=${flags.join(' ')}`];
  }

  /**
   * Starts (or restarts) a board. Voters found the installation together; an
   * external board that never joined gets a join token from a voter first.
   */
  async start(id: string, options: { asJoiner?: boolean } = {}): Promise<LaunchedBoard> {
    const b = this.get(id);
    if (b.process && b.process.exitCode === null && b.process.signalCode === null) return b;
    const firstVoter = [...this.boards.values()].find((x) => x.role === 'voter' && x.id !== id) ?? [...this.boards.values()].find((x) => x.role === 'voter')!;
    let roleArgs: string[];
    if (b.role === 'voter' && options.asJoiner !== true) {
      roleArgs = ['--peers', this.voterPeers, '--bootstrap-secret', this.bootstrapSecret];
    } else {
      // A board that joins (an external board, or a board back as a new incarnation) gets a join
      // token each start: a member ignores it, a board that lost its state needs it to be admitted again.
      const joined = existsSync(join(b.dataDir, JOIN_TRUST_FILE)) && options.asJoiner !== true;
      const fresh = !existsSync(join(b.dataDir, 'IDENTITY')) || readFileSync(join(b.dataDir, 'IDENTITY'), 'utf8').includes('"fresh":true') || readFileSync(join(b.dataDir, 'IDENTITY'), 'utf8').includes('"lost"');
      roleArgs = ['--role', 'external', '--join', firstVoter.url, ...(joined && !fresh ? [] : ['--join-token', await this.joinToken()])];
    }
    const args = [...this.o.args, 'start', '--id', b.id, '--cluster', this.cluster, '--data-dir', b.dataDir,
      '--http-host', b.host, '--http-port', String(b.httpPort), '--mqtt-host', b.host, '--mqtt-port', String(b.mqttPort),
      '--advertise-host', b.host, ...roleArgs, ...this.accessArgs(), ...(this.o.extraArgs ?? []), ...(this.o.boardArgs?.(b.id) ?? [])];
    const [command, ...prefix] = [...(this.o.wrap?.(b.id) ?? []), this.o.commandOf?.(b.id) ?? this.o.command];
    // stdin is a pipe only the bench holds: if the bench dies, the board sees it close and stops.
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.o.env, RAFTLIGHT_STOP_ON_STDIN_CLOSE: '1' };
    // The image drops node's environment hooks by re-executing itself, and the re-executed
    // process would lose the node flags of --node-options (profile, heap snapshots): hand it
    // an environment it keeps.
    if (this.o.args.length === 0 && env[ALLOW_NODE_ENV] !== '1') for (const name of NODE_ENV_HOOKS) delete env[name];
    const child = spawn(command!, [...prefix, ...this.nodeArgs(b.id), ...args], { stdio: ['pipe', 'ignore', 'pipe'], env });
    this.o.onSpawn?.(b.id, child);
    const keep = this.o.logTailLines ?? 40;
    let partial = '';
    child.stderr?.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        b.logTail.push(l);
        if (b.logTail.length > keep) b.logTail.shift();
      }
    });
    b.process = child;
    return b;
  }

  /** Authorization header for writes. */
  writeHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.writeToken}` };
  }

  /** Authorization header for reads (the read token, else the write token). */
  readHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.o.readToken ?? this.writeToken}` };
  }

  /** The member secret a board keeps in its data directory (what an attacker with the board in hand could copy). */
  memberSecretOf(id: string): string {
    return readFileSync(join(this.get(id).dataDir, MEMBER_SECRET_FILE), 'utf8').trim();
  }

  get(id: string): LaunchedBoard {
    const b = this.boards.get(id);
    if (!b) throw new Error(`no board ${id}`);
    return b;
  }

  isRunning(id: string): boolean {
    const p = this.get(id).process;
    return p !== null && p.exitCode === null && p.signalCode === null;
  }

  /** SIGKILL (a power cut) or SIGTERM (a clean stop); resolves when the process is gone. */
  async stop(id: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const b = this.get(id);
    const p = b.process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }

  async stopAll(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all([...this.boards.keys()].map((id) => this.stop(id, signal)));
  }

  /** A JSON request to a board; gives up (throws) after `timeoutMs` (a frozen board accepts connections and never answers). */
  async json(id: string, path: string, init?: RequestInit, timeoutMs = 15_000): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers = { ...this.readHeaders(), ...(init?.headers as Record<string, string> | undefined) };
    if (this.o.tls) {
      // fetch cannot take a private CA: the JSON client can.
      const token = /^Bearer (.*)$/i.exec(headers.authorization ?? '')?.[1];
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) as unknown : undefined;
      return restJson(this.get(id).url + path, init?.method ?? 'GET', body, { ca: this.o.tls.ca, token, timeoutMs });
    }
    const res = await fetch(this.get(id).url + path, { ...init, headers, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { raw: text };
    }
    return { status: res.status, body };
  }

  async status(id: string, timeoutMs = 15_000): Promise<Record<string, unknown> | null> {
    try {
      const r = await this.json(id, '/v1/status', undefined, timeoutMs);
      return r.status === 200 ? r.body : null;
    } catch {
      return null;
    }
  }

  /** Waits until the running voters agree on one leader; returns its id. */
  async waitForLeader(timeoutMs = 30_000, exclude: string[] = []): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      // Any running board may lead: external boards can be promoted to voters.
      const ids = [...this.boards.values()].filter((b) => this.isRunning(b.id) && !exclude.includes(b.id)).map((b) => b.id);
      const leaders = new Set<string>();
      for (const id of ids) {
        // A board that does not answer within a few seconds (frozen, overloaded) leads no one.
        const s = await this.status(id, STATUS_POLL_TIMEOUT_MS);
        if (s && typeof s.leader === 'string' && s.raftRole === 'leader') leaders.add(id);
      }
      if (leaders.size === 1) {
        const leader = [...leaders][0]!;
        if (!exclude.includes(leader)) return leader;
      }
      await sleep(200);
    }
    throw new Error(`no leader within ${timeoutMs} ms`);
  }

  /** Waits until a board has applied at least `index`. */
  async waitForApplied(id: string, index: number, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = 0;
    while (Date.now() < deadline) {
      const s = await this.status(id);
      last = typeof s?.appliedIndex === 'number' ? s.appliedIndex : last;
      if (last >= index) return last;
      await sleep(100);
    }
    throw new Error(`${id} applied ${last}, not ${index}, within ${timeoutMs} ms`);
  }

  /** Waits until a board is a member with the given role. */
  async waitForRole(id: string, role: 'voter' | 'external', timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const s = await this.status(id);
      if (s?.role === role) return;
      await sleep(150);
    }
    throw new Error(`${id} did not become ${role} within ${timeoutMs} ms`);
  }
}
