// Debian's Chromium, headless, driven by playwright-core (no browser download): a fresh
// profile per test in the test's own directory, closed at teardown.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env['RAFTLIGHT_CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A skip reason on a developer machine without Chromium; in CI (CI=true) the test runs and fails instead. */
export function chromiumMissing(): string | false {
  if (existsSync(CHROMIUM) || process.env['CI'] === 'true') return false;
  return `${CHROMIUM} is not installed: apt-get install chromium (.ci/run installs it)`;
}

export async function openBrowser(t: Test, viewport = { width: 1280, height: 900 }, extra: { ignoreHTTPSErrors?: boolean } = {}): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'raftlight-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
    ...extra,
  });
  t.teardown(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return context;
}

/** Screenshots go to docs/ only when asked (UPDATE_SCREENSHOTS=1), so test runs leave the tree clean. */
export const updateScreenshots = process.env['UPDATE_SCREENSHOTS'] === '1';
export const screenshotDir = join(import.meta.dirname, '../../docs/page');
