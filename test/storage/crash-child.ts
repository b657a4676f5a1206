// Child of the kill-and-restart test: appends entries in a loop and prints each
// index after its fsynced save returned ("ack <index>"). Killed at random by the parent.
import { openDataDir } from '../../src/storage/open.ts';
import { crashEntry, crashImage, crashOptions, rng } from './crash-shared.ts';

const [dir, seedText] = process.argv.slice(2);
if (dir === undefined) {
  // Not a test by itself (a runner may load it): only crash-harness.ts starts it, with arguments.
  console.log('usage: crash-child.ts <dataDir> <seed>');
  process.exit(0);
}
const random = rng(Number(seedText));
const d = await openDataDir(crashOptions(dir));
let next = d.logStore.lastIndex() + 1;
process.stdout.write(`ready ${next}\n`);
for (;;) {
  const n = 1 + Math.floor(random() * 8);
  const batch = [];
  for (let i = 0; i < n; i++) batch.push(crashEntry(next + i));
  await d.storage.saveReady({ term: 1, vote: 'a', commit: next + n - 1 }, batch, true);
  next += n;
  process.stdout.write(`ack ${next - 1}\n`);
  if (d.storage.snapshotDue(next - 1)) await d.storage.takeSnapshot(next - 1, { voters: ['a'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }, crashImage(next - 1));
}
