// npm run bench:core — an in-process 5-voter cluster over an in-memory message loop, 256-byte proposals.
// Prints committed entries per second and heap bytes allocated per committed entry.
import v8 from 'node:v8';
import { RaftNode } from '../raft/node.ts';
import { LogStore } from '../storage/log-store.ts';
import { bootstrapSnapshot } from '../raft/bootstrap.ts';
import { SeededRandom } from '../raft/random.ts';
import type { Message, NodeId } from '../raft/types.ts';

const voters: NodeId[] = ['b1', 'b2', 'b3', 'b4', 'b5'];
const totalEntries = Number(process.env['BENCH_ENTRIES'] ?? 1_000_000);
const batch = Number(process.env['BENCH_BATCH'] ?? 512);
const payload = new Uint8Array(256).fill(7); // shared: measures the core's allocations, not the client's

interface Member {
  readonly node: RaftNode;
  readonly storage: LogStore;
  applied: number;
}

function makeCluster(): Map<NodeId, Member> {
  const conf = { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  const cluster = new Map<NodeId, Member>();
  voters.forEach((id, i) => {
    // The board's log store, its snapshots empty (the benchmark measures the core, not the state).
    const storage = new LogStore({ hardState: { term: 1, vote: null, commit: 1 }, snapshot: bootstrapSnapshot(conf).metadata, loadSnapshot: () => new Uint8Array(0) });
    const node = new RaftNode({
      id, storage, random: new SeededRandom(i + 1),
      maxSizePerMsg: 1024 * 1024, maxInflightMsgs: 64, maxUncommittedEntriesSize: 64 * 1024 * 1024,
    });
    cluster.set(id, { node, storage, applied: 0 });
  });
  return cluster;
}

/** Run every node's Ready once and deliver the messages; returns entries committed on the leader. */
function pump(cluster: Map<NodeId, Member>, leader: NodeId, inbox: Message[]): number {
  let committed = 0;
  for (const [id, m] of cluster) {
    if (!m.node.hasReady()) continue;
    const rd = m.node.ready();
    if (rd.snapshot) m.storage.applySnapshot(rd.snapshot.metadata);
    if (rd.entries.length > 0) m.storage.append(rd.entries);
    if (rd.hardState) m.storage.setHardState(rd.hardState);
    for (const msg of rd.messages) inbox.push(msg);
    const n = rd.committedEntries.length;
    if (n > 0) {
      m.applied = (rd.committedEntries[n - 1] as { index: number }).index;
      if (id === leader) committed += n;
    }
    m.node.advance(rd);
    // Keep memory bounded the way a board does: snapshot and compact behind the applied index.
    if (m.applied - m.storage.firstIndex() > 50_000) {
      m.storage.createSnapshot({ index: m.applied, term: m.storage.term(m.applied), confState: m.node.status().confState });
      m.storage.compact(m.applied - 1000);
    }
  }
  return committed;
}

function deliver(cluster: Map<NodeId, Member>, inbox: Message[]): void {
  for (let i = 0; i < inbox.length; i++) {
    const msg = inbox[i] as Message;
    cluster.get(msg.to)?.node.step(msg);
  }
  inbox.length = 0;
}

function run(): void {
  const cluster = makeCluster();
  const inbox: Message[] = [];
  const first = cluster.get('b1')!;
  first.node.campaign();
  for (let i = 0; i < 20; i++) {
    pump(cluster, 'b1', inbox);
    deliver(cluster, inbox);
  }
  if (first.node.status().role !== 'leader') throw new Error('b1 did not become leader');
  const proposals: Uint8Array[] = new Array<Uint8Array>(batch).fill(payload);

  const measure = (entries: number): { secs: number; committed: number; allocated: number } => {
    const profiler = new v8.GCProfiler();
    const heapStart = v8.getHeapStatistics().used_heap_size;
    profiler.start();
    const t0 = performance.now();
    let proposed = 0;
    let committed = 0;
    while (committed < entries) {
      // Keep a few batches in flight, as a busy leader would.
      while (proposed - committed < batch * 4 && proposed < entries) {
        first.node.proposeBatch(proposals);
        proposed += batch;
      }
      committed += pump(cluster, 'b1', inbox);
      deliver(cluster, inbox);
    }
    const secs = (performance.now() - t0) / 1000;
    const gc = profiler.stop();
    const heapEnd = v8.getHeapStatistics().used_heap_size;
    // Allocated = growth between collections + what each collection freed.
    let freed = 0;
    for (const s of gc?.statistics ?? []) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
    return { secs, committed, allocated: heapEnd - heapStart + freed };
  };

  measure(Math.min(100_000, totalEntries)); // warm-up (JIT)
  const r = measure(totalEntries);
  const rate = r.committed / r.secs;
  console.log(`raft core: 5 voters, in-memory loop, 256-byte proposals, batches of ${batch}`);
  console.log(`committed entries: ${r.committed} in ${r.secs.toFixed(2)} s = ${Math.round(rate).toLocaleString('en')} entries/s`);
  console.log(`heap allocated: ${(r.allocated / 1024 / 1024).toFixed(1)} MiB = ${Math.round(r.allocated / r.committed)} bytes per committed entry (all 5 nodes, storage included, payload shared)`);
  console.log(`rss: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(1)} MiB`);
}

run();
