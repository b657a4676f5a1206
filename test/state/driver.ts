// Test helper: feeds commands to a StateMachine as consecutive log entries.
import { encodeCommand } from '../../src/model/index.ts';
import type { Command, ObjectCommand } from '../../src/model/index.ts';
import { StateMachine } from '../../src/state/index.ts';
import type { ApplyResult, StateMachineOptions } from '../../src/state/index.ts';

export class Driver {
  private requests = 0;
  constructor(readonly sm: StateMachine) {}

  static async create(options: StateMachineOptions = {}): Promise<Driver> {
    return new Driver(await StateMachine.create(options));
  }

  /** Applies `command` at the next index with a fresh (or given) request id. */
  send(command: Command, requestId = `req-${++this.requests}`): ApplyResult {
    return this.sm.apply(this.sm.appliedIndex() + 1, encodeCommand({ requestId, command }));
  }

  /** Like send, and fails loudly if the command was rejected. */
  ok(command: Command): ApplyResult {
    const r = this.send(command);
    if (!r.outcome.ok) throw new Error(`unexpected rejection: ${JSON.stringify(r.outcome.error)}`);
    return r;
  }

  raw(data: Uint8Array): ApplyResult {
    return this.sm.apply(this.sm.appliedIndex() + 1, data);
  }
}

export const create = (kind: ObjectCommand['kind'], id: string, value: object): ObjectCommand => ({ type: 'create', kind, id, value });
export const update = (kind: ObjectCommand['kind'], id: string, value: object, ifRevision?: number): ObjectCommand =>
  ifRevision === undefined ? { type: 'update', kind, id, value } : { type: 'update', kind, id, value, ifRevision };
export const remove = (kind: ObjectCommand['kind'], id: string, ifRevision?: number): ObjectCommand =>
  ifRevision === undefined ? { type: 'delete', kind, id } : { type: 'delete', kind, id, ifRevision };

/** A small installation: building > floor > room, a dimmer with two zones, a keypad, a scene, a button. */
export function house(): ObjectCommand[] {
  return [
    create('area', 'hq', { name: 'HQ', type: 'building' }),
    create('area', 'f1', { name: 'Floor 1', type: 'floor', parent: 'hq' }),
    create('area', 'r1', { name: 'Lobby', type: 'room', parent: 'f1' }),
    create('device', 'dim1', { name: 'Lobby dimmer', kind: 'dimmer', serialNumber: 'SN-1', model: 'RRD-6ND', area: 'r1' }),
    create('device', 'kp1', { name: 'Lobby keypad', kind: 'keypad', serialNumber: 'SN-2', model: 'SO-4B', area: 'r1' }),
    create('zone', 'z1', { name: 'Downlights', type: 'led', device: 'dim1', minLevel: 10, maxLevel: 90 }),
    create('zone', 'z2', { name: 'Wall wash', type: 'incandescent', device: 'dim1', minLevel: 0, maxLevel: 100 }),
    create('scene', 's1', { name: 'Welcome', fadeSeconds: 2, levels: [{ zone: 'z1', level: 80 }, { zone: 'z2', level: 0 }] }),
    create('button', 'b1', { device: 'kp1', number: 1, scene: 's1' }),
  ];
}
