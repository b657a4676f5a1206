// The configuration as this board holds it: areas → devices → zones, scenes with their
// levels, keypad buttons; search by name or id; an object's revision and its recent history.
import { useState } from 'preact/hooks';
import { objectName } from './config-data.ts';
import { plural } from './format.ts';
import type { Store } from './store.ts';
import type { ObjectKind, StoredObject } from './types.ts';

const str = (o: StoredObject, field: string): string | null => {
  const v = o.value[field];
  return typeof v === 'string' ? v : null;
};

function matches(o: StoredObject, q: string): boolean {
  if (q === '') return true;
  const name = str(o, 'name') ?? '';
  return o.id.toLowerCase().includes(q) || name.toLowerCase().includes(q);
}

function ObjectButton({ store, o }: { store: Store; o: StoredObject }) {
  const selected = store.selectedObject?.kind === o.kind && store.selectedObject.id === o.id;
  const name = str(o, 'name');
  return (
    <button
      type="button" class="obj" aria-pressed={selected} data-kind={o.kind} data-id={o.id}
      onClick={() => {
        store.selectedObject = selected ? null : { kind: o.kind, id: o.id };
        store.changed();
      }}
    >
      <span class="obj-name">{name ?? o.id}</span>
      {name !== null && name !== o.id && <span class="obj-id">{o.id}</span>}
      <span class="rev">rev {o.revision}</span>
    </button>
  );
}

