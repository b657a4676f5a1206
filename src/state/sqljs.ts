// Loading sql.js's WASM once per process. The bundled executable passes the
// WASM bytes (a SEA asset, see build.mjs); tools and tests read it from node_modules.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';

// Cap: one loaded module per process (the first call decides; later wasmBinary arguments are ignored).
let loaded: Promise<SqlJsStatic> | null = null;

export function loadSqlJs(wasmBinary?: Uint8Array): Promise<SqlJsStatic> {
  if (loaded === null) {
    const binary = wasmBinary ?? readFileSync(createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm'));
    // sql.js's typings want an ArrayBuffer; Emscripten accepts any byte view.
    loaded = initSqlJs({ wasmBinary: binary as unknown as ArrayBuffer });
    loaded.catch(() => {
      loaded = null;
    });
  }
  return loaded;
}
