// Compares V8 heap snapshots (.heapsnapshot, e.g. from `raftlight bench
// --heap-snapshots`): self size and count per object class in each, the
// classes that grew most first, and for the top growers who holds them (the
// class and field of their retainers, weak references left out). What a
// growing heap is made of, from the command line.
//   npx tsx src/bench/heap-diff.ts A.heapsnapshot [B.heapsnapshot] [--top N] [--retainers N]
import { readFileSync } from 'node:fs';

interface SnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: unknown[]; edge_fields: string[]; edge_types: unknown[] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface ClassTotal {
  /** "type:name" for objects of a constructor ("object:Buffer"), the node type otherwise ("string", "code"). */
  key: string;
  count: number;
  selfBytes: number;
}

export interface HeapSummary {
  totalBytes: number;
  nodes: number;
  classes: Map<string, ClassTotal>;
  /** Per class: "retainer class . edge" -> bytes of the class's objects so retained (first strong retainer). */
  retainers(key: string, top: number): { via: string; count: number; selfBytes: number }[];
}

// Node types whose name is an instance's own content (a string's text, a number), so the type alone is the class.
const TYPE_IS_CLASS = new Set(['string', 'concatenated string', 'sliced string', 'number', 'bigint', 'code', 'hidden', 'array', 'regexp', 'symbol']);

