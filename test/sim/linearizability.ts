// A Wing & Gong / Lowe style linearizability checker for a single register history.
import type { OpResult, RegisterOp } from './register.ts';

export interface HistoryOp {
  readonly client: number;
  readonly op: RegisterOp;
  readonly call: number;
  /** Completion time; undefined when the client never heard back (the op may or may not have happened). */
  readonly ret: number | undefined;
  readonly result: OpResult | undefined;
}

interface Event {
  readonly kind: 'call' | 'ret';
  readonly id: number;
  readonly time: number;
}

function applyOp(value: number, op: RegisterOp): { value: number; result: OpResult } {
  switch (op.kind) {
    case 'write':
      return { value: op.value, result: { ok: true } };
    case 'cas':
      return value === op.expect ? { value: op.value, result: { ok: true } } : { value, result: { ok: false } };
    case 'read':
      return { value, result: { ok: true, value } };
  }
}

function sameResult(a: OpResult, b: OpResult): boolean {
  return a.ok === b.ok && a.value === b.value;
}

/**
 * Is there a total order of the operations, consistent with real time, in
 * which every completed operation returns what it returned? Pending
 * operations may be placed anywhere after their call, or left out.
 * Returns true or a short explanation.
 */
export function checkLinearizable(history: readonly HistoryOp[], initial = 0, maxStates = 2_000_000): true | string {
  const events: Event[] = [];
  history.forEach((h, id) => {
    events.push({ kind: 'call', id, time: h.call });
    if (h.ret !== undefined) events.push({ kind: 'ret', id, time: h.ret });
  });
  // Returns before calls at equal times: an op that returned at t precedes one called at t.
  events.sort((a, b) => a.time - b.time || (a.kind === b.kind ? a.id - b.id : a.kind === 'ret' ? -1 : 1));

  const n = history.length;
  const done = new Uint8Array(n);
  const seen = new Set<string>();
  let states = 0;

  // Depth-first search over "which ops are linearized" + register value.
  const search = (value: number, remaining: number): boolean => {
    if (remaining === 0) return true;
    const key = `${value}|${done.join('')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (++states > maxStates) throw new Error('linearizability search too large');
    // Candidates: ops called before the earliest return of a not-yet-linearized completed op.
    for (const ev of events) {
      if (ev.kind === 'ret' && !done[ev.id]) break;
      if (ev.kind !== 'call' || done[ev.id]) continue;
      const h = history[ev.id] as HistoryOp;
      const next = applyOp(value, h.op);
      if (h.result !== undefined && !sameResult(next.result, h.result)) continue;
      done[ev.id] = 1;
      const ok = search(next.value, remaining - (h.ret !== undefined ? 1 : 0));
      done[ev.id] = 0;
      if (ok) return true;
    }
    return false;
  };
  const completed = history.filter((h) => h.ret !== undefined).length;
  return search(initial, completed) ? true : `no linearization of ${n} operations (${completed} completed)`;
}
