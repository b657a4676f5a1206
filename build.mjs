#!/usr/bin/env node
// Builds one firmware image per file in targets/, fully offline:
//  1. esbuild bundles src/cli/main.ts into one CommonJS file, the installer's page
//     (scripts/build-page.mjs) embedded; the sql.js WASM goes in as a SEA asset (step 3);
//  2. the Node base binaries come from the npm registry (node-linux-<arch>@<exact version>),
//     are stripped, and are placed where pkg's SEA mode finds them without downloading;
//  3. @yao-pkg/pkg (SEA mode, run under the x64 Node of the same version) injects the bundle
//     and the WASM asset with the target's V8 flags and the image's own security flags (execArgv); the image
//     ignores NODE_OPTIONS (execArgvExtension "cli": node flags only as --node-options=... on
//     the command line, a development switch);
//  4. images/<target>/manifest.json records size, sha256, Node version, commit and build time.
// Rebuilding without changes reuses every cached step (.cache/ and ~/.pkg-cache/sea/).
// Usage: node build.mjs [--target linux-x64] [--force]
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, copyFileSync, rmSync, statSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildPage } from './scripts/build-page.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const cacheDir = join(root, '.cache');
const args = process.argv.slice(2);
const force = args.includes('--force');
const onlyTarget = args.includes('--target') ? args[args.indexOf('--target') + 1] : undefined;
const started = Date.now();

