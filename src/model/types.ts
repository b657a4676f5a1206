// The value of each lighting object as clients send it and queries return it.
// The id is not part of the value: it travels beside it (command, topic, URL).
import type { AreaType, ButtonAction, DeviceKind, ObjectKind, ZoneType } from './kinds.ts';
import type { ObjectId } from './ids.ts';

export interface Area {
  readonly name: string;
  readonly type: AreaType;
  /** The enclosing area (a room's floor, a floor's building); null at the top. */
  readonly parent: ObjectId | null;
}

export interface Device {
  readonly name: string;
  readonly kind: DeviceKind;
  /** Unique across the installation. */
  readonly serialNumber: string;
  readonly model: string;
  /** Where the device is mounted; null while not yet placed. */
  readonly area: ObjectId | null;
}

export interface Zone {
  readonly name: string;
  readonly type: ZoneType;
  /** The device that drives this load. */
  readonly device: ObjectId;
  /** Low-end trim, 0..100 percent. */
  readonly minLevel: number;
  /** High-end trim, 0..100 percent, >= minLevel. */
  readonly maxLevel: number;
}

export interface SceneLevel {
  readonly zone: ObjectId;
  /** 0 (off) or within the zone's [minLevel, maxLevel]. */
  readonly level: number;
}

export interface Scene {
  readonly name: string;
  /** Fade time in seconds, 0..3600, at most two decimals. */
  readonly fadeSeconds: number;
  /** Sorted by zone id (canonical form), one entry per zone. */
  readonly levels: readonly SceneLevel[];
}

export interface Button {
  /** The keypad carrying the button. */
  readonly device: ObjectId;
  /** 1..32, unique per keypad. */
  readonly number: number;
  readonly scene: ObjectId;
  /** What a press does with the scene; null means the keypad's default (activate). */
  readonly action: ButtonAction | null;
}

export interface ObjectValues {
  readonly area: Area;
  readonly device: Device;
  readonly zone: Zone;
  readonly scene: Scene;
  readonly button: Button;
}

export type ObjectValue = ObjectValues[ObjectKind];
