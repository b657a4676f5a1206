// Read contexts: the name a linearizable read travels under, to the leader and
// back. They must be unique across boards and across restarts of one board (a
// context reused after a restart could pick up the answer to an older read,
// delayed on the wire, and serve a stale value): board id + an incarnation
// drawn at random when the board starts + a counter.
import { randomBytes } from 'node:crypto';

export interface ReadContextSource {
  next(): { context: Uint8Array; key: string };
}

export class ReadContexts implements ReadContextSource {
  private seq = 0;
  private readonly prefix: string;

  /** `incarnation`: random per start (the simulation passes one from its seed). */
  constructor(board: string, incarnation: string = randomBytes(8).toString('hex')) {
    this.prefix = `${board}:${incarnation}:`;
  }

  next(): { context: Uint8Array; key: string } {
    const key = `${this.prefix}${++this.seq}`;
    return { context: new TextEncoder().encode(key), key };
  }
}
