// Benchmark of the sql.js state machine: commands applied per second, and
// snapshot (export) time/size, restore time and RSS for an installation of
// 100 controller boards, 2,000 devices, 4,000 zones and 500 scenes.
// Run: npx tsx src/bench/state.ts [--json]
// For memory figures like the board's, bundle it and run under plain node with
// --expose-gc (and the image's V8 flags, e.g. --single-threaded --liftoff-only
// --max-semi-space-size=1): tsx itself adds ~40 MiB.
import { encodeCommand } from '../model/index.ts';
import type { Command, ObjectCommand } from '../model/index.ts';
import { StateMachine } from '../state/index.ts';

const MiB = 1024 * 1024;

interface Installation {
  readonly batches: readonly ObjectCommand[][];
  readonly zoneIds: readonly string[];
}

/** 1 building, 5 floors, 200 rooms; 100 boards, 700 dimmers, 200 shades, 600 keypads, 400 sensors; 4,000 zones; 500 scenes; 2,400 buttons. */
function installation(): Installation {
  const commands: ObjectCommand[] = [{ type: 'create', kind: 'area', id: 'hq', value: { name: 'Headquarters', type: 'building' } }];
  for (let f = 0; f < 5; f++) commands.push({ type: 'create', kind: 'area', id: `floor-${f}`, value: { name: `Floor ${f}`, type: 'floor', parent: 'hq' } });
  for (let r = 0; r < 200; r++) commands.push({ type: 'create', kind: 'area', id: `room-${r}`, value: { name: `Room ${r}`, type: 'room', parent: `floor-${r % 5}` } });
  let serial = 0;
  const device = (id: string, kind: string, room: number): ObjectCommand => ({
    type: 'create',
    kind: 'device',
    id,
    value: { name: `${kind} ${id}`, kind, serialNumber: `SN-${String(++serial).padStart(6, '0')}`, model: `${kind.toUpperCase().slice(0, 6)}-100`, area: `room-${room % 200}` },
  });
  const zoneIds: string[] = [];
  const zonesByRoom: string[][] = Array.from({ length: 200 }, () => []);
  const zone = (id: string, dev: string, type: string, room: number): ObjectCommand => {
    zoneIds.push(id);
    zonesByRoom[room % 200]!.push(id);
    return { type: 'create', kind: 'zone', id, value: { name: `Zone ${id}`, type, device: dev, minLevel: type === 'shade' ? 0 : 5, maxLevel: 100 } };
  };
  for (let b = 0; b < 100; b++) {
    commands.push(device(`board-${b}`, 'controller-board', b * 2));
    for (let z = 0; z < 10; z++) commands.push(zone(`board-${b}-z${z}`, `board-${b}`, z % 3 === 0 ? 'led' : 'incandescent', b * 2));
  }
  for (let d = 0; d < 700; d++) {
    commands.push(device(`dimmer-${d}`, 'dimmer', d));
    for (let z = 0; z < 4; z++) commands.push(zone(`dimmer-${d}-z${z}`, `dimmer-${d}`, 'led', d));
  }
  for (let s = 0; s < 200; s++) {
    commands.push(device(`shade-${s}`, 'shade', s));
    commands.push(zone(`shade-${s}-z0`, `shade-${s}`, 'shade', s));
  }
  for (let k = 0; k < 400; k++) commands.push(device(`sensor-${k}`, 'occupancy-sensor', k));
  for (let k = 0; k < 600; k++) commands.push(device(`keypad-${k}`, 'keypad', k));
  for (let s = 0; s < 500; s++) {
    const room = zonesByRoom[s % 200]!;
    const levels = room.slice(0, 8).map((z, i) => ({ zone: z, level: (s * 7 + i * 13) % 96 + 5 }));
    commands.push({ type: 'create', kind: 'scene', id: `scene-${s}`, value: { name: `Scene ${s}`, fadeSeconds: (s % 20) / 4, levels } });
  }
  for (let k = 0; k < 600; k++) {
    for (let n = 1; n <= 4; n++) {
      commands.push({ type: 'create', kind: 'button', id: `keypad-${k}-b${n}`, value: { device: `keypad-${k}`, number: n, scene: `scene-${(k * 4 + n) % 500}` } });
    }
  }
  const batches: ObjectCommand[][] = [];
  // 100 commands per entry stays under the 64 KiB command limit.
  for (let i = 0; i < commands.length; i += 100) batches.push(commands.slice(i, i + 100));
  return { batches, zoneIds };
}

/** RSS after a full GC when the process runs with --expose-gc (garbage is not what the board keeps). */
function rssMiB(): number {
  globalThis.gc?.();
  return Math.round((process.memoryUsage().rss / MiB) * 10) / 10;
}

