// heap-diff: totals per class, growth between two snapshots, who holds a class.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffClasses, summarizeSnapshot } from '../../src/bench/heap-diff.ts';

const meta = {
  node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
  node_types: [['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape']],
  edge_fields: ['type', 'name_or_index', 'to_node'],
  edge_types: [['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak']],
};
const OBJECT = 3;
const STRING = 2;
const NF = meta.node_fields.length;

/** A root holding a Map that holds `buffers` Buffers (100 bytes each) and a cache holding one more through a weak edge. */
function snapshot(buffers: number) {
  const strings = ['', 'Root', 'Map', 'Buffer', 'entries', 'cache', 'Cache', 'text'];
  const nodes: number[] = [];
  const edges: number[] = [];
  const node = (type: number, name: number, size: number, edgeCount: number): number => {
    nodes.push(type, name, nodes.length / NF + 1, size, edgeCount, 0, 0);
    return (nodes.length / NF) - 1;
  };
  node(OBJECT, 1, 0, 2); // root: .entries -> map, .cache -> cache
  const map = 1;
  const cache = 2;
  edges.push(2, 4, map * NF, 2, 5, cache * NF);
  node(OBJECT, 2, 64, buffers + 1); // map holds every buffer and a string
  node(OBJECT, 6, 32, 1); // cache: weak edge to the first buffer
  const first = 3;
  for (let i = 0; i < buffers; i++) edges.push(1, i, (first + i) * NF);
  edges.push(2, 7, (first + buffers) * NF);
  edges.push(6, 0, first * NF);
  for (let i = 0; i < buffers; i++) node(OBJECT, 3, 100, 0);
  node(STRING, 7, 24, 0);
  return { snapshot: { meta, node_count: nodes.length / NF, edge_count: edges.length / 3 }, nodes, edges, strings };
}

t.test('classes, growth and retainers of a made-up heap', async (t) => {
  const a = summarizeSnapshot(snapshot(2));
  const b = summarizeSnapshot(snapshot(5));
  t.same(a.classes.get('object:Buffer'), { key: 'object:Buffer', count: 2, selfBytes: 200 });
  t.equal(b.totalBytes, 64 + 32 + 500 + 24);
  t.equal(b.classes.get('string')!.count, 1, 'strings are one class, whatever their text');
  const diff = diffClasses(a, b);
  t.same(diff[0], { key: 'object:Buffer', countA: 2, bytesA: 200, countB: 5, bytesB: 500 });
  t.same(b.retainers('object:Buffer', 5), [{ via: 'object:Map .[]', count: 5, selfBytes: 500 }], 'the weak edge of the cache does not count');
  t.same(b.retainers('object:Map', 5), [{ via: 'object:Root .entries', count: 1, selfBytes: 64 }]);
});

t.test('a real snapshot of a small Node process', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'small.heapsnapshot');
  execFileSync(process.execPath, ['-e', `globalThis.kept = Array.from({ length: 3000 }, (_, i) => new Uint8Array(16)); require('v8').writeHeapSnapshot(${JSON.stringify(file)})`]);
  const s = summarizeSnapshot(JSON.parse(readFileSync(file, 'utf8')));
  t.ok(s.totalBytes > 100_000 && s.nodes > 1000, `${s.totalBytes} bytes in ${s.nodes} objects`);
  t.ok(s.classes.get('object:Uint8Array')!.count >= 3000, 'the kept arrays are counted');
  t.match(s.retainers('object:Uint8Array', 1)[0]!.via, /Array/, 'held by the array that keeps them');
});