export function Configuration({ store }: { store: Store }) {
  const [query, setQuery] = useState('');
  const q = query.trim().toLowerCase();
  const all = (k: ObjectKind): StoredObject[] => [...store.objects.get(k)!.values()].sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
  const areas = all('area');
  const devices = all('device');
  const zones = all('zone');
  const scenes = all('scene');
  const buttons = all('button');

  // With a search, keep what matches and everything above it in the tree.
  const keepZone = (z: StoredObject): boolean => matches(z, q);
  const keepDevice = (d: StoredObject): boolean => matches(d, q) || zones.some((z) => str(z, 'device') === d.id && keepZone(z));
  const keepArea = (a: StoredObject): boolean =>
    matches(a, q) || devices.some((d) => str(d, 'area') === a.id && keepDevice(d)) || areas.some((c) => str(c, 'parent') === a.id && keepArea(c));

  const zoneList = (device: StoredObject) => {
    const list = zones.filter((z) => str(z, 'device') === device.id && (q === '' || keepZone(z) || matches(device, q)));
    return list.length === 0 ? null : (
      <ul>{list.map((z) => <li key={z.id}><span class="kind">zone</span> <ObjectButton store={store} o={z} /></li>)}</ul>
    );
  };
  const deviceList = (area: string | null) => {
    const list = devices.filter((d) => (str(d, 'area') ?? null) === area && (q === '' || keepDevice(d)));
    return list.length === 0 ? null : (
      <ul>{list.map((d) => <li key={d.id}><span class="kind">{str(d, 'kind') ?? 'device'}</span> <ObjectButton store={store} o={d} />{zoneList(d)}</li>)}</ul>
    );
  };
  const areaTree = (parent: string | null, depth: number): preact.JSX.Element | null => {
    if (depth > 32) return null;
    const list = areas.filter((a) => (str(a, 'parent') ?? null) === parent && (q === '' || keepArea(a)));
    return list.length === 0 ? null : (
      <ul>
        {list.map((a) => (
          <li key={a.id}>
            <span class="kind">{str(a, 'type') ?? 'area'}</span> <ObjectButton store={store} o={a} />
            {deviceList(a.id)}
            {areaTree(a.id, depth + 1)}
          </li>
        ))}
      </ul>
    );
  };
  const unplaced = deviceList(null);
  const shownScenes = scenes.filter((s) => matches(s, q));
  const keypads = new Map<string, StoredObject[]>();
  for (const b of buttons) {
    if (!(matches(b, q) || devices.some((d) => d.id === str(b, 'device') && matches(d, q)))) continue;
    const k = str(b, 'device') ?? '?';
    keypads.set(k, [...(keypads.get(k) ?? []), b]);
  }
  const counts = `${plural(areas.length, 'area')}, ${plural(devices.length, 'device')}, ${plural(zones.length, 'zone')}, ${plural(scenes.length, 'scene')}, ${plural(buttons.length, 'keypad button')}`;
  return (
    <section id="configuration" aria-labelledby="configuration-h">
      <h2 id="configuration-h">Configuration</h2>
      <p class="muted">
        {store.configState === 'loading' ? 'Reading the configuration…' : store.configState === 'error' ? `Could not read the configuration: ${store.configError}` : `This board's copy: ${counts}.`}
      </p>
      <label class="search">Search by name or id <input type="search" value={query} onInput={(e) => setQuery((e.target as HTMLInputElement).value)} /></label>
      <div class="config-grid">
        <div>
          <h3>Areas, devices and zones</h3>
          <div class="tree">
            {areaTree(null, 0)}
            {unplaced && <><p class="kind">not placed in an area</p>{unplaced}</>}
            {areas.length + devices.length === 0 && <p class="muted">None yet.</p>}
          </div>
          <h3>Scenes</h3>
          <ul class="scenes">
            {shownScenes.map((s) => {
              const levels = (s.value['levels'] as Array<{ zone: string; level: number }> | undefined) ?? [];
              return (
                <li key={s.id} data-scene={s.id}>
                  <ObjectButton store={store} o={s} />
                  <span class="levels">
                    {levels.length === 0 ? 'no levels' : levels.map((l) => `${objectName(store, 'zone', l.zone)} ${l.level} %`).join(', ')}
                    {typeof s.value['fadeSeconds'] === 'number' ? ` · fade ${s.value['fadeSeconds']} s` : ''}
                  </span>
                </li>
              );
            })}
            {shownScenes.length === 0 && <li class="muted">None{q ? ' match' : ' yet'}.</li>}
          </ul>
          <h3>Keypad buttons</h3>
          <ul class="keypads">
            {[...keypads].map(([device, list]) => (
              <li key={device}>
                <strong>{objectName(store, 'device', device)}</strong>
                <ul>
                  {list.sort((a, b) => Number(a.value['number']) - Number(b.value['number'])).map((b) => (
                    <li key={b.id}>
                      <ObjectButton store={store} o={b} /> button {String(b.value['number'])} → {objectName(store, 'scene', String(b.value['scene']))}
                      {' '}({String(b.value['action'] ?? 'activate')})
                    </li>
                  ))}
                </ul>
              </li>
            ))}
            {keypads.size === 0 && <li class="muted">None{q ? ' match' : ' yet'}.</li>}
          </ul>
        </div>
        <Details store={store} />
      </div>
    </section>
  );
}

function Details({ store }: { store: Store }) {
  const sel = store.selectedObject;
  if (sel === null) return <aside class="details" aria-label="Object details"><p class="muted">Choose an object to see its fields and recent history.</p></aside>;
  const o = store.objects.get(sel.kind)?.get(sel.id);
  const history = store.history.filter((c) => c.kind === sel.kind && c.id === sel.id).slice(-20).reverse();
  return (
    <aside class="details" aria-label="Object details" aria-live="polite">
      <h3>{sel.kind} {sel.id}</h3>
      {o === undefined ? <p>Deleted.</p> : (
        <>
          <p>revision {o.revision}</p>
          <pre>{JSON.stringify(o.value, null, 2)}</pre>
        </>
      )}
      <h4>Recent history</h4>
      <ul>
        {history.map((c) => <li key={`${c.revision}-${c.op}`}>rev {c.revision}: {c.op}</li>)}
        {history.length === 0 && <li class="muted">Not in the recent change log.</li>}
      </ul>
    </aside>
  );
}
