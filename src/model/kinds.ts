// The vocabulary of a lighting installation. Lists are `as const` so the
// unions below stay in step with the runtime checks.

export const OBJECT_KINDS = ['area', 'device', 'zone', 'scene', 'button'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** building > floor > room; `outdoor` and `other` for the rest of a site. */
export const AREA_TYPES = ['building', 'floor', 'room', 'outdoor', 'other'] as const;
export type AreaType = (typeof AREA_TYPES)[number];

export const DEVICE_KINDS = [
  'dimmer',
  'switch',
  'keypad',
  'occupancy-sensor',
  'shade',
  'controller-board',
] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export const ZONE_TYPES = ['incandescent', 'led', 'fluorescent', 'elv', 'mlv', 'switched', 'shade'] as const;
export type ZoneType = (typeof ZONE_TYPES)[number];

export const BUTTON_ACTIONS = ['activate', 'toggle', 'raise', 'lower', 'off'] as const;
export type ButtonAction = (typeof BUTTON_ACTIONS)[number];

/** Which device kinds drive loads, and which zone types each may drive. */
export const ZONE_TYPES_BY_DEVICE_KIND: Readonly<Record<DeviceKind, readonly ZoneType[]>> = {
  dimmer: ['incandescent', 'led', 'fluorescent', 'elv', 'mlv', 'switched'],
  switch: ['switched'],
  shade: ['shade'],
  'controller-board': ['incandescent', 'led', 'fluorescent', 'elv', 'mlv', 'switched', 'shade'],
  keypad: [],
  'occupancy-sensor': [],
};

/** Only keypads carry buttons. */
export const BUTTON_DEVICE_KIND: DeviceKind = 'keypad';

export function isObjectKind(v: unknown): v is ObjectKind {
  return typeof v === 'string' && (OBJECT_KINDS as readonly string[]).includes(v);
}
