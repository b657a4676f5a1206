// Reads a process's memory and CPU time from /proc (Linux), the way `ps` and
// `top` do, so the bench measures the boards from outside without their help.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseStatFaults } from '../board/memory-figures.ts';

export interface ProcSample {
  rssBytes: number;
  /** Peak RSS so far (VmHWM). */
  hwmBytes: number;
  /** Anonymous resident memory (heaps, WASM memory, buffers). */
  anonBytes: number;
  /** File-backed resident pages (the mapped executable): clean, reclaimable under memory pressure. */
  fileBytes: number;
  /** utime + stime in seconds. */
  cpuSeconds: number;
  /** Page faults that had to read from disk since the process started (majflt). */
  majorFaults: number;
}

let clockTicks: number | undefined;

/** Kernel clock ticks per second (USER_HZ), almost always 100. */
export function clkTck(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime+stime ticks from the text of /proc/<pid>/stat (the command name may contain spaces and parentheses). */
export function parseStatTicks(stat: string): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new Error('malformed /proc stat line');
  const fields = stat.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('malformed /proc stat line');
  return utime + stime;
}

/** A "Key:   123 kB" field of /proc/<pid>/status, in bytes; 0 when absent. */
export function parseStatusKb(status: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** One sample, or null when the process is gone. */
export function sampleProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return {
      rssBytes: parseStatusKb(status, 'VmRSS'),
      hwmBytes: parseStatusKb(status, 'VmHWM'),
      anonBytes: parseStatusKb(status, 'RssAnon'),
      fileBytes: parseStatusKb(status, 'RssFile'),
      cpuSeconds: parseStatTicks(stat) / clkTck(),
      majorFaults: parseStatFaults(stat)?.major ?? NaN,
    };
  } catch {
    return null;
  }
}
