// The page at the scale it is for: 100 boards (5 voters, 95 external) with an hour of
// samples each, from the real leader telemetry fed simulated reports (see
// test/helpers/simulated-installation.ts). Problems come first, the plots draw every board,
// filtering and sorting work, and the phone layout holds. Prints the render time.
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumMissing, openBrowser, screenshotDir, updateScreenshots } from '../helpers/browser.ts';
import { startSimulatedInstallation } from '../helpers/simulated-installation.ts';

const seed = Number(process.env['PAGE_SEED'] ?? 17);

t.test('100 boards on one page', { skip: chromiumMissing() }, async (t) => {
  t.comment(`PAGE_SEED=${seed}`);
  const sim = await startSimulatedInstallation({ voters: 5, externals: 95, seed });
  t.teardown(() => sim.close());
  const browser = await openBrowser(t);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const started = Date.now();
  await page.goto(`${sim.url}/`);
  await page.waitForFunction(() => document.querySelectorAll('li.tile').length === 100, undefined, { timeout: 20_000 });
  await page.waitForFunction(() => document.querySelectorAll('#chart-memory-title ~ svg polyline, figure.chart svg polyline').length >= 100, undefined, { timeout: 20_000 });
  t.comment(`100 boards with an hour of samples each on screen ${Date.now() - started} ms after navigation`);

  const order = await page.locator('li.tile').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-board')}:${e.getAttribute('data-health')}`));
  t.same(order.slice(0, 3).map((x) => x.split(':')[1]), ['down', 'down', 'degraded'], 'problems first');
  t.same(order.slice(0, 3).map((x) => x.split(':')[0]).sort(), [...sim.down, ...sim.degraded].sort());
  t.equal(order[3], 'v1:ok', 'then the leader');
  t.match(await page.locator('.summary').textContent(), /100 boards · 97 healthy · 1 degraded · 2 down · leader v1/);
  t.match(await page.locator(`li.tile[data-board="${sim.degraded[0]}"]`).textContent(), /800 entries behind/);

  const memoryLines = await page.locator('#chart-memory-title + svg polyline').evaluateAll((els) => els.map((e) => (e.getAttribute('points') ?? '').split(' ').length));
  t.equal(memoryLines.length, 100, 'one memory line per board');
  t.ok(Math.min(...memoryLines) >= 300, `each line spans the hour (fewest points: ${Math.min(...memoryLines)})`);
  t.match(await page.getByRole('img', { name: /Propagation/ }).getAttribute('aria-labelledby'), /chart-propagation-desc/);
  t.match(await page.locator('#chart-propagation-desc').textContent(), /latest 10 s: mean/, 'propagation figures arrived');

  await page.getByLabel('Sort').selectOption('memory');
  // The leader's figures are this test process's own; among the simulated boards the leaking one leads.
  await page.waitForFunction(() => document.querySelector('li.tile[data-board^="e"]')?.getAttribute('data-board') === 'e6', undefined, { timeout: 2_000 });
  t.pass('sorting by memory puts the leaking board first');
  await page.getByLabel('Sort').selectOption('problems');
  await page.getByLabel('Filter boards').fill('e9');
  await page.waitForFunction(() => document.querySelectorAll('li.tile').length === 7, undefined, { timeout: 2_000 });
  t.pass('the filter keeps e9 and e90-e95');
  await page.getByLabel('Filter boards').fill('');
  await page.waitForFunction(() => document.querySelectorAll('li.tile').length === 100, undefined, { timeout: 2_000 });

  if (updateScreenshots) {
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, 'installer-page-100-boards.png'), fullPage: false });
    await page.locator('#plots').screenshot({ path: join(screenshotDir, 'installer-page-100-boards-plots.png') });
  }
  await page.setViewportSize({ width: 375, height: 800 });
  await page.waitForTimeout(300);
  t.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0, 'no horizontal scrolling at 375 px');
  if (updateScreenshots) await page.screenshot({ path: join(screenshotDir, 'installer-page-100-boards-phone.png'), fullPage: false });
  t.same(errors, [], 'no script errors');
});