function timed<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const result = fn();
  return [result, performance.now() - start];
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const figures: Record<string, number | string> = { node: process.version, arch: process.arch };
  figures['rssStartMiB'] = rssMiB();

  // 1. Single-command entries into an empty machine: create areas.
  const sm = await StateMachine.create();
  figures['rssEmptyMachineMiB'] = rssMiB();
  let index = 0;
  let requests = 0;
  const send = (target: StateMachine, command: Command): void => {
    const r = target.apply(++index, encodeCommand({ requestId: `bench-${++requests}`, command }));
    if (!r.outcome.ok) throw new Error(`bench command rejected: ${JSON.stringify(r.outcome.error)}`);
  };
  const { batches, zoneIds } = installation();
  const commandCount = batches.reduce((n, b) => n + b.length, 0);
  const [, buildMs] = timed(() => {
    for (const batch of batches) send(sm, { type: 'batch', commands: batch });
  });
  figures['installationCommands'] = commandCount;
  figures['installationEntries'] = batches.length;
  figures['buildMs'] = Math.round(buildMs);
  figures['batchedCommandsPerSec'] = Math.round(commandCount / (buildMs / 1000));
  const counts = sm.counts();
  figures['counts'] = JSON.stringify(counts);
  const boards = sm.list('device', { limit: 1000 }).items.filter((d) => d.value.kind === 'controller-board').length;
  figures['controllerBoards'] = boards;

  // 2. Single-command entries on the full installation: conditional zone updates (the common write).
  const updates = 5000;
  const [, updateMs] = timed(() => {
    for (let i = 0; i < updates; i++) {
      const id = zoneIds[(i * 7919) % zoneIds.length]!;
      const current = sm.get('zone', id)!;
      send(sm, { type: 'update', kind: 'zone', id, value: { ...current.value, name: `Zone ${id} #${i}` }, ifRevision: current.revision });
    }
  });
  figures['singleUpdatesPerSec'] = Math.round(updates / (updateMs / 1000));
  // The board applies a Ready's committed entries in one batch: 64 single-command entries each.
  const [, batchedUpdateMs] = timed(() => {
    for (let i = 0; i < updates; i += 64) {
      const entries: Command[] = [];
      for (let j = i; j < Math.min(updates, i + 64); j++) {
        const id = zoneIds[(j * 7919) % zoneIds.length]!;
        entries.push({ type: 'update' as const, kind: 'zone' as const, id, value: { ...sm.get('zone', id)!.value, name: `Zone ${id} ##${j}` } });
      }
      sm.batch(() => {
        for (const command of entries) send(sm, command);
      });
    }
  });
  figures['singleUpdatesIn64EntryBatchesPerSec'] = Math.round(updates / (batchedUpdateMs / 1000));
  const creates = 2000;
  const [, createMs] = timed(() => {
    for (let i = 0; i < creates; i++) send(sm, { type: 'create', kind: 'area', id: `extra-${i}`, value: { name: `Extra ${i}`, type: 'room', parent: 'floor-0' } });
  });
  figures['singleCreatesPerSec'] = Math.round(creates / (createMs / 1000));
  const [, rejectMs] = timed(() => {
    for (let i = 0; i < creates; i++) {
      const r = sm.apply(++index, encodeCommand({ requestId: `bench-${++requests}`, command: { type: 'delete', kind: 'area', id: 'floor-0' } }));
      if (r.outcome.ok) throw new Error('expected STILL_REFERENCED');
    }
  });
  figures['rejectedPerSec'] = Math.round(creates / (rejectMs / 1000));
  figures['rssAfterBuildMiB'] = rssMiB();

  // 3. Snapshot: export, size, restore.
  const [image, exportMs] = timed(() => sm.export());
  figures['exportMs'] = Math.round(exportMs * 10) / 10;
  figures['imageBytes'] = image.length;
  figures['imageMiB'] = Math.round((image.length / MiB) * 100) / 100;
  figures['rssAfterExportMiB'] = rssMiB();
  const restoreStart = performance.now();
  const restored = await StateMachine.restore(image);
  figures['restoreMs'] = Math.round((performance.now() - restoreStart) * 10) / 10;
  if (JSON.stringify(restored.counts()) !== JSON.stringify(sm.counts())) throw new Error('restored counts differ');
  figures['rssWithTwoMachinesMiB'] = rssMiB();
  restored.close();
  // Repeated snapshots must not grow memory.
  for (let i = 0; i < 20; i++) sm.export();
  figures['rssAfter20ExportsMiB'] = rssMiB();
  const mem = process.memoryUsage();
  figures['heapUsedMiB'] = Math.round((mem.heapUsed / MiB) * 10) / 10;
  figures['externalMiB'] = Math.round((mem.external / MiB) * 10) / 10;
  figures['arrayBuffersMiB'] = Math.round((mem.arrayBuffers / MiB) * 10) / 10;
  sm.close();

  if (json) {
    console.log(JSON.stringify(figures));
  } else {
    for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(24)} ${v}`);
  }
}

await main();
