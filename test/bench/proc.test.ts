import t from 'tap';
import { parseStatTicks, parseStatusKb, sampleProc } from '../../src/bench/proc.ts';

t.test('stat line with spaces and parentheses in the command name', async (t) => {
  // fields after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const line = '1234 (node (worker) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 1000 2000 3000';
  t.equal(parseStatTicks(line), 300);
  t.throws(() => parseStatTicks('garbage'));
});

t.test('status fields in bytes', async (t) => {
  const status = 'Name:\tnode\nVmHWM:\t   81234 kB\nVmRSS:\t   80000 kB\n';
  t.equal(parseStatusKb(status, 'VmRSS'), 80000 * 1024);
  t.equal(parseStatusKb(status, 'VmHWM'), 81234 * 1024);
  t.equal(parseStatusKb(status, 'VmSwap'), 0);
});

t.test('samples this very process, and null for a pid that does not exist', async (t) => {
  const s = sampleProc(process.pid);
  t.ok(s, 'sampled');
  t.ok(s!.rssBytes > 10 * 1048576, `rss ${s!.rssBytes}`);
  t.ok(s!.hwmBytes >= s!.rssBytes);
  t.ok(s!.cpuSeconds > 0);
  t.ok(s!.anonBytes > 0 && s!.anonBytes <= s!.rssBytes);
  t.ok(s!.majorFaults >= 0, 'major page faults');
  t.equal(sampleProc(2 ** 22 + 12345), null);
});
