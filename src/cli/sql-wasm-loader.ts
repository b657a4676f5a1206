// Where the sql.js WebAssembly comes from. From sources, sql.js finds its own
// file in node_modules (undefined here); the image build swaps this module for
// one that returns the bytes embedded in the executable (see build.mjs).
export async function loadSqlWasm(): Promise<Uint8Array | undefined> {
  return undefined;
}
