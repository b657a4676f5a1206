// One validation schema per object kind. Used at the API edge (to answer
// 400 with field errors) and again at apply time (commands come off the log).
// Validation returns the canonical value: optional fields filled, levels sorted.
// Rules that need other objects (references, limits of a referenced zone) are
// checked by the state machine, which sees them.
import { FieldReader } from './field-reader.ts';
import type { FieldError, Validation } from './errors.ts';
import { ModelValidationError } from './errors.ts';
import { AREA_TYPES, BUTTON_ACTIONS, DEVICE_KINDS, ZONE_TYPES } from './kinds.ts';
import type { ObjectKind } from './kinds.ts';
import type { Area, Button, Device, ObjectValues, Scene, SceneLevel, Zone } from './types.ts';

export const NAME_RULE = { min: 1, max: 128 } as const;
export const SERIAL_RULE = { min: 1, max: 32, pattern: /^[A-Za-z0-9-]+$/, patternHint: '[A-Za-z0-9-]' } as const;
export const MODEL_RULE = { min: 1, max: 64 } as const;
export const LEVEL_MIN = 0;
export const LEVEL_MAX = 100;
export const FADE_SECONDS_MAX = 3600;
/** A scene sets at most this many zones (bounds one command's size and work). */
export const SCENE_LEVELS_MAX = 512;
export const BUTTON_NUMBER_MAX = 32;

function finish<T>(errors: FieldError[], value: T): Validation<T> {
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}

export function validateArea(input: unknown): Validation<Area> {
  const errors: FieldError[] = [];
  const r = new FieldReader(input, '', errors, ['name', 'type', 'parent']);
  const value: Area = { name: r.string('name', NAME_RULE), type: r.oneOf('type', AREA_TYPES), parent: r.optionalId('parent') };
  return finish(errors, value);
}

export function validateDevice(input: unknown): Validation<Device> {
  const errors: FieldError[] = [];
  const r = new FieldReader(input, '', errors, ['name', 'kind', 'serialNumber', 'model', 'area']);
  const value: Device = {
    name: r.string('name', NAME_RULE),
    kind: r.oneOf('kind', DEVICE_KINDS),
    serialNumber: r.string('serialNumber', SERIAL_RULE),
    model: r.string('model', MODEL_RULE),
    area: r.optionalId('area'),
  };
  return finish(errors, value);
}

export function validateZone(input: unknown): Validation<Zone> {
  const errors: FieldError[] = [];
  const r = new FieldReader(input, '', errors, ['name', 'type', 'device', 'minLevel', 'maxLevel']);
  const value: Zone = {
    name: r.string('name', NAME_RULE),
    type: r.oneOf('type', ZONE_TYPES),
    device: r.id('device'),
    minLevel: r.integer('minLevel', LEVEL_MIN, LEVEL_MAX),
    maxLevel: r.integer('maxLevel', LEVEL_MIN, LEVEL_MAX),
  };
  if (errors.length === 0 && value.minLevel > value.maxLevel) {
    errors.push({ path: 'minLevel', message: `must not exceed maxLevel (${value.minLevel} > ${value.maxLevel})` });
  }
  return finish(errors, value);
}

export function validateScene(input: unknown): Validation<Scene> {
  const errors: FieldError[] = [];
  const r = new FieldReader(input, '', errors, ['name', 'fadeSeconds', 'levels']);
  const name = r.string('name', NAME_RULE);
  const fadeSeconds = r.decimal('fadeSeconds', 0, FADE_SECONDS_MAX, 2);
  const levels: SceneLevel[] = [];
  const seen = new Set<string>();
  r.array('levels', SCENE_LEVELS_MAX).forEach((item, i) => {
    const path = `levels[${i}]`;
    const lr = new FieldReader(item, path, errors, ['zone', 'level']);
    const zone = lr.id('zone');
    const level = lr.integer('level', LEVEL_MIN, LEVEL_MAX);
    if (zone !== '' && seen.has(zone)) errors.push({ path: `${path}.zone`, message: `zone ${zone} appears twice` });
    seen.add(zone);
    levels.push({ zone, level });
  });
  levels.sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0));
  return finish(errors, { name, fadeSeconds, levels });
}

export function validateButton(input: unknown): Validation<Button> {
  const errors: FieldError[] = [];
  const r = new FieldReader(input, '', errors, ['device', 'number', 'scene', 'action']);
  const value: Button = {
    device: r.id('device'),
    number: r.integer('number', 1, BUTTON_NUMBER_MAX),
    scene: r.id('scene'),
    action: r.optionalOneOf('action', BUTTON_ACTIONS),
  };
  return finish(errors, value);
}

type Validators = { readonly [K in ObjectKind]: (input: unknown) => Validation<ObjectValues[K]> };

export const VALIDATORS: Validators = {
  area: validateArea,
  device: validateDevice,
  zone: validateZone,
  scene: validateScene,
  button: validateButton,
};

export function validateValue<K extends ObjectKind>(kind: K, input: unknown): Validation<ObjectValues[K]> {
  const validator = VALIDATORS[kind] as (input: unknown) => Validation<ObjectValues[K]>;
  return validator(input);
}

/** For the API edge: the canonical value, or a ModelValidationError with every field error. */
export function assertValid<K extends ObjectKind>(kind: K, input: unknown): ObjectValues[K] {
  const result = validateValue(kind, input);
  if (!result.ok) throw new ModelValidationError(result.errors);
  return result.value;
}