/** Parses a heap snapshot and totals it per class. */
export function summarizeSnapshot(json: SnapshotJson): HeapSummary {
  const meta = json.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const [typeF, nameF, sizeF, edgeCountF] = ['type', 'name', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
  const [edgeTypeF, edgeNameF, toF] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
  const nodeTypes = meta.node_types[0] as string[];
  const edgeTypes = meta.edge_types[0] as string[];
  const { nodes, edges, strings } = json;
  const count = nodes.length / nf;
  const keyOf = (n: number): string => {
    const type = nodeTypes[nodes[n * nf + typeF]!]!;
    if (TYPE_IS_CLASS.has(type)) return type;
    const name = strings[nodes[n * nf + nameF]!] ?? '';
    // "system / Context" and friends: keep the part before any detail.
    return `${type}:${name.length > 60 ? name.slice(0, 60) + '…' : name}`;
  };
  const keys: string[] = new Array(count);
  const classes = new Map<string, ClassTotal>();
  let totalBytes = 0;
  for (let n = 0; n < count; n++) {
    const key = keyOf(n);
    keys[n] = key;
    const size = nodes[n * nf + sizeF]!;
    totalBytes += size;
    const c = classes.get(key) ?? { key, count: 0, selfBytes: 0 };
    c.count++;
    c.selfBytes += size;
    classes.set(key, c);
  }
  // First strong retainer of every node (the walk order of the snapshot: good enough to name who holds what).
  const retainer = new Int32Array(count).fill(-1);
  const retainerEdge = new Int32Array(count).fill(-1);
  let e = 0;
  for (let n = 0; n < count; n++) {
    const edgeCount = nodes[n * nf + edgeCountF]!;
    for (let i = 0; i < edgeCount; i++, e++) {
      const type = edgeTypes[edges[e * ef + edgeTypeF]!];
      if (type === 'weak' || type === 'shortcut') continue;
      const to = edges[e * ef + toF]! / nf;
      if (retainer[to] === -1) {
        retainer[to] = n;
        retainerEdge[to] = e;
      }
    }
  }
  const edgeName = (edge: number): string => {
    const type = edgeTypes[edges[edge * ef + edgeTypeF]!];
    const v = edges[edge * ef + edgeNameF]!;
    return type === 'element' || type === 'hidden' ? '[]' : (strings[v] ?? String(v));
  };
  return {
    totalBytes,
    nodes: count,
    classes,
    retainers(key, top) {
      const by = new Map<string, { via: string; count: number; selfBytes: number }>();
      for (let n = 0; n < count; n++) {
        if (keys[n] !== key) continue;
        const r = retainer[n]!;
        const via = r < 0 ? '(root)' : `${keys[r]} .${edgeName(retainerEdge[n]!)}`;
        const entry = by.get(via) ?? { via, count: 0, selfBytes: 0 };
        entry.count++;
        entry.selfBytes += nodes[n * nf + sizeF]!;
        by.set(via, entry);
      }
      return [...by.values()].sort((a, b) => b.selfBytes - a.selfBytes).slice(0, top);
    },
  };
}

export interface ClassDiff {
  key: string;
  countA: number;
  bytesA: number;
  countB: number;
  bytesB: number;
}

/** Classes of two summaries, the biggest growth first. */
export function diffClasses(a: HeapSummary, b: HeapSummary): ClassDiff[] {
  const keys = new Set([...a.classes.keys(), ...b.classes.keys()]);
  return [...keys].map((key) => {
    const x = a.classes.get(key);
    const y = b.classes.get(key);
    return { key, countA: x?.count ?? 0, bytesA: x?.selfBytes ?? 0, countB: y?.count ?? 0, bytesB: y?.selfBytes ?? 0 };
  }).sort((p, q) => (q.bytesB - q.bytesA) - (p.bytesB - p.bytesA));
}

const kib = (b: number): string => (b / 1024).toFixed(1);

function load(file: string): HeapSummary {
  return summarizeSnapshot(JSON.parse(readFileSync(file, 'utf8')) as SnapshotJson);
}

function main(argv: string[]): void {
  const files = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const opt = (name: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const top = opt('top', 30);
  const retainersOf = opt('retainers', 5);
  if (files.length < 1 || files.length > 2) {
    process.stderr.write('usage: heap-diff A.heapsnapshot [B.heapsnapshot] [--top N] [--retainers N]\n');
    process.exit(2);
  }
  const a = load(files[0]!);
  const out: string[] = [];
  if (files.length === 1) {
    out.push(`${files[0]}: ${kib(a.totalBytes)} KiB in ${a.nodes} objects; the biggest classes by self size (KiB):`);
    const rows = [...a.classes.values()].sort((p, q) => q.selfBytes - p.selfBytes).slice(0, top);
    for (const c of rows) out.push(`  ${kib(c.selfBytes).padStart(9)}  ${String(c.count).padStart(8)}  ${c.key}`);
    for (const c of rows.slice(0, retainersOf)) {
      out.push(`held by, for ${c.key}:`);
      for (const r of a.retainers(c.key, 6)) out.push(`    ${kib(r.selfBytes).padStart(9)}  ${String(r.count).padStart(8)}  ${r.via}`);
    }
  } else {
    const b = load(files[1]!);
    out.push(`${kib(a.totalBytes)} KiB -> ${kib(b.totalBytes)} KiB (${b.totalBytes >= a.totalBytes ? '+' : ''}${kib(b.totalBytes - a.totalBytes)} KiB); classes by growth of self size:`);
    out.push(`  ${'KiB A'.padStart(9)}  ${'KiB B'.padStart(9)}  ${'delta'.padStart(9)}  ${'count A'.padStart(8)}  ${'count B'.padStart(8)}  class`);
    const rows = diffClasses(a, b);
    for (const d of rows.slice(0, top)) {
      out.push(`  ${kib(d.bytesA).padStart(9)}  ${kib(d.bytesB).padStart(9)}  ${kib(d.bytesB - d.bytesA).padStart(9)}  ${String(d.countA).padStart(8)}  ${String(d.countB).padStart(8)}  ${d.key}`);
    }
    out.push('shrank most:');
    for (const d of rows.slice(-5).reverse()) out.push(`  ${kib(d.bytesA).padStart(9)}  ${kib(d.bytesB).padStart(9)}  ${kib(d.bytesB - d.bytesA).padStart(9)}  ${d.key}`);
    for (const d of rows.slice(0, retainersOf)) {
      out.push(`held by, for ${d.key} (A | B):`);
      const ra = new Map(a.retainers(d.key, 50).map((r) => [r.via, r]));
      for (const r of b.retainers(d.key, 6)) out.push(`    ${kib(ra.get(r.via)?.selfBytes ?? 0).padStart(9)} | ${kib(r.selfBytes).padStart(9)}  ${String(r.count).padStart(8)}  ${r.via}`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}

if (process.argv[1] !== undefined && /heap-diff\.ts$/.test(process.argv[1])) main(process.argv.slice(2));
