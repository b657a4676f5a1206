// What this board saw happen to the installation, newest last: leader changes, membership
// changes and health changes of members. Bounded; wall-clock times (for people).

/** Entries kept. */
export const TIMELINE_CAPACITY = 200;

export type TimelineKind = 'leader' | 'membership' | 'health';

export interface TimelineEntry {
  /** Milliseconds since the epoch, this board's wall clock. */
  readonly at: number;
  readonly kind: TimelineKind;
  readonly text: string;
}

export class Timeline {
  private readonly list: TimelineEntry[] = [];
  private readonly listeners = new Set<(e: TimelineEntry) => void>();

  add(kind: TimelineKind, text: string): void {
    const entry = { at: Date.now(), kind, text };
    if (this.list.length >= TIMELINE_CAPACITY) this.list.shift(); // 200 elements at most
    this.list.push(entry);
    for (const l of this.listeners) l(entry);
  }

  entries(): readonly TimelineEntry[] {
    return this.list;
  }

  subscribe(listener: (e: TimelineEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
