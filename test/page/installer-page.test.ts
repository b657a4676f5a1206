// The installer's page in a real browser (Debian's Chromium) against a real installation of
// five boards, each its own process: every board shown, a leader killed with SIGKILL shown as
// down and its successor shown, a scene written over REST in the configuration and the live
// feed, the page reconnecting by itself while its own board restarts, a 375 px layout that
// does not overflow, keyboard use and labels. UPDATE_SCREENSHOTS=1 writes docs/page/*.png.
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startInstallation, dumpLogsOnFailure } from '../helpers/installation.ts';
import { chromiumMissing, openBrowser, screenshotDir, updateScreenshots } from '../helpers/browser.ts';
import type { Installation } from '../../src/bench/launcher.ts';

const post = async (inst: Installation, via: string, path: string, body: unknown): Promise<number> => {
  const r = await inst.json(via, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status !== 201) throw new Error(`POST ${path} via ${via}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.revision as number;
};

const tileIds = (page: Page): Promise<string[]> =>
  page.locator('li.tile').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['board'] ?? '').sort());

async function shot(page: Page, name: string): Promise<void> {
  if (!updateScreenshots) return;
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, name), fullPage: true });
}

t.test('the installer\'s page follows a live installation in Chromium', { skip: chromiumMissing() }, async (t) => {
  const inst = await startInstallation(t, 3, 2);
  dumpLogsOnFailure(t, inst);
  const leader = await inst.waitForLeader();
  inst.start('e1');
  inst.start('e2');
  await inst.waitForRole('e1', 'external');
  await inst.waitForRole('e2', 'external');

  const browser = await openBrowser(t);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The page of an external board: it stays up while the leader is killed.
  await page.goto(`${inst.get('e1').url}/`);

  await t.test('every board is shown with the leader', async (t) => {
    await page.waitForFunction((n) => document.querySelectorAll('li.tile').length === n, 5, { timeout: 15_000 });
    t.same(await tileIds(page), ['e1', 'e2', 'v1', 'v2', 'v3']);
    await page.waitForFunction((id) => document.querySelector(`li.tile[data-board="${id}"]`)?.getAttribute('data-role') === 'leader', leader, { timeout: 10_000 });
    t.equal(await page.getByTestId('leader').textContent(), leader, 'the summary names the leader');
    await page.waitForFunction(() => [...document.querySelectorAll('li.tile')].every((e) => e.getAttribute('data-health') === 'ok'), undefined, { timeout: 15_000 });
    t.pass('all five boards healthy');
    t.equal(await page.locator('[data-link]').getAttribute('data-link'), 'live');
  });

  await t.test('a scene written over REST appears in the configuration and the live feed', async (t) => {
    const via = ['v1', 'v2', 'v3'].find((v) => v !== leader)!;
    await post(inst, via, '/v1/areas', { id: 'lobby', name: 'Lobby', type: 'room', parent: null });
    await post(inst, via, '/v1/devices', { id: 'lobby-dimmer', name: 'Lobby dimmer', kind: 'dimmer', serialNumber: 'RR-00017', model: 'RRD-6NA', area: 'lobby' });
    await post(inst, via, '/v1/zones', { id: 'downlights', name: 'Downlights', type: 'led', device: 'lobby-dimmer', minLevel: 5, maxLevel: 95 });
    const written = Date.now();
    const rev = await post(inst, via, '/v1/scenes', { id: 'evening', name: 'Evening', fadeSeconds: 3, levels: [{ zone: 'downlights', level: 40 }] });
    await page.locator(`ol.feed li[data-kind="scene"][data-id="evening"][data-revision="${rev}"]`).waitFor({ timeout: 10_000 });
    t.comment(`scene in the live feed ${Date.now() - written} ms after the REST answer`);
    const scene = page.locator('li[data-scene="evening"]');
    await scene.waitFor({ timeout: 10_000 });
    t.match(await scene.textContent(), /Evening.*rev \d+.*Downlights 40 %/, 'the configuration view shows the scene with its level');
    t.match(await page.locator('.tree').textContent(), /Lobby.*Lobby dimmer.*Downlights/, 'areas → devices → zones');
    // Search narrows the view; the details show the revision and the history.
    await page.getByLabel('Search by name or id').fill('even');
    t.equal(await page.locator('li[data-scene]').count(), 1);
    await page.locator('button.obj[data-kind="scene"][data-id="evening"]').click();
    const details = page.getByRole('complementary', { name: 'Object details' });
    await details.getByText(`rev ${rev}: create`).waitFor({ timeout: 2_000 });
    t.match(await details.textContent(), new RegExp(`revision ${rev}.*rev ${rev}: create`, 's'), 'details: revision and recent history');
    await page.getByLabel('Search by name or id').fill('');
  });

  await t.test('keyboard and labels', async (t) => {
    const unlabelled = await page.locator('input, select').evaluateAll((els) => els.filter((e) => (e as HTMLInputElement).labels?.length === 0).length);
    t.equal(unlabelled, 0, 'every input and select has a label');
    const nameless = await page.locator('button').evaluateAll((els) => els.filter((e) => (e.getAttribute('aria-label') ?? e.textContent ?? '').trim() === '').length);
    t.equal(nameless, 0, 'every button has a name');
    for (const name of [/Memory per board/, /Write latency/, /Propagation/]) t.equal(await page.getByRole('img', { name }).count(), 1, `chart ${name} has a text alternative`);
    // From the top of a freshly loaded page: the skip link first, then on through the controls by Tab alone.
    await page.reload();
    await page.waitForFunction((n) => document.querySelectorAll('li.tile').length === n, 5, { timeout: 15_000 });
    await page.keyboard.press('Tab');
    t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to the installation');
    const reached = new Set<string>();
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate(() => {
        const e = document.activeElement as HTMLElement | null;
        return e ? `${e.tagName.toLowerCase()}:${(e as HTMLInputElement).labels?.[0]?.firstChild?.textContent?.trim() ?? e.closest('li.tile')?.getAttribute('data-board') ?? e.textContent?.trim().slice(0, 20)}` : '';
      }));
    }
    t.ok(reached.has('input:Filter boards'), 'Tab reaches the board filter');
    t.ok(reached.has('select:Sort'), `Tab reaches the sort (reached: ${[...reached].join(', ')})`);
    t.ok([...reached].some((r) => r.startsWith('button:')), 'Tab reaches the board tiles');
    // Filter and highlight with the keyboard only.
    await page.getByLabel('Filter boards').focus();
    await page.keyboard.type('e2');
    t.same(await tileIds(page), ['e2'], 'typing filters the boards');
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
    t.equal(await page.evaluate(() => document.activeElement?.closest('li.tile')?.getAttribute('data-board')), 'e2', 'three Tabs later: the tile');
    await page.keyboard.press('Space');
    await page.locator('li.tile[data-board="e2"] button[aria-pressed="true"]').waitFor({ timeout: 2_000 });
    t.pass('Space on a tile highlights the board');
    await page.getByLabel('Filter boards').fill('');
  });

  await t.test('375 px wide: nothing overflows', async (t) => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    t.equal(overflow, 0, 'no horizontal scrolling');
    const outside = await page.locator('li.tile, figure.chart, section').evaluateAll((els) => els.filter((e) => e.getBoundingClientRect().right > 375.5).length);
    t.equal(outside, 0, 'tiles, charts and sections fit the width');
    await shot(page, 'installer-page-phone.png');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await t.test('a leader killed with SIGKILL shows as down and the new leader appears', async (t) => {
    const killedAt = Date.now();
    await inst.stop(leader, 'SIGKILL');
    const next = await inst.waitForLeader(30_000, [leader]);
    const electedSeen = Date.now();
    // Within 2 s of the new leader answering over REST, the page shows both facts.
    await page.waitForFunction(([old, nu]) => {
      const tile = (id: string) => document.querySelector(`li.tile[data-board="${id}"]`);
      return document.querySelector('[data-testid="leader"]')?.textContent === nu
        && tile(nu!)?.getAttribute('data-role') === 'leader'
        && tile(old!)?.getAttribute('data-health') === 'down';
    }, [leader, next], { timeout: 2_000, polling: 50 });
    const shownAt = Date.now();
    t.pass(`page shows ${leader} down and ${next} leading`);
    t.comment(`SIGKILL → new leader seen over REST: ${electedSeen - killedAt} ms; → shown on the page: ${shownAt - killedAt} ms`);
    t.match(await page.locator(`li.tile[data-board="${leader}"]`).textContent(), /down: unreachable/);
    await page.locator('ol.timeline li', { hasText: `${next} leads` }).waitFor({ timeout: 5_000 });
    t.pass('the timeline records the new leader');
    inst.start(leader);
    await page.waitForFunction((id) => document.querySelector(`li.tile[data-board="${id}"]`)?.getAttribute('data-health') === 'ok', leader, { timeout: 30_000 });
    t.pass('the restarted board is healthy again');
  });

  await t.test('the page reconnects by itself while its own board restarts', async (t) => {
    await inst.stop('e1', 'SIGTERM');
    await page.locator('[data-link="reconnecting"]').waitFor({ timeout: 10_000 });
    t.pass('the page shows it is reconnecting');
    inst.start('e1');
    await page.locator('[data-link="live"]').waitFor({ timeout: 30_000 });
    const current = await inst.waitForLeader();
    const rev = await post(inst, current, '/v1/scenes', { id: 'night', name: 'Night', fadeSeconds: 10, levels: [{ zone: 'downlights', level: 5 }] });
    await page.locator(`ol.feed li[data-id="night"][data-revision="${rev}"]`).waitFor({ timeout: 15_000 });
    await page.locator('li[data-scene="night"]').waitFor({ timeout: 10_000 });
    t.pass('after the restart, new changes arrive without a reload');
    await page.waitForFunction((n) => document.querySelectorAll('li.tile').length === n, 5, { timeout: 15_000 });
  });

  // The README's picture: after a leader change and a restart, with some samples in the plots.
  await page.waitForTimeout(updateScreenshots ? 12_000 : 0);
  await shot(page, 'installer-page.png');
  t.same(errors, [], 'no script errors on the page');
});
