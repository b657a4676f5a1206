// Publishes the applied configuration on this board's own broker, for any
// MQTT client to watch:
//   raftlight/<cluster>/state/<kind>/<id>   retained: {kind,id,revision,value}; empty payload = deleted
//   raftlight/<cluster>/events              every applied change: {revision,requestId,changes:[...]}
//   raftlight/<cluster>/status/<board>      retained board status
//   raftlight/<cluster>/autopilot           the leader's autopilot decisions, each with its reason
// The broker's retained store holds one message per object (bounded by the
// installation's size); `published` mirrors its keys so a snapshot install
// can clear the objects that no longer exist.
import type { Aedes } from 'aedes';
import { OBJECT_KINDS, type ObjectKind } from '../model/index.ts';
import type { StateMachine } from '../state/index.ts';
import type { Change } from '../state/results.ts';
import type { Logger } from './log.ts';
import { Ring } from './ring.ts';

/** Publishes waiting for the broker; past this the queue is dropped and the state republished. */
export const MAX_QUEUED_PUBLISHES = 20_000;

export class StatePublisher {
  private readonly published = new Set<string>();
  private readonly queue = new Ring<{ topic: string; payload: Buffer; retain: boolean }>(MAX_QUEUED_PUBLISHES);
  private sending = false;
  /**
   * The batch being applied: the last change per object and every command's
   * event, published together once the batch is done. Bounded by one Ready's
   * committed entries (maxCommittedSizePerReady) and emptied after it.
   */
  private readonly staged = new Map<string, Change>();
  private readonly stagedEvents: { revision: number; requestId: string | null; changes: readonly Change[] }[] = [];
  private flushQueued = false;
  private overflowed = false;
  /** The state machine to republish from after an overflow. */
  private state: StateMachine | undefined;

  constructor(
    private readonly aedes: Aedes,
    private readonly cluster: string,
    private readonly log: Logger,
  ) {}

  topic(kind: ObjectKind, id: string): string {
    return `raftlight/${this.cluster}/state/${kind}/${id}`;
  }

  /**
   * Publishes go out one at a time: aedes stores a retained message before it
   * forwards it, and its per-client de-duplication drops a packet that arrives
   * after a newer one, so overlapping publishes would lose state updates.
   */
  private publish(topic: string, payload: string | Buffer, retain: boolean): void {
    if (this.aedes.closed) return;
    if (this.queue.length >= MAX_QUEUED_PUBLISHES) {
      // Falling this far behind means a burst larger than the cap: start over from the state.
      this.queue.clear();
      this.overflowed = true;
      this.log.warn('publish queue full: retained state will be republished', { cap: MAX_QUEUED_PUBLISHES });
    }
    this.queue.push({ topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, retain });
    if (!this.sending) this.next();
  }

  private next(): void {
    const item = this.queue.shift();
    if (item === undefined || this.aedes.closed) {
      this.sending = false;
      if (this.overflowed && this.state !== undefined) {
        this.overflowed = false;
        this.resync(this.state);
      }
      return;
    }
    this.sending = true;
    this.aedes.publish({ cmd: 'publish', topic: item.topic, payload: item.payload, qos: 0, retain: item.retain, dup: false }, (err) => {
      if (err) this.log.warn('publish failed', { topic: item.topic, err });
      this.next();
    });
  }

  /**
   * One applied command's changes. Staged until the batch of entries being
   * applied is done (a microtask: the Ready loop applies a batch without
   * yielding), then published: each changed object's retained state once, with
   * its last value of the batch, and each command's event, in order. A board
   * catching up on many entries over few objects publishes once per object.
   */
  changes(revision: number, requestId: string | null, changes: readonly Change[]): void {
    if (changes.length === 0) return;
    for (const c of changes) {
      const key = `${c.kind}/${c.id}`;
      // Re-inserted: the object goes out in the order of its last change.
      this.staged.delete(key);
      this.staged.set(key, c);
      if (c.value === null) this.published.delete(key);
      else this.published.add(key);
    }
    this.stagedEvents.push({ revision, requestId, changes });
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Publishes what the batch staged: retained states, then events. */
  private flush(): void {
    this.flushQueued = false;
    for (const c of this.staged.values()) {
      if (c.value === null) this.publish(this.topic(c.kind, c.id), Buffer.alloc(0), true);
      else this.publish(this.topic(c.kind, c.id), JSON.stringify({ kind: c.kind, id: c.id, revision: c.revision, value: c.value }), true);
    }
    this.staged.clear();
    for (const e of this.stagedEvents) {
      this.publish(`raftlight/${this.cluster}/events`, JSON.stringify({
        revision: e.revision, requestId: e.requestId, changes: e.changes.map((c) => ({ kind: c.kind, id: c.id, op: c.op, revision: c.revision })),
      }), false);
    }
    this.stagedEvents.length = 0;
  }

  /** Publishes every object (start-up, snapshot install) and clears the ones that are gone. */
  resync(state: StateMachine): void {
    this.state = state;
    const seen = new Set<string>();
    for (const kind of OBJECT_KINDS) {
      let after: string | undefined;
      for (;;) {
        const page = state.list(kind, { limit: 1000, ...(after === undefined ? {} : { after }) });
        for (const o of page.items) {
          const key = `${kind}/${o.id}`;
          seen.add(key);
          this.publish(this.topic(kind, o.id), JSON.stringify({ kind, id: o.id, revision: o.revision, value: o.value }), true);
        }
        if (page.next === null) break;
        after = page.next;
      }
    }
    for (const key of this.published) {
      if (!seen.has(key)) {
        const [kind, id] = key.split('/') as [ObjectKind, string];
        this.publish(this.topic(kind, id), Buffer.alloc(0), true);
      }
    }
    this.published.clear();
    for (const key of seen) this.published.add(key);
  }

  /** One autopilot decision: raftlight/<cluster>/autopilot (an event, not retained). */
  autopilot(decision: object): void {
    this.publish(`raftlight/${this.cluster}/autopilot`, JSON.stringify(decision), false);
  }

  status(board: string, status: Record<string, unknown>): void {
    this.publish(`raftlight/${this.cluster}/status/${board}`, JSON.stringify(status), true);
  }
}
