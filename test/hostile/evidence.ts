// Evidence the hostile-input suite collects: whether every board holds the
// same data, and waiting until they all applied a revision.
import { createHash } from 'node:crypto';
import type { Installation } from '../../src/bench/launcher.ts';
import { sleep } from '../../src/bench/launcher.ts';

const kinds = ['areas', 'devices', 'zones', 'scenes', 'buttons'];

/** Waits until every running board applied at least `revision`. */
export async function waitForAllApplied(inst: Installation, revision: number, timeoutMs = 30_000): Promise<void> {
  for (const id of inst.boards.keys()) if (inst.isRunning(id)) await inst.waitForApplied(id, revision, timeoutMs);
}

/** A digest of everything a board holds (all kinds, every page), read locally. */
export async function contentDigest(inst: Installation, id: string): Promise<string> {
  const h = createHash('sha256');
  for (const kind of kinds) {
    let after: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const r = await inst.json(id, `/v1/${kind}?consistency=local&limit=1000${after ? `&after=${after}` : ''}`, { headers: inst.readHeaders() });
      if (r.status !== 200) throw new Error(`${id} answered ${r.status} to a list of ${kind}`);
      const items = r.body.items as Array<{ id: string }>;
      h.update(JSON.stringify(items));
      after = r.body.next as string | undefined;
      if (!after || items.length === 0) break;
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** True when every running board, at the same applied index, holds the same data. */
export async function boardsAgree(inst: Installation, timeoutMs = 30_000): Promise<boolean> {
  const ids = [...inst.boards.keys()].filter((id) => inst.isRunning(id));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const applied = await Promise.all(ids.map(async (id) => (await inst.status(id))?.appliedIndex));
    if (applied.every((a) => a === applied[0]) && typeof applied[0] === 'number') {
      const digests = await Promise.all(ids.map((id) => contentDigest(inst, id)));
      const again = await Promise.all(ids.map(async (id) => (await inst.status(id))?.appliedIndex));
      if (again.every((a) => a === applied[0])) return digests.every((d) => d === digests[0]);
    }
    if (Date.now() > deadline) return false;
    await sleep(300);
  }
}
