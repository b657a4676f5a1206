// The SQLite (sql.js) state machine.
export { StateMachine, DEFAULT_MAX_CHANGES, DEFAULT_MAX_REQUESTS } from './machine.ts';
export type { StateMachineOptions, RestoreOptions } from './machine.ts';
export type { ListQuery } from './queries.ts';
export type { Member } from './membership.ts';
export { LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, CHANGES_DEFAULT_LIMIT, CHANGES_MAX_LIMIT } from './queries.ts';
export { LIST_FILTERS } from './rows.ts';
export * from './results.ts';
export { StateImageError, StateMachineError, StateQueryError } from './errors.ts';
export { SCHEMA_VERSION, APPLICATION_ID } from './schema.ts';
