// Builds the installer's page (src/page/ui) with esbuild into three strings: the HTML, one
// script and one stylesheet. build.mjs embeds them in the image; from sources,
// src/page/assets-loader.ts calls this on the first request for the page.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ui = join(root, 'src/page/ui');

export async function buildPage() {
  const result = await build({
    entryPoints: { page: join(ui, 'main.tsx') },
    bundle: true,
    write: false,
    outdir: join(root, '.cache/page'),
    format: 'iife',
    platform: 'browser',
    // Browsers of the last few years, on laptops and phones.
    target: ['chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const text = (ext) => {
    const file = result.outputFiles.find((f) => f.path.endsWith(ext));
    if (!file) throw new Error(`the page build produced no ${ext} file`);
    return file.text;
  };
  return { html: readFileSync(join(ui, 'index.html'), 'utf8'), js: text('.js'), css: text('.css') };
}
