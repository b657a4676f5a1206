// What the hostile-input suite attacks: running boards, however they were
// started (by the launcher, or by the operations guide's walkthrough), with
// the credentials an operator holds. Reads and writes go through the REST
// client with the installation's CA.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { restJson, type RestReply } from '../../src/api/rest-client.ts';
import type { Installation } from '../../src/bench/launcher.ts';
import { MEMBER_SECRET_FILE } from '../../src/board/credentials-file.ts';

export interface SuiteBoard {
  readonly id: string;
  readonly role: 'voter' | 'external';
  readonly host: string;
  readonly httpPort: number;
  readonly mqttPort: number;
  readonly dataDir: string;
  /** The board's process id while it runs. */
  pid(): number | null;
}

export interface SuiteTarget {
  readonly cluster: string;
  readonly boards: readonly SuiteBoard[];
  readonly writeToken: string;
  /** Reads use it (else the write token). */
  readonly readToken?: string | undefined;
  /** PEM CA when the boards speak TLS. */
  readonly ca?: Buffer | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function fromInstallation(inst: Installation, ca?: Buffer): SuiteTarget {
  return {
    cluster: inst.cluster,
    writeToken: inst.writeToken,
    ca,
    boards: [...inst.boards.values()].map((b) => ({
      id: b.id, role: b.role, host: b.host, httpPort: b.httpPort, mqttPort: b.mqttPort, dataDir: b.dataDir,
      pid: () => (inst.isRunning(b.id) ? b.process?.pid ?? null : null),
    })),
  };
}

export class Board {
  constructor(readonly t: SuiteTarget, readonly b: SuiteBoard) {}

  get url(): string {
    return `${this.t.ca ? 'https' : 'http'}://${this.b.host}:${this.b.httpPort}`;
  }

  read(path: string): Promise<RestReply> {
    return restJson(this.url + path, 'GET', undefined, { ca: this.t.ca, token: this.t.readToken ?? this.t.writeToken, timeoutMs: 10_000 });
  }

  write(path: string, body: unknown, method = 'POST', headers: { token?: string } = {}): Promise<RestReply> {
    return restJson(this.url + path, method, body, { ca: this.t.ca, token: headers.token ?? this.t.writeToken, timeoutMs: 15_000 });
  }

  async status(): Promise<Record<string, unknown> | null> {
    try {
      const r = await this.read('/v1/status');
      return r.status === 200 ? r.body : null;
    } catch {
      return null;
    }
  }

  /** The member secret in its data directory: what someone with the board in hand could copy. */
  memberSecret(): string {
    return readFileSync(join(this.b.dataDir, MEMBER_SECRET_FILE), 'utf8').trim();
  }

  running(): boolean {
    const pid = this.b.pid();
    return pid !== null && existsSync(`/proc/${pid}`);
  }

  memory(): { rssMiB: number; anonMiB: number } {
    const pid = this.b.pid();
    if (pid === null) return { rssMiB: 0, anonMiB: 0 };
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
    return { rssMiB: Math.round(field('VmRSS') * 10) / 10, anonMiB: Math.round(field('RssAnon') * 10) / 10 };
  }
}

export function boardsOf(t: SuiteTarget): Board[] {
  return t.boards.map((b) => new Board(t, b));
}

export async function leaderOf(t: SuiteTarget, timeoutMs = 60_000): Promise<Board> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const b of boardsOf(t)) {
      const s = await b.status();
      if (s?.raftRole === 'leader') return b;
    }
    await sleep(200);
  }
  throw new Error(`no leader within ${timeoutMs} ms`);
}

export async function waitApplied(t: SuiteTarget, revision: number, timeoutMs = 30_000): Promise<void> {
  for (const b of boardsOf(t)) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await b.status();
      if (typeof s?.appliedIndex === 'number' && s.appliedIndex >= revision) break;
      if (Date.now() > deadline) throw new Error(`${b.b.id} did not apply ${revision} within ${timeoutMs} ms`);
      await sleep(100);
    }
  }
}

/** A digest of everything a board holds, read locally (all kinds, every page). */
export async function contentDigest(b: Board): Promise<string> {
  const h = createHash('sha256');
  for (const kind of ['areas', 'devices', 'zones', 'scenes', 'buttons']) {
    let after: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const r = await b.read(`/v1/${kind}?consistency=local&limit=1000${after ? `&after=${after}` : ''}`);
      if (r.status !== 200) throw new Error(`${b.b.id} answered ${r.status} to a list of ${kind}`);
      const items = r.body.items as Array<{ id: string }>;
      h.update(JSON.stringify(items));
      after = (r.body.next as string | null) ?? undefined;
      if (!after || items.length === 0) break;
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** Every board at the same applied index holds the same data; returns the digests for the evidence. */
export async function agreement(t: SuiteTarget, timeoutMs = 30_000): Promise<{ same: boolean; digests: string[]; applied: number }> {
  const boards = boardsOf(t);
  const deadline = Date.now() + timeoutMs;
  let digests: string[] = [];
  let applied = 0;
  for (;;) {
    const idx = await Promise.all(boards.map(async (b) => (await b.status())?.appliedIndex));
    if (typeof idx[0] === 'number' && idx.every((a) => a === idx[0])) {
      applied = idx[0];
      digests = await Promise.all(boards.map((b) => contentDigest(b)));
      const again = await Promise.all(boards.map(async (b) => (await b.status())?.appliedIndex));
      if (again.every((a) => a === applied)) return { same: digests.every((d) => d === digests[0]), digests, applied };
    }
    if (Date.now() > deadline) return { same: false, digests, applied };
    await sleep(300);
  }
}
