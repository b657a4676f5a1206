// How a (pre-)candidate handles messages: count votes, yield to a leader of its term.
import type { Message } from './types.ts';
import type { Raft } from './raft.ts';
import { handleAppend, handleHeartbeat, handleSnapshot } from './follower.ts';

export function stepCandidate(r: Raft, m: Message): void {
  switch (m.type) {
    case 'append':
      // Raft §5.2: a candidate that hears from a leader of its term returns to follower.
      r.becomeFollower(m.term, m.from);
      handleAppend(r, m);
      break;
    case 'heartbeat':
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      break;
    case 'snapshot':
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      break;
    case 'vote-response':
    case 'pre-vote-response': {
      const mine = r.role === 'pre-candidate' ? 'pre-vote-response' : 'vote-response';
      if (m.type !== mine) break;
      const result = r.poll(m.from, !m.reject);
      if (result === 'won') {
        if (r.role === 'pre-candidate') r.campaign('election');
        else {
          r.becomeLeader();
          r.flushBroadcast();
        }
      } else if (result === 'lost') {
        r.becomeFollower(r.term, null);
      }
      break;
    }
    default:
      // Proposals, reads and transfers have nowhere to go without a leader.
      break;
  }
}
