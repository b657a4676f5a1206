// The configuration as this board holds it, read over REST (local reads: the board's own
// copy, the one its live feed reports), kept current by the live changes.
import { authHeaders } from './live.ts';
import type { Store } from './store.ts';
import { KINDS, type ChangeEvent, type ObjectKind, type StoredObject } from './types.ts';

/** Pages of 1,000 objects read per kind at most (a 20,000-object installation). */
const MAX_PAGES = 20;
/** A change touching more objects than this reloads the lists instead of reading each. */
const MAX_SINGLE_READS = 20;

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function getJson(path: string, token: string | null): Promise<unknown> {
  const res = await fetch(path, { headers: { accept: 'application/json', ...authHeaders(token) }, cache: 'no-store' });
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      message = ((await res.json()) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not JSON
    }
    throw new HttpError(res.status, message);
  }
  return res.json();
}

export async function loadConfiguration(store: Store, token: string | null): Promise<void> {
  store.configState = 'loading';
  store.changed();
  try {
    for (const kind of KINDS) {
      const fresh = new Map<string, StoredObject>();
      let after: string | null = null;
      for (let page = 0; page < MAX_PAGES; page++) {
        const q: string = `v1/${kind}s?consistency=local&limit=1000${after === null ? '' : `&after=${encodeURIComponent(after)}`}`;
        const body = (await getJson(q, token)) as { items: StoredObject[]; next: string | null };
        for (const o of body.items) fresh.set(o.id, o);
        after = body.next;
        if (after === null) break;
      }
      const held = store.objects.get(kind)!;
      held.clear();
      for (const [id, o] of fresh) held.set(id, o);
    }
    store.configState = 'ready';
  } catch (err) {
    store.configState = 'error';
    store.configError = err instanceof Error ? err.message : String(err);
  }
  store.changed();
}

/** Brings the objects of one committed change up to date. */
export async function applyChange(store: Store, e: ChangeEvent, token: string | null): Promise<void> {
  if (e.changes.length > MAX_SINGLE_READS) return loadConfiguration(store, token);
  for (const c of e.changes) {
    if (c.op === 'delete') {
      store.deleteObject(c.kind, c.id);
      continue;
    }
    try {
      store.setObject((await getJson(`v1/${c.kind}s/${encodeURIComponent(c.id)}?consistency=local`, token)) as StoredObject);
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) store.deleteObject(c.kind, c.id);
    }
  }
  store.changed();
}

export function objectName(store: Store, kind: ObjectKind, id: string): string {
  const o = store.objects.get(kind)?.get(id);
  const name = o?.value['name'];
  return typeof name === 'string' ? name : id;
}
