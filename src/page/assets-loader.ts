// Where the installer's page comes from. From sources, it is built with esbuild on first use;
// the image build swaps this module for one that returns the strings built into the
// executable (see build.mjs), so the image carries no build tool.
import type { PageAssets } from '../api/page.ts';

export async function loadPageAssets(): Promise<PageAssets> {
  const { buildPage } = await import('../../scripts/build-page.mjs');
  return buildPage();
}
