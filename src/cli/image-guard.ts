// The firmware image obeys only its own flags. Node reads several environment
// variables before any of raftlight runs (NODE_OPTIONS, OPENSSL_CONF,
// NODE_EXTRA_CA_CERTS, NODE_V8_COVERAGE, ...); the image's SEA configuration
// already ignores NODE_OPTIONS (execArgvExtension "cli") and OPENSSL_CONF
// (--openssl-config), and SIGUSR1 cannot open the inspector
// (--disable-sigusr1). For the rest, the image re-executes itself once,
// without them, before doing anything else. The development switch
// RAFTLIGHT_ALLOW_NODE_ENV=1 keeps them (with a warning); node flags for a
// profile go on the command line: raftlight --node-options="--cpu-prof" start ...
import { createRequire } from 'node:module';

/** Environment variables Node or OpenSSL act on by themselves. */
export const NODE_ENV_HOOKS = [
  'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'NODE_TLS_REJECT_UNAUTHORIZED', 'NODE_V8_COVERAGE', 'NODE_DEBUG', 'NODE_DEBUG_NATIVE',
  'NODE_REDIRECT_WARNINGS', 'NODE_PENDING_DEPRECATION', 'NODE_PENDING_PIPE_INSTANCES', 'NODE_ICU_DATA', 'NODE_PATH',
  'NODE_PRESERVE_SYMLINKS', 'NODE_REPL_EXTERNAL_MODULE', 'NODE_COMPILE_CACHE', 'NODE_DISABLE_COMPILE_CACHE', 'NODE_NO_WARNINGS',
  'UV_THREADPOOL_SIZE', 'UV_USE_IO_URING', 'OPENSSL_CONF', 'OPENSSL_ENGINES', 'OPENSSL_MODULES',
] as const;

/** Flags the image embeds (targets' V8 limits and build.mjs's security flags); anything else came from --node-options. */
const EMBEDDED_FLAG = /^--(max-old-space-size|max-semi-space-size|v8-pool-size|liftoff-only|optimize-for-size|single-threaded|disable-sigusr1|openssl-config)(=|$)/;

export const ALLOW_NODE_ENV = 'RAFTLIGHT_ALLOW_NODE_ENV';

function isSea(): boolean {
  try {
    const require = createRequire(import.meta.url ?? __filename);
    return (require('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/** Runs first: in the image, drops the hooks by re-executing itself without them. */
export function guardImage(): void {
  if (!isSea()) return;
  const extra = process.execArgv.filter((flag) => !EMBEDDED_FLAG.test(flag));
  if (extra.length > 0) process.stderr.write(`raftlight: warning: node flags from --node-options (development only): ${extra.join(' ')}\n`);
  const present = NODE_ENV_HOOKS.filter((name) => process.env[name] !== undefined);
  if (present.length === 0) return;
  if (process.env[ALLOW_NODE_ENV] === '1') {
    process.stderr.write(`raftlight: warning: ${ALLOW_NODE_ENV}=1: node acts on ${present.join(', ')} (development only)\n`);
    return;
  }
  const execve = (process as unknown as { execve?: Execve }).execve;
  const env = { ...process.env };
  for (const name of present) delete env[name];
  process.stderr.write(`raftlight: ignoring ${present.join(', ')} (the image obeys only its own flags; ${ALLOW_NODE_ENV}=1 keeps them for development)\n`);
  if (typeof execve === 'function') {
    // argv[1] repeats the executable in a SEA: the user's arguments start at 2.
    execve(process.execPath, [process.execPath, ...process.argv.slice(2)], env);
  }
  // Without execve nothing native can be undone; the JavaScript-level hooks at least go.
  for (const name of present) delete process.env[name];
}

guardImage();