function log(msg) {
  process.stdout.write(`[build ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
}
function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}
function run(cmd, argv, opts = {}) {
  return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
}

function loadTargets() {
  const files = readdirSync(join(root, 'targets')).filter((f) => f.endsWith('.json')).sort();
  const targets = files.map((f) => ({ file: `targets/${f}`, ...JSON.parse(readFileSync(join(root, 'targets', f), 'utf8')) }));
  return onlyTarget ? targets.filter((t) => t.name === onlyTarget) : targets;
}

// The sql.js WASM travels in the executable as a SEA asset (pkg-sea.cjs), read in place with
// sea.getRawAsset: its pages are the executable's (file-backed, reclaimable). Embedded in the
// bundle instead, it would stay in every board's memory twice: as base64 text inside the
// script source V8 keeps (0.9 MB) and decoded (0.65 MB), besides V8's own copy of the module.
// src/cli/sql-wasm-loader.ts is swapped for a module that returns the asset.
const SQL_WASM_ASSET = 'sql-wasm.wasm';
const sqlWasmFile = join(root, 'node_modules', 'sql.js', 'dist', 'sql-wasm.wasm');
const embedSqlWasm = {
  name: 'embed-sql-wasm',
  setup(b) {
    b.onResolve({ filter: /sql-wasm-loader\.ts$/ }, () => ({ path: 'sql-wasm-embedded', namespace: 'raftlight' }));
    b.onLoad({ filter: /^sql-wasm-embedded$/, namespace: 'raftlight' }, () => ({
      contents: `import { getRawAsset } from 'node:sea';\nexport async function loadSqlWasm() { return new Uint8Array(getRawAsset(${JSON.stringify(SQL_WASM_ASSET)})); }\n`,
      resolveDir: root,
      loader: 'js',
    }));
  },
};

// The installer's page is embedded: src/page/assets-loader.ts is swapped for a module holding the built strings.
function embedPage(assets) {
  return {
    name: 'embed-page',
    setup(b) {
      b.onResolve({ filter: /page[\\/]assets-loader\.ts$/ }, () => ({ path: 'page-embedded', namespace: 'raftlight' }));
      b.onLoad({ filter: /^page-embedded$/, namespace: 'raftlight' }, () => ({
        contents: `const assets = ${JSON.stringify(assets)};\nexport async function loadPageAssets() { return assets; }\n`,
        loader: 'js',
      }));
    },
  };
}

/** Sizes of the page's assets as served (raw and gzip), for the manifest and the image check. */
function pageSizes(assets) {
  const sizes = { bytes: 0, gzipBytes: 0 };
  for (const text of [assets.html, assets.js, assets.css]) {
    sizes.bytes += Buffer.byteLength(text);
    sizes.gzipBytes += gzipSync(text, { level: 9 }).byteLength;
  }
  return sizes;
}

async function bundle(page) {
  const outfile = join(cacheDir, 'bundle', 'raftlight.cjs');
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(root, 'src/cli/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    // Beside the bundle in .cache only (not in the image): maps CPU profiles to sources (src/bench/cpu-profile.ts --components).
    sourcemap: 'external',
    plugins: [embedSqlWasm, embedPage(page)],
    // Optional native speed-ups of ws/debug that the board does not need.
    alias: {
      bufferutil: join(root, 'scripts/empty-module.cjs'),
      'utf-8-validate': join(root, 'scripts/empty-module.cjs'),
      'supports-color': join(root, 'scripts/empty-module.cjs'),
    },
    // The simulation's planted bugs (src/board/planted-bugs.ts) fold to false and their code is dropped.
    define: { 'process.env.RAFTLIGHT_BUNDLED': '"1"', 'globalThis.raftlightPlantedBugs': 'undefined' },
    logLevel: 'warning',
  });
  const bytes = readFileSync(outfile);
  log(`bundled ${(bytes.length / 1024 / 1024).toFixed(2)} MiB -> ${outfile}`);
  return { outfile, hash: sha256(bytes) };
}

/** node-linux-<arch>@<version> from the npm registry, unpacked under .cache/node/. */
function baseBinary(target) {
  const name = `node-v${target.node}-linux-${target.arch}`;
  const dir = join(cacheDir, 'node', name);
  const bin = join(dir, 'bin', 'node');
  if (existsSync(`${bin}.ok`) && existsSync(bin)) return bin;
  mkdirSync(join(cacheDir, 'node'), { recursive: true });
  log(`fetching node-linux-${target.arch}@${target.node} from the npm registry`);
  const out = run('npm', ['pack', `node-linux-${target.arch}@${target.node}`, '--silent', '--pack-destination', join(cacheDir, 'node')], { cwd: join(cacheDir, 'node') })
    .toString().trim().split('\n').pop();
  const tgz = join(cacheDir, 'node', out);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  run('tar', ['xzf', tgz, '-C', join(dir, 'bin'), '--strip-components=2', 'package/bin/node']);
  rmSync(tgz, { force: true });
  writeFileSync(`${bin}.ok`, '');
  return bin;
}

/** The stripped base binary, where pkg's SEA mode looks for it (no download). */
function preparePkgCache(target, bin) {
  const name = `node-v${target.node}-linux-${target.arch}`;
  const seaDir = join(homedir(), '.pkg-cache', 'sea');
  const dest = join(seaDir, name, 'bin', 'node');
  const archive = join(seaDir, `${name}.tar.gz`);
  const stamp = join(seaDir, name, 'source.sha256');
  const srcHash = sha256(readFileSync(bin));
  if (existsSync(`${dest}.ok`) && existsSync(dest) && existsSync(`${archive}.ok`) && existsSync(stamp) && readFileSync(stamp, 'utf8') === srcHash) {
    return dest;
  }
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(bin, dest);
  // Strip before injection: about 12 MB less; stripping after injection would destroy the blob.
  run(target.strip, ['--strip-all', dest]);
  chmodSync(dest, 0o755);
  run('tar', ['czf', archive, '-C', seaDir, `${name}/bin/node`]);
  writeFileSync(`${archive}.ok`, '');
  writeFileSync(`${dest}.ok`, '');
  writeFileSync(stamp, srcHash);
  log(`prepared stripped base binary ${dest} (${(statSync(dest).size / 1024 / 1024).toFixed(1)} MiB)`);
  return dest;
}

/**
 * Flags every image carries whatever its target: SIGUSR1 must not open the inspector, and
 * OpenSSL must not load a configuration (and the providers it names) from OPENSSL_CONF.
 */
const securityExecArgv = ['--disable-sigusr1', '--openssl-config=/dev/null'];
/** NODE_OPTIONS is ignored; --node-options=... as the first argument is the development switch. */
const execArgvExtension = 'cli';

function gitCommit() {
  try {
    const commit = run('git', ['rev-parse', 'HEAD'], { cwd: root }).toString().trim();
    const dirty = run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root }).toString().trim() !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

async function main() {
  const targets = loadTargets();
  if (targets.length === 0) throw new Error(`no target named ${onlyTarget} in targets/`);
  const page = await buildPage();
  const pageSize = pageSizes(page);
  log(`installer's page: ${pageSize.bytes} bytes, ${pageSize.gzipBytes} gzip`);
  const { outfile, hash: bundleHash } = await bundle(page);
  const hostTarget = targets.find((t) => t.arch === 'x64') ?? JSON.parse(readFileSync(join(root, 'targets/linux-x64.json'), 'utf8'));
  const generatorNode = baseBinary(hostTarget);
  for (const target of targets) {
    const outDir = join(root, 'images', target.name);
    const image = join(outDir, 'raftlight');
    const manifestPath = join(outDir, 'manifest.json');
    const execArgv = [...target.execArgv, ...securityExecArgv];
    const inputHash = sha256(Buffer.from(JSON.stringify({ bundleHash, wasmHash: sha256(readFileSync(sqlWasmFile)), target, execArgv, execArgvExtension })));
    if (!force && existsSync(image) && existsSync(manifestPath)) {
      const old = JSON.parse(readFileSync(manifestPath, 'utf8'));
      if (old.inputHash === inputHash && old.sha256 === sha256(readFileSync(image))) {
        log(`${target.name}: up to date (${(old.sizeBytes / 1024 / 1024).toFixed(1)} MiB), reused`);
        continue;
      }
    }
    if (target.node !== hostTarget.node) throw new Error(`${target.file}: node ${target.node} differs from the x64 generator's ${hostTarget.node}; all targets must pin one version`);
    const base = preparePkgCache(target, baseBinary(target));
    mkdirSync(outDir, { recursive: true });
    rmSync(image, { force: true });
    log(`${target.name}: injecting bundle into ${base}`);
    run(generatorNode, [join(root, 'scripts/pkg-sea.cjs'), outfile, target.node, target.platform, target.arch, image, JSON.stringify(execArgv), execArgvExtension,
      JSON.stringify({ [SQL_WASM_ASSET]: sqlWasmFile })], {
      cwd: root, stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, PKG_CACHE_PATH: join(homedir(), '.pkg-cache') },
    });
    const bytes = readFileSync(image);
    const manifest = {
      target: target.name,
      file: `images/${target.name}/raftlight`,
      sizeBytes: bytes.length,
      sha256: sha256(bytes),
      node: target.node,
      execArgv,
      execArgvExtension,
      page: pageSize,
      commit: gitCommit(),
      builtAt: new Date().toISOString(),
      inputHash,
    };
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
    log(`${target.name}: ${image} ${(bytes.length / 1024 / 1024).toFixed(1)} MiB`);
  }
  log('done');
}

main().catch((err) => {
  process.stderr.write(`build failed: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
