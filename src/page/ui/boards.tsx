// The installation at a glance: a summary line, then one tile per board, problems first,
// with a filter and a sort. Pressing a tile highlights that board in the plots.
import { useState } from 'preact/hooks';
import { ago, duration, mib, ms, percent, plural } from './format.ts';
import type { Store } from './store.ts';
import type { Health, Installation, Member } from './types.ts';

type SortKey = 'problems' | 'id' | 'memory' | 'cpu' | 'lag';
type RoleFilter = 'all' | 'voter' | 'external';

const HEALTH_ORDER: Record<Health, number> = { down: 0, degraded: 1, unknown: 2, ok: 3 };
const HEALTH_TEXT: Record<Health, string> = { ok: 'healthy', degraded: 'degraded', down: 'down', unknown: 'unknown' };
/** A view older than this is shown as stale. */
export const STALE_VIEW_MS = 3_000;

function compare(key: SortKey, leader: string): (a: Member, b: Member) => number {
  return (a, b) => {
    switch (key) {
      case 'problems': {
        const h = HEALTH_ORDER[a.health] - HEALTH_ORDER[b.health];
        if (h !== 0) return h;
        if ((a.id === leader) !== (b.id === leader)) return a.id === leader ? -1 : 1;
        if (a.role !== b.role) return a.role === 'voter' ? -1 : 1;
        return a.id.localeCompare(b.id, undefined, { numeric: true });
      }
      case 'memory':
        return (b.anonBytes ?? -1) - (a.anonBytes ?? -1);
      case 'cpu':
        return (b.cpu ?? -1) - (a.cpu ?? -1);
      case 'lag':
        return (b.lagEntries ?? -1) - (a.lagEntries ?? -1);
      default:
        return a.id.localeCompare(b.id, undefined, { numeric: true });
    }
  };
}

export function summarize(inst: Installation): Record<Health, number> {
  const counts: Record<Health, number> = { ok: 0, degraded: 0, down: 0, unknown: 0 };
  for (const m of inst.members) counts[m.health]++;
  return counts;
}

export function Boards({ store, now }: { store: Store; now: number }) {
  const [filter, setFilter] = useState('');
  const [role, setRole] = useState<RoleFilter>('all');
  const [sort, setSort] = useState<SortKey>('problems');
  const inst = store.installation;
  const local = store.board;
  if (inst === null) {
    return (
      <section id="installation" aria-labelledby="installation-h">
        <h2 id="installation-h">Installation</h2>
        <p class="notice" role="status">
          {local?.leader
            ? `Waiting for the installation view from the leader ${local.leader}…`
            : 'No leader right now: this board cannot see the whole installation until one is elected.'}
        </p>
      </section>
    );
  }
  const age = now - store.installationAt;
  const counts = summarize(inst);
  const leaderChanged = local !== null && local.leader !== null && local.leader !== inst.leader && local.term > inst.term;
  const shown = inst.members
    .filter((m) => role === 'all' || m.role === role)
    .filter((m) => filter === '' || m.id.toLowerCase().includes(filter.toLowerCase()) || (m.domain ?? '').toLowerCase().includes(filter.toLowerCase()))
    .sort(compare(sort, inst.leader));
  const toggle = (id: string): void => {
    if (store.selectedBoards.has(id)) store.selectedBoards.delete(id);
    else store.selectedBoards.add(id);
    store.changed();
  };
  return (
    <section id="installation" aria-labelledby="installation-h">
      <h2 id="installation-h">Installation</h2>
      <p class="summary" role="status" aria-live="polite">
        <strong>{plural(inst.members.length, 'board')}</strong>
        {' · '}<span class="h-ok">{counts.ok} healthy</span>
        {counts.degraded > 0 && <>{' · '}<span class="h-degraded">{counts.degraded} degraded</span></>}
        {counts.down > 0 && <>{' · '}<span class="h-down">{counts.down} down</span></>}
        {counts.unknown > 0 && <>{' · '}<span class="h-unknown">{counts.unknown} unknown</span></>}
        {' · leader '}<strong data-testid="leader">{leaderChanged ? local!.leader : inst.leader}</strong>
        {` (term ${leaderChanged ? local!.term : inst.term})`}
      </p>
      {(age > STALE_VIEW_MS || leaderChanged) && (
        <p class="notice" role="status">
          {leaderChanged
            ? `Leadership moved to ${local!.leader}; waiting for its view of the installation.`
            : `No fresh view from the leader for ${Math.round(age / 1000)} s: showing what this board last heard.`}
        </p>
      )}
      <div class="controls">
        <label>Filter boards <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} placeholder="id or domain" /></label>
        <label>Role
          <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as RoleFilter)}>
            <option value="all">all</option>
            <option value="voter">voters</option>
            <option value="external">external boards</option>
          </select>
        </label>
        <label>Sort
          <select value={sort} onChange={(e) => setSort((e.target as HTMLSelectElement).value as SortKey)}>
            <option value="problems">problems first</option>
            <option value="id">id</option>
            <option value="memory">memory</option>
            <option value="cpu">CPU</option>
            <option value="lag">lag</option>
          </select>
        </label>
      </div>
      <ul class="tiles" aria-label="Boards">
        {shown.map((m) => (
          <Tile key={m.id} m={m} leader={inst.leader} ageMs={age} selected={store.selectedBoards.has(m.id)} onToggle={toggle} />
        ))}
      </ul>
      {shown.length === 0 && <p class="notice">No board matches the filter.</p>}
    </section>
  );
}

function Tile({ m, leader, ageMs, selected, onToggle }: { m: Member; leader: string; ageMs: number; selected: boolean; onToggle: (id: string) => void }) {
  const isLeader = m.id === leader;
  const roleText = isLeader ? 'leader' : m.role === 'voter' ? 'voter' : m.role === 'external' ? 'external' : m.role;
  const label = `${m.id}, ${roleText}, ${HEALTH_TEXT[m.health]}${m.reason ? `: ${m.reason}` : ''}`;
  return (
    <li class={`tile h-${m.health}${selected ? ' selected' : ''}`} data-board={m.id} data-health={m.health} data-role={roleText}>
      <button
        type="button" aria-pressed={selected} onClick={() => onToggle(m.id)}
        aria-label={`${label}; memory ${mib(m.anonBytes)} anonymous, CPU ${percent(m.cpu)}, lag ${m.lagEntries ?? 'unknown'}. Highlight in plots`}
      >
        <span class="tile-head">
          <span class="tile-id">{m.id}</span>
          <span class={`badge role-${roleText}`}>{roleText}</span>
        </span>
        <span class="tile-health"><span class="dot" aria-hidden="true" />{HEALTH_TEXT[m.health]}{m.reason && m.reason !== 'leader' ? `: ${m.reason}` : ''}</span>
        <span class="tile-figures">
          <span title="resident memory: anonymous + file-backed">{mib(m.anonBytes)} <small>+ {mib(m.fileBytes)} file</small></span>
          <span>CPU {percent(m.cpu)} · lag {m.lagEntries === null ? '–' : m.lagEntries}</span>
          <span>
            {isLeader ? 'the leader' : `heard ${ago(m.lastContactMs === null ? null : m.lastContactMs + ageMs)}`}
            {m.propagationMs !== null && <span title="applied this long after the leader committed it"> · +{ms(m.propagationMs)}</span>}
          </span>
          {m.domain && <span>domain {m.domain}</span>}
          <span class="muted">up {duration(m.uptimeS)}{m.version ? ` · v${m.version}` : ''}</span>
        </span>
      </button>
    </li>
  );
}
