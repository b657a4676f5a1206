// A broken safety property found by the simulation (see board-checker.ts for the checks),
// and what the checkers share.
import type { Entry } from '../../src/raft/types.ts';

export class SafetyViolation extends Error {
  constructor(readonly property: string, detail: string) {
    super(`${property}: ${detail}`);
    this.name = 'SafetyViolation';
  }
}

/** An entry's identity for the safety checks: its kind and its bytes. */
export function dataKey(e: Entry): string {
  let s = e.type === 'conf-change' ? 'c' : 'n';
  for (let i = 0; i < e.data.length; i++) s += String.fromCharCode(e.data[i] as number);
  return s;
}
