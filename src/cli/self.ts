// How to start another instance of this very executable (dev-cluster, bench):
// the firmware image runs itself; from sources, node re-runs the same script
// with the same loader flags (tsx).
import { createRequire } from 'node:module';

function isSea(): boolean {
  try {
    const require = createRequire(import.meta.url ?? __filename);
    return (require('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

export function selfCommand(): { command: string; args: string[] } {
  if (isSea()) return { command: process.execPath, args: [] };
  const script = process.argv[1];
  if (script === undefined) throw new Error('cannot tell which script is running');
  return { command: process.execPath, args: [...process.execArgv, script] };
}
