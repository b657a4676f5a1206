// A bounded FIFO on a ring of slots: push and shift are O(1) (no Array.shift()
// moving every element), the slots grow by doubling up to the cap and never
// shrink, so a queue that stays short keeps a short array.

export class Ring<T> {
  private slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  /** `cap`: most items held at once; `initialSlots`: slots allocated up front. */
  constructor(readonly cap: number, initialSlots = 16) {
    if (!Number.isSafeInteger(cap) || cap < 1) throw new RangeError(`ring cap must be a positive integer (got ${cap})`);
    this.slots = new Array<T | undefined>(Math.min(cap, Math.max(1, initialSlots)));
  }

  get length(): number {
    return this.count;
  }

  /** Appends; false (nothing kept) when the ring holds `cap` items. */
  push(item: T): boolean {
    if (this.count >= this.cap) return false;
    if (this.count === this.slots.length) this.grow();
    this.slots[(this.head + this.count) % this.slots.length] = item;
    this.count++;
    return true;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined; // the ring never keeps what it handed out alive
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    return item;
  }

  /** Drops every item (the slots stay allocated). */
  clear(): void {
    for (let i = 0; i < this.count; i++) this.slots[(this.head + i) % this.slots.length] = undefined;
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const size = Math.min(this.cap, this.slots.length * 2);
    const next = new Array<T | undefined>(size);
    for (let i = 0; i < this.count; i++) next[i] = this.slots[(this.head + i) % this.slots.length];
    this.slots = next;
    this.head = 0;
  }
}
