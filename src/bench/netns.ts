// --netns: every board in its own network namespace with its own address on a
// bridge, optionally with tc netem (delay, loss) on its link. Needs root and iproute2.
import { execFileSync } from 'node:child_process';

export class NetnsError extends Error {
  readonly code = 'NETNS_UNAVAILABLE';
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function iptables(ns: string, args: string[]): void {
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'iptables', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as Error & { stderr?: Buffer };
    throw new NetnsError(`iptables in ${ns} failed (install the iptables package): ${e.stderr?.toString().trim() || e.message}`);
  }
}

export interface NetnsPlan {
  hostOf(id: string): string;
  wrap(id: string): string[];
  /** Cuts a board's link (a partition of that board from all the others). */
  partition(id: string): void;
  heal(id: string): void;
  /**
   * Drops every IP packet that reaches the board (iptables in its namespace),
   * leaving the link and ARP up: a blackholed route, as a dead switch port or a
   * firewall makes it, without the neighbour-table delays of a link going down.
   */
  blackhole(id: string): void;
  unblackhole(id: string): void;
  teardown(): void;
  /** The address the bench itself has on the bridge. */
  readonly bridgeAddress: string;
}

/** Address of board number i (0-based) in 10.200.0.0/16; .0.1 is the bridge. */
export function boardAddress(i: number): string {
  const n = i + 2;
  return `10.200.${Math.floor(n / 256)}.${n % 256}`;
}

/** Creates the namespaces; throws NetnsError with the reason when it cannot. */
export function setupNetns(ids: readonly string[], netem: string | undefined): NetnsPlan {
  if (process.platform !== 'linux') throw new NetnsError('--netns needs Linux');
  if (process.getuid?.() !== 0) throw new NetnsError('--netns needs root (network namespaces and tc)');
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new NetnsError('--netns needs iproute2 (the ip command)');
  }
  if (ids.length > 60_000) throw new NetnsError('--netns supports at most 60000 boards');
  const tag = (process.pid % 1_000_000).toString(36);
  const bridge = `rlb${tag}`;
  const ns = new Map(ids.map((id, i) => [id, { name: `rl${tag}-${i}`, host: `rh${tag}-${i}`, addr: boardAddress(i) }]));
  const created: string[] = [];
  const teardown = (): void => {
    for (const name of created) {
      try {
        ip(['netns', 'del', name]);
      } catch {
        // already gone
      }
    }
    try {
      ip(['link', 'del', bridge]);
    } catch {
      // already gone
    }
  };
  try {
    ip(['link', 'add', bridge, 'type', 'bridge']);
    ip(['addr', 'add', '10.200.0.1/16', 'dev', bridge]);
    ip(['link', 'set', bridge, 'up']);
    for (const n of ns.values()) {
      ip(['netns', 'add', n.name]);
      created.push(n.name);
      const peer = `rp${n.host.slice(2)}`;
      ip(['link', 'add', n.host, 'type', 'veth', 'peer', 'name', peer]);
      ip(['link', 'set', n.host, 'master', bridge]);
      ip(['link', 'set', n.host, 'up']);
      ip(['link', 'set', peer, 'netns', n.name]);
      ip(['-n', n.name, 'addr', 'add', `${n.addr}/16`, 'dev', peer]);
      ip(['-n', n.name, 'link', 'set', peer, 'up']);
      ip(['-n', n.name, 'link', 'set', 'lo', 'up']);
      if (netem !== undefined && netem.trim() !== '') {
        execFileSync('tc', ['-n', n.name, 'qdisc', 'add', 'dev', peer, 'root', 'netem', ...netem.trim().split(/\s+/)], { stdio: ['ignore', 'ignore', 'pipe'] });
      }
    }
  } catch (err) {
    teardown();
    const e = err as Error & { stderr?: Buffer };
    throw new NetnsError(`cannot set up network namespaces: ${e.stderr?.toString().trim() || e.message}`);
  }
  const get = (id: string): { name: string; host: string; addr: string } => {
    const n = ns.get(id);
    if (!n) throw new Error(`no namespace for board ${id}`);
    return n;
  };
  return {
    bridgeAddress: '10.200.0.1',
    hostOf: (id) => get(id).addr,
    wrap: (id) => ['ip', 'netns', 'exec', get(id).name],
    partition: (id) => ip(['link', 'set', get(id).host, 'down']),
    heal: (id) => ip(['link', 'set', get(id).host, 'up']),
    blackhole: (id) => iptables(get(id).name, ['-I', 'INPUT', '!', '-i', 'lo', '-j', 'DROP']),
    unblackhole: (id) => iptables(get(id).name, ['-D', 'INPUT', '!', '-i', 'lo', '-j', 'DROP']),
    teardown,
  };
}
