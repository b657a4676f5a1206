// The simulation's state machine: one integer register with exactly-once client sessions.

export type RegisterOp =
  | { readonly kind: 'write'; readonly value: number }
  | { readonly kind: 'cas'; readonly expect: number; readonly value: number }
  | { readonly kind: 'read' };

export interface Command {
  readonly client: number;
  readonly seq: number;
  readonly op: RegisterOp;
}

export type OpResult = { readonly ok: boolean; readonly value?: number };

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeCommand(c: Command): Uint8Array {
  return enc.encode(JSON.stringify(c));
}

export function decodeCommand(data: Uint8Array): Command {
  return JSON.parse(dec.decode(data)) as Command;
}

/** The register plus, per client, the last sequence number applied and its result (retries are exactly-once). */
export class RegisterMachine {
  value = 0;
  private sessions = new Map<number, { seq: number; result: OpResult }>();

  /** Apply a command; a repeat of the last one returns the cached result, an older one returns undefined. */
  apply(c: Command): OpResult | undefined {
    const s = this.sessions.get(c.client);
    if (s && c.seq < s.seq) return undefined;
    if (s && c.seq === s.seq) return s.result;
    let result: OpResult;
    switch (c.op.kind) {
      case 'write':
        this.value = c.op.value;
        result = { ok: true };
        break;
      case 'cas':
        if (this.value === c.op.expect) {
          this.value = c.op.value;
          result = { ok: true };
        } else result = { ok: false };
        break;
      case 'read':
        result = { ok: true, value: this.value };
        break;
    }
    this.sessions.set(c.client, { seq: c.seq, result });
    return result;
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify({ value: this.value, sessions: [...this.sessions] }));
  }

  static restore(data: Uint8Array): RegisterMachine {
    const m = new RegisterMachine();
    if (data.byteLength === 0) return m;
    const o = JSON.parse(dec.decode(data)) as { value: number; sessions: [number, { seq: number; result: OpResult }][] };
    m.value = o.value;
    m.sessions = new Map(o.sessions);
    return m;
  }
}
