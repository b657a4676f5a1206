// The image targets (targets/*.json) and their budgets, built into the
// executable so that `raftlight bench` and the budget check run from the
// image alone, from any directory. `--target` names a built-in target or a
// file that overrides it.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import linuxArm64 from '../../targets/linux-arm64.json' with { type: 'json' };
import linuxX64 from '../../targets/linux-x64.json' with { type: 'json' };

export interface TargetBudgets {
  imageMiB: number;
  /**
   * The hard memory limit (memory and swap together) a board must work
   * under: the bench's --board-limits and the CI budget check run every
   * board in a memory cgroup of this size.
   */
  hardLimitMiB: number;
  /** Anonymous RSS (what the board cannot give back) at idle and at peak under bursts. */
  idleAnonRssMiB: number;
  peakAnonRssMiB: number;
  /** The installer's page as served at GET / (all assets), raw and gzip-compressed (KiB). */
  pageKiB: number;
  pageGzipKiB: number;
}

export interface Target {
  name: string;
  description: string;
  arch: string;
  node: string;
  execArgv: string[];
  budgets: TargetBudgets;
  /** Where it came from: `built-in` or the file's path. */
  source: string;
}

export class TargetError extends Error {
  readonly code = 'BAD_TARGET';
}

const BUILT_IN: readonly unknown[] = [linuxArm64, linuxX64];

/** Checks a parsed target file; throws TargetError naming the first missing or wrong field. */
export function validateTarget(raw: unknown, source: string): Target {
  const where = source === 'built-in' ? 'built-in target' : source;
  if (typeof raw !== 'object' || raw === null) throw new TargetError(`${where}: not a JSON object`);
  const t = raw as Record<string, unknown>;
  for (const key of ['name', 'arch', 'node'] as const) {
    if (typeof t[key] !== 'string') throw new TargetError(`${where}: "${key}" must be a string`);
  }
  if (!Array.isArray(t.execArgv) || !t.execArgv.every((a) => typeof a === 'string')) throw new TargetError(`${where}: "execArgv" must be a list of strings`);
  const b = t.budgets as Record<string, unknown> | undefined;
  if (typeof b !== 'object' || b === null) throw new TargetError(`${where}: "budgets" missing`);
  for (const key of ['imageMiB', 'hardLimitMiB', 'idleAnonRssMiB', 'peakAnonRssMiB', 'pageKiB', 'pageGzipKiB'] as const) {
    if (typeof b[key] !== 'number' || !(b[key] > 0)) throw new TargetError(`${where}: "budgets.${key}" must be a positive number of ${key.startsWith('page') ? 'KiB' : 'MiB'}`);
  }
  return {
    name: t.name as string, description: typeof t.description === 'string' ? t.description : '', arch: t.arch as string, node: t.node as string,
    execArgv: t.execArgv as string[], budgets: b as unknown as TargetBudgets, source,
  };
}

export function builtInTargets(): Target[] {
  return BUILT_IN.map((raw) => validateTarget(raw, 'built-in'));
}

/** The built-in target of this machine's architecture (the x64 image measures memory; qemu reports none). */
export function defaultTargetName(arch: string = process.arch): string {
  return arch === 'arm64' ? 'linux-arm64' : 'linux-x64';
}

/** A built-in target by name, or a target file by path; the default is this machine's architecture's. */
export function loadTarget(spec: string | undefined): Target {
  const name = spec ?? defaultTargetName();
  const builtIn = builtInTargets().find((t) => t.name === name);
  if (builtIn) return builtIn;
  const file = resolve(name);
  if (!existsSync(file)) {
    throw new TargetError(`--target ${name}: neither a built-in target (${builtInTargets().map((t) => t.name).join(', ')}) nor an existing file`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TargetError(`--target ${file}: not readable JSON (${(err as Error).message})`);
  }
  return validateTarget(raw, file);
}
