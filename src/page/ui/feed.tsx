// Live changes as they commit on this board, and the timeline of leader, membership and
// health changes this board saw.
import { ago, clock } from './format.ts';
import type { Store } from './store.ts';

const OP_TEXT = { create: 'created', update: 'updated', delete: 'deleted' } as const;

export function LiveChanges({ store, now }: { store: Store; now: number }) {
  return (
    <section id="changes" aria-labelledby="changes-h">
      <h2 id="changes-h">Live changes</h2>
      <ol class="feed" aria-live="polite" aria-relevant="additions">
        {store.feed.map((f) => (
          <li key={`${f.revision}-${f.kind}-${f.id}`} data-revision={f.revision} data-kind={f.kind} data-id={f.id}>
            <span class="rev">rev {f.revision}</span>{' '}
            <button
              type="button" class="link"
              onClick={() => {
                store.selectedObject = { kind: f.kind, id: f.id };
                store.changed();
                document.getElementById('configuration')?.scrollIntoView();
              }}
            >
              {f.kind} {f.id}
            </button>{' '}
            {OP_TEXT[f.op]}
            {f.at > 0 && <span class="muted"> · {ago(now - f.at)}</span>}
          </li>
        ))}
        {store.feed.length === 0 && <li class="muted">No changes yet.</li>}
      </ol>
    </section>
  );
}

export function TimelineView({ store, now }: { store: Store; now: number }) {
  const entries = [...store.timeline].reverse();
  return (
    <section id="timeline" aria-labelledby="timeline-h">
      <h2 id="timeline-h">Timeline</h2>
      <ol class="timeline">
        {entries.map((e, i) => (
          <li key={`${e.at}-${i}`} class={`t-${e.kind}`}>
            <time dateTime={new Date(e.at).toISOString()} title={clock(e.at)}>{ago(now - e.at)}</time> {e.text}
          </li>
        ))}
        {entries.length === 0 && <li class="muted">Nothing happened since this board started.</li>}
      </ol>
    </section>
  );
}
