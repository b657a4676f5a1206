// One measured run against any system under test (raftlight boards or etcd):
// samples the processes, drives the workload, shows progress, keeps the writes.
import { join } from 'node:path';
import { CsvFile } from './csv.ts';
import { Progress } from './progress.ts';
import { Sampler, type BoardRef } from './sampler.ts';
import { runWorkload, type Workload, type Writer } from './workload.ts';
import { WriteLog } from './write-log.ts';

export interface SystemUnderTest {
  /** "raftlight" or "etcd": prefixes the files of this run. */
  name: string;
  boards: () => BoardRef[];
  writer: Writer;
}

export interface MeasuredRun {
  system: string;
  durationS: number;
  /** Every write of the run, compact (cap: MAX_RECORDED_WRITES). */
  writes: WriteLog;
  sampler: Sampler;
  /** Epoch ms of t = 0 (the workload's start; samples before it have t < 0). */
  t0: number;
}

export interface MeasureOptions {
  out: string;
  workload: Workload;
  durationS: number;
  /** Seconds sampled before the workload starts (the idle baseline). */
  idleLeadS: number;
  quiet: boolean;
  /** Runs beside the workload (the fault schedule); gets t0. */
  alongside?: (t0: number) => Promise<void>;
  /** Extra text for the progress line. */
  detail?: () => string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function measure(sut: SystemUnderTest, o: MeasureOptions): Promise<MeasuredRun> {
  const t0 = Date.now() + o.idleLeadS * 1000;
  const sampler = new Sampler(sut.boards, join(o.out, `${sut.name}-samples.csv`), t0);
  const writesCsv = new CsvFile(join(o.out, `${sut.name}-writes.csv`), ['seq', 'startMs', 'sentAt', 'latencyMs', 'ok', 'revision', 'burst', 'error']);
  const writes = new WriteLog();
  let okCount = 0;
  let errors = 0;
  sampler.start();
  await sleep(Math.max(0, t0 - Date.now()));
  const durationMs = o.durationS * 1000;
  const progress = new Progress(sut.name, durationMs, process.stderr, o.quiet);
  const ticker = setInterval(() => {
    const last = sampler.samples.length ? sampler.samples[sampler.samples.length - 1]!.t : 0;
    const maxRss = Math.max(0, ...sampler.samples.filter((s) => s.t === last).map((s) => (Number.isFinite(s.rssMiB) ? s.rssMiB : 0)));
    progress.update(Date.now() - t0, `writes ${okCount} ok ${errors} err, max RSS ${maxRss.toFixed(1)} MiB${o.detail ? ' ' + o.detail() : ''}`);
  }, 1000);
  try {
    await Promise.all([
      runWorkload(o.workload, sut.writer, durationMs, (r) => {
        writes.push(r);
        if (r.ok) okCount++;
        else errors++;
        writesCsv.row([r.seq, r.startMs.toFixed(2), r.sentAt, r.latencyMs.toFixed(3), r.ok, r.revision, r.burst, r.error]);
      }),
      o.alongside?.(t0),
    ]);
    // Sample the settled state after the load for "RSS after load".
    await sleep(2000);
  } finally {
    clearInterval(ticker);
    progress.update(durationMs, `writes ${okCount} ok ${errors} err`);
    progress.done();
    await sampler.stop();
    await writesCsv.close();
  }
  return { system: sut.name, durationS: o.durationS, writes, sampler, t0 };
}
