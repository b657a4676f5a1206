// Which member credential each board id must prove on this board's broker: the
// replicated state's list once it has one; before that (a board that joined and
// waits for its first snapshot), the list the join answer gave.
import type { StateMachine } from '../state/index.ts';
import { readJoinTrust, writeJoinTrust } from './credentials-file.ts';

export class MemberDirectory {
  private fromState = new Map<string, string>();
  private voterSince = new Map<string, number>();
  private trust: Map<string, string>;

  constructor(private readonly dataDir: string) {
    this.trust = readJoinTrust(dataDir);
  }

  /** Rereads the state's credentials (after a configuration change or a snapshot). */
  refresh(state: StateMachine): void {
    const next = new Map<string, string>();
    const since = new Map<string, number>();
    for (const c of state.credentials()) {
      next.set(c.id, c.verifier);
      if (c.voterSince !== null) since.set(c.id, c.voterSince);
    }
    this.fromState = next;
    this.voterSince = since;
  }

  /** A join answer's member list: kept on disk until the state carries credentials. */
  trustJoinAnswer(verifiers: ReadonlyMap<string, string>): void {
    this.trust = new Map(verifiers);
    writeJoinTrust(this.dataDir, this.trust);
  }

  /** A join answer was received (this board was admitted, maybe before its first start). */
  admitted(): boolean {
    return this.trust.size > 0;
  }

  verifierOf(id: string): string | undefined {
    return this.fromState.size > 0 ? this.fromState.get(id) : this.trust.get(id);
  }

  /** Index at which each current voter became one (longest-serving first when sorted). */
  voterTenure(): ReadonlyMap<string, number> {
    return this.voterSince;
  }
}
