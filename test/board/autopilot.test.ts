// Autopilot's policy on its own: scripted observations in, at most one change out.
import t from 'tap';
import {
  AutopilotTracker, assess, defaultAutopilotSettings, spreadGap,
  type AutopilotObservation, type AutopilotSettings, type MemberObservation,
} from '../../src/board/autopilot.ts';

const s: AutopilotSettings = { ...defaultAutopilotSettings, stabilisationMs: 10_000, deadVoterMs: 30_000, removeAfterMs: 3_600_000 };

interface Board { id: string; domain: string | null; up: boolean; lag?: number; heardAgo?: number; superseded?: boolean }

/** A small installation the test drives: boards, a configuration, a clock; changes are applied at once. */
class Installation {
  now = 0;
  readonly tracker: AutopilotTracker;
  readonly changes: string[] = [];
  /** When each board was last heard (for lastContactMs). */
  private readonly heard = new Map<string, number>();
  constructor(readonly boards: Board[], public voters: string[], public externals: string[], readonly settings = s) {
    this.tracker = new AutopilotTracker(0);
  }
  board(id: string): Board {
    return this.boards.find((b) => b.id === id)!;
  }
  observation(): AutopilotObservation {
    const members: MemberObservation[] = [...this.voters, ...this.externals].map((id) => {
      const b = this.board(id);
      if (b.up) this.heard.set(id, this.now - (b.heardAgo ?? 0));
      const h = this.heard.get(id);
      return { id, domain: b.domain, lastContactMs: h === undefined ? null : this.now - h, lagEntries: b.lag ?? 0, ...(b.superseded ? { superseded: true } : {}) };
    });
    return { now: this.now, self: this.voters[0]!, voters: this.voters, externals: this.externals, changePending: false, members };
  }
  /** One round every second for `ms`, applying each chosen change. */
  run(ms: number): void {
    for (const end = this.now + ms; this.now < end; this.now += 1000) {
      const a = assess(this.observation(), this.settings, this.tracker);
      if (a.change === null) continue;
      const { action, member } = a.change;
      const other = a.change.with;
      this.changes.push(`${this.now / 1000}s ${action} ${member}${other ? ` ${other}` : ''}`);
      if (action === 'promote') {
        const up = [member, ...(other ? [other] : [])];
        this.externals = this.externals.filter((x) => !up.includes(x));
        this.voters = [...this.voters, ...up];
      } else if (action === 'swap') {
        this.externals = [...this.externals.filter((x) => x !== other), member];
        this.voters = [...this.voters.filter((x) => x !== member), other!];
      } else {
        this.voters = this.voters.filter((x) => x !== member);
        this.externals = this.externals.filter((x) => x !== member);
        if (action === 'demote') this.externals = [...this.externals, member];
      }
    }
  }
  domainsOfVoters(): (string | null)[] {
    return this.voters.map((v) => this.board(v).domain);
  }
}

function fiveAndFour(): Installation {
  const boards: Board[] = [
    { id: 'v1', domain: 'A', up: true }, { id: 'v2', domain: 'A', up: true }, { id: 'v3', domain: 'A', up: true },
    { id: 'v4', domain: 'B', up: true }, { id: 'v5', domain: 'B', up: true },
    { id: 'e1', domain: 'A', up: true }, { id: 'e2', domain: 'A', up: true }, { id: 'e3', domain: 'B', up: true }, { id: 'e4', domain: 'B', up: true },
  ];
  return new Installation(boards, ['v1', 'v2', 'v3', 'v4', 'v5'], ['e1', 'e2', 'e3', 'e4']);
}

t.test('two dead voters are replaced: each promotion comes before the demotion, domains stay spread', async (t) => {
  const i = fiveAndFour();
  i.run(20_000);
  t.same(i.changes, [], 'a healthy installation is left alone');
  i.board('v4').up = false;
  i.board('v5').up = false;
  i.run(29_000);
  t.same(i.changes, [], 'nothing before the dead-voter time');
  i.run(10_000);
  t.same(i.changes.map((c) => c.split(' ').slice(1).join(' ')), ['swap v4 e3', 'swap v5 e4'], 'each dead voter swaps its seat with a B board in one joint change');
  t.equal(i.voters.length, 5);
  t.equal(spreadGap(i.domainsOfVoters(), ['A', 'A']), 0, 'B keeps two voters');
  t.same(i.domainsOfVoters().filter((d) => d === 'B').length, 2);
  // The dead boards return as external boards: nothing more changes.
  const before = i.changes.length;
  i.board('v4').up = true;
  i.board('v5').up = true;
  i.run(60_000);
  t.equal(i.changes.length, before, 'returning boards cause no churn');
});

t.test('no change without a quorum of healthy voters', async (t) => {
  const i = fiveAndFour();
  i.run(11_000);
  for (const v of ['v2', 'v3', 'v4']) i.board(v).up = false;
  i.run(120_000);
  t.same(i.changes, []);
  const a = assess(i.observation(), s, i.tracker);
  t.match(a.waiting, /only 2 of 5 voters are healthy/);
});

