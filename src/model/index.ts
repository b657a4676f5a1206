// The lighting object model: kinds, values, validation, commands and their encoding.
export * from './kinds.ts';
export * from './ids.ts';
export type * from './types.ts';
export * from './errors.ts';
export * from './schemas.ts';
export * from './commands.ts';
export * from './codec.ts';
export * from './access-commands.ts';
