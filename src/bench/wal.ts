// WAL benchmark: group-commit throughput at 256-byte records, and the on-disk
// size bound under a steady write load with periodic snapshot + release.
//   npx tsx src/bench/wal.ts [dataDirParent] [secondsPerCase]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Wal } from '../storage/wal/wal.ts';
import { openDataDir } from '../storage/open.ts';
import { emptyConfState, type Entry } from '../raft/types.ts';

const RECORD_BYTES = 256;
const parent = process.argv[2] ?? os.tmpdir();
const seconds = Number(process.argv[3] ?? 2);
const payload = new Uint8Array(RECORD_BYTES).map((_, i) => i & 0xff);
const entryAt = (index: number): Entry => ({ index, term: 1, type: 'normal', data: payload });

function dirSize(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : fs.statSync(p).size;
  }
  return total;
}

async function throughput(batch: number, concurrent: boolean): Promise<void> {
  const dir = fs.mkdtempSync(path.join(parent, 'raftlight-walbench-'));
  try {
    const { wal } = await Wal.open({ dir });
    let next = 1;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    while (performance.now() < deadline) {
      if (concurrent) {
        // `batch` independent single-record saves in flight: group commit merges them.
        const saves: Promise<void>[] = [];
        for (let i = 0; i < batch; i++) saves.push(wal.save(null, [entryAt(next++)], true));
        await Promise.all(saves);
      } else {
        const entries: Entry[] = [];
        for (let i = 0; i < batch; i++) entries.push(entryAt(next++));
        await wal.save({ term: 1, vote: 'a', commit: next - 1 }, entries, true);
      }
    }
    const elapsed = (performance.now() - started) / 1000;
    const s = wal.stats();
    await wal.close();
    const records = next - 1;
    console.log(
      `${concurrent ? 'concurrent saves' : 'batch per save  '} ${String(batch).padStart(4)}: ` +
        `${Math.round(records / elapsed).toLocaleString('en-US').padStart(9)} records/s  ` +
        `${Math.round(s.fsyncs / elapsed).toLocaleString('en-US').padStart(6)} fsyncs/s  ` +
        `${(records / s.fsyncs).toFixed(1).padStart(6)} records/fsync  (${s.segments} segments)`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function steadyLoad(totalEntries: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(parent, 'raftlight-walbench-'));
  const image = new Uint8Array(600 * 1024).map((_, i) => (i * 7) & 0xff); // ~ a 2,000-device database
  const segmentBytes = 1024 * 1024;
  const policy = { maxEntries: 10_000, keepEntries: 500 };
  try {
    const d = await openDataDir({ dir, segmentBytes, policy });
    let maxBytes = 0;
    let maxWal = 0;
    let snapshots = 0;
    let maxLogEntries = 0;
    const batch = 16;
    const started = performance.now();
    for (let next = 1, n = 0; next <= totalEntries; n++) {
      const entries: Entry[] = [];
      for (let i = 0; i < batch; i++) entries.push(entryAt(next++));
      await d.storage.saveReady({ term: 1, vote: 'a', commit: next - 1 }, entries, true);
      maxLogEntries = Math.max(maxLogEntries, d.logStore.size().entries);
      if (n % 20 === 0 || d.storage.snapshotDue(next - 1)) {
        maxBytes = Math.max(maxBytes, dirSize(dir));
        maxWal = Math.max(maxWal, dirSize(path.join(dir, 'wal')));
      }
      if (d.storage.snapshotDue(next - 1)) {
        await d.storage.takeSnapshot(next - 1, emptyConfState, image);
        snapshots++;
        maxBytes = Math.max(maxBytes, dirSize(dir));
      }
    }
    const elapsed = (performance.now() - started) / 1000;
    const finalBytes = dirSize(dir);
    await d.close();
    const mib = (b: number) => (b / 1024 / 1024).toFixed(2) + ' MiB';
    console.log(
      `steady load: ${totalEntries.toLocaleString('en-US')} records of ${RECORD_BYTES} B in ${elapsed.toFixed(1)} s, batches of ${batch}, ` +
        `snapshot every ${policy.maxEntries} entries (${snapshots} taken, image ${mib(image.length)}), segments ${mib(segmentBytes)}`,
    );
    console.log(`  max on disk (WAL + snapshots): ${mib(maxBytes)}; max WAL alone: ${mib(maxWal)}; at end: ${mib(finalBytes)}; max entries in memory: ${maxLogEntries}`);
    console.log(`  data written: ${mib(totalEntries * RECORD_BYTES)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`WAL benchmark in ${parent}, ${seconds} s per case, ${RECORD_BYTES}-byte records, Node ${process.version}`);
for (const batch of [1, 8, 64, 256]) await throughput(batch, false);
for (const batch of [8, 64]) await throughput(batch, true);
await steadyLoad(200_000);