t.test('a board must be stable and caught up to be promoted', async (t) => {
  const boards: Board[] = [{ id: 'v1', domain: null, up: true }, { id: 'e1', domain: null, up: true, lag: 5000 }, { id: 'e2', domain: null, up: true }];
  const i = new Installation(boards, ['v1'], ['e1', 'e2']);
  i.run(9_000);
  t.same(i.changes, [], 'nothing before the stabilisation time');
  i.run(5_000);
  t.same(i.changes, [], 'one eligible board makes two, still one voter wanted (odd)');
  i.board('e1').lag = 10;
  i.run(2_000);
  t.same(i.changes.map((c) => c.split(' ').slice(1).join(' ')), ['promote e2 e1'], '1 → 3 voters in one joint change once e1 caught up');
});

t.test('voters grow 1 → 3 → 5 as boards appear', async (t) => {
  const boards: Board[] = Array.from({ length: 6 }, (_, k) => ({ id: `b${k}`, domain: null, up: true }));
  const i = new Installation(boards, ['b0'], ['b1']);
  i.run(20_000);
  t.same(i.voters, ['b0']);
  i.externals.push('b2');
  i.run(12_000);
  t.equal(i.voters.length, 3);
  i.externals.push('b3');
  i.run(12_000);
  t.equal(i.voters.length, 3, 'four boards: still three voters');
  i.externals.push('b4', 'b5');
  i.run(12_000);
  t.equal(i.voters.length, 5, 'six boards: five voters, never more');
});

t.test('a flapping voter or board causes no churn', async (t) => {
  const i = fiveAndFour();
  i.run(11_000);
  for (let k = 0; k < 20; k++) {
    i.board('v5').up = k % 2 === 0;
    i.board('e1').up = k % 2 === 0;
    i.run(k % 2 === 0 ? 8_000 : 20_000);
  }
  t.same(i.changes, []);
});

t.test('a superseded voter entry is replaced at once, then removed', async (t) => {
  const i = fiveAndFour();
  i.run(11_000);
  i.board('v2').up = false;
  i.board('v2').superseded = true;
  i.run(3_000);
  t.same(i.changes.map((c) => c.split(' ').slice(1).join(' ')), ['swap v2 e1', 'remove v2']);
});

t.test('the spread over domains is restored once boards return, one change at a time', async (t) => {
  const boards: Board[] = [
    { id: 'v1', domain: 'A', up: true }, { id: 'v2', domain: 'A', up: true }, { id: 'v3', domain: 'A', up: true },
    { id: 'v4', domain: 'A', up: true }, { id: 'v5', domain: 'A', up: true },
    { id: 'e1', domain: 'B', up: false }, { id: 'e2', domain: 'B', up: false },
  ];
  const i = new Installation(boards, ['v1', 'v2', 'v3', 'v4', 'v5'], ['e1', 'e2']);
  i.run(30_000);
  t.same(i.changes, []);
  i.board('e1').up = true;
  i.board('e2').up = true;
  i.run(30_000);
  t.same(i.changes.map((c) => c.split(' ').slice(1).join(' ')), ['promote e1', 'demote v5', 'promote e2', 'demote v4']);
  t.equal(i.domainsOfVoters().filter((d) => d === 'B').length, 2);
  t.equal(spreadGap(i.domainsOfVoters(), ['A', 'A']), 0);
  const n = i.changes.length;
  i.run(60_000);
  t.equal(i.changes.length, n, 'and then it stays');
});

t.test('a voter that is unhealthy but not dead blocks spreading', async (t) => {
  const boards: Board[] = [
    { id: 'v1', domain: 'A', up: true }, { id: 'v2', domain: 'A', up: true }, { id: 'v3', domain: 'A', up: true, lag: 9999 },
    { id: 'e1', domain: 'B', up: true },
  ];
  const i = new Installation(boards, ['v1', 'v2', 'v3'], ['e1']);
  i.run(30_000);
  t.same(i.changes, []);
});

t.test('externals silent for the remove-after time are removed; never with removeAfterMs null', async (t) => {
  const mk = (removeAfterMs: number | null): Installation => {
    const i = fiveAndFour();
    return new Installation(i.boards, i.voters, i.externals, { ...s, removeAfterMs });
  };
  const i = mk(120_000);
  i.board('e4').up = false;
  i.run(125_000);
  t.same(i.changes.map((c) => c.split(' ').slice(1).join(' ')), ['remove e4']);
  const j = mk(null);
  j.board('e4').up = false;
  j.run(300_000);
  t.same(j.changes, []);
});

t.test('off means off', async (t) => {
  const i = new Installation(fiveAndFour().boards, ['v1', 'v2', 'v3', 'v4', 'v5'], ['e1'], { ...s, enabled: false });
  i.board('v5').up = false;
  i.run(100_000);
  t.same(i.changes, []);
});

t.test('a new leader decides only from what it observed itself', async (t) => {
  const i = fiveAndFour();
  i.board('v5').up = false;
  // The new leader never heard from v5: it waits the whole dead-voter time from its own start.
  i.run(29_000);
  t.same(i.changes, []);
  i.run(2_000);
  t.match(i.changes[0] ?? '', /swap v5 e3/);
});
