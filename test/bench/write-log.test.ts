import t from 'tap';
import { WriteLog } from '../../src/bench/write-log.ts';

t.test('records come back as they went in, across chunks', async (t) => {
  const log = new WriteLog();
  const n = 70_000; // more than one chunk
  for (let i = 0; i < n; i++) {
    const ok = i % 1000 !== 7;
    log.push({ seq: i, startMs: i * 0.5, sentAt: 1_700_000_000_000 + i, latencyMs: 1.5 + (i % 10), ok, revision: ok ? 100 + i : null, ...(i % 3 === 0 ? { burst: i % 50 } : {}), ...(ok ? {} : { error: `HTTP 503 #${i}` }) });
  }
  t.equal(log.length, n);
  let i = 0;
  let failed = 0;
  for (const w of log) {
    if (w.seq !== i || w.startMs !== i * 0.5 || w.sentAt !== 1_700_000_000_000 + i || w.latencyMs !== 1.5 + (i % 10) || w.burst !== (i % 3 === 0 ? i % 50 : undefined)) {
      t.fail(`record ${i} differs: ${JSON.stringify(w)}`);
      return;
    }
    if (!w.ok) {
      failed++;
      if (w.revision !== null || w.error !== `HTTP 503 #${i}`) t.fail(`failed write ${i}: ${JSON.stringify(w)}`);
    }
    i++;
  }
  t.equal(failed, 70);
  t.equal(log.okLatencies().length, n - 70);
});
