export { freePort } from '../../src/bench/launcher.ts';
