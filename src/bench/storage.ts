// `npm run bench:storage`: the write-ahead log benchmark, then the state
// machine benchmark, each in its own process so one's memory does not colour
// the other's figures. Extra arguments go to both unchanged: none by default.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const here = import.meta.dirname;
let failed = 0;
for (const script of ['wal.ts', 'state.ts']) {
  process.stdout.write(`\n== ${script} ==\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, script)], { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`bench:storage: ${script} failed (${r.signal ?? r.status})\n`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
