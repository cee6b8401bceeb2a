import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, freePort, randomId, repoRoot, waitFor } from './fixtures/basics.ts';
import { spawnFirstcome, type FirstcomeProcess } from './fixtures/processes.ts';
import { startPrivateRedis, useDatabase, useKafkaTopics } from './fixtures/datastores.ts';

/** Debian's Chromium; scripts/test installs it (ensure_chromium in scripts/lib/services.sh). */
const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** `UPDATE_SCREENSHOT=1 npm test -- test/dashboard.e2e.test.ts` refreshes the README's picture; tests leave the tree alone. */
const screenshotPath = process.env.UPDATE_SCREENSHOT === '1' ? join(repoRoot, 'docs/dashboard.png') : undefined;

function ensureDashboardBuilt(): void {
  if (existsSync(join(repoRoot, 'dashboard/dist/index.html'))) return;
  const build = spawnSync('npm', ['run', '--silent', 'build:dashboard'], { cwd: repoRoot, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build:dashboard failed:\n${build.stdout}${build.stderr}`);
}

const chartPoints = async (page: Page) => Number(await page.locator('#chart').getAttribute('data-points'));
const figure = (page: Page, name: string) => page.locator(`[data-figure="${name}"]`);

/** Waits until the page shows `expected` in the element: the figures arrive by themselves, once a second. */
const waitForText = (page: Page, selector: string, expected: string | RegExp) =>
  waitFor(
    `${selector} to show ${String(expected)}`,
    async () => {
      const text = (await page.locator(selector).first().textContent()) ?? '';
      return (typeof expected === 'string' ? text.trim() === expected : expected.test(text)) && text;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );

describe('the dashboard in a real browser', () => {
  const t = useDatabase();
  const topics = useKafkaTopics();
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let service: FirstcomeProcess;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    ensureDashboardBuilt();
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `${chromiumPath} is missing: run npm test (it installs Debian's chromium) or apt-get install chromium`,
      );
    }
    // A Redis of its own: `firstcome start` seeds a "demo" event, which must not meet anyone else's.
    redis = await startPrivateRedis();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    service = spawnFirstcome(['start'], {
      PORT: String(port),
      DATABASE_URL: t.url,
      REDIS_URL: redis.url,
      KAFKA_TOPIC: topics.topic(),
      KAFKA_PARTITIONS: '2',
    });
    await waitFor('firstcome start to answer', async () => {
      if (service.child.exitCode !== null) throw new Error(`firstcome start exited: ${service.output()}`);
      return (await fetch(`${baseUrl}/healthz`).catch(() => undefined))?.ok;
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  });
  afterAll(async () => {
    await browser?.close();
    await service?.kill();
    await redis?.stop();
  });

  const claim = async (eventId: string, userId: string) =>
    (await fetch(`${baseUrl}/events/${eventId}/claims`, { method: 'POST', headers: { 'x-user-id': userId } })).status;

  it('signs in, creates an event, and shows claims selling it out and the coupons landing, live', async () => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('dialog', (dialog) => void dialog.accept());

    await page.goto(`${baseUrl}/dashboard`);
    await page.locator('#token').fill('not-the-admin-token');
    await page.locator('#sign-in-form button').click();
    await waitForText(page, '#sign-in-error', 'That token is not the admin token.');

    await page.locator('#token').fill(adminToken);
    await page.locator('#sign-in-form button').click();
    await waitForText(page, '#event-list', /Demo drop/);

    const eventId = randomId('browser');
    await page.locator('#create-form input[name=name]').fill('Spring coupon drop');
    await page.locator('#create-form input[name=stock]').fill('100');
    await page.locator('#create-form input[name=id]').fill(eventId);
    await page.locator('#create-form button').click();
    await waitForText(page, '#event-id', eventId);
    await waitForText(page, '[data-figure="remaining"]', '100');
    expect(await figure(page, 'stock').textContent()).toBe('100');
    await waitForText(page, '#event-state', 'open');
    const chartBefore = await page.locator('#chart canvas').screenshot();

    // Claims arrive in waves, each watched on the page for two more seconds, so the chart climbs in steps.
    const shoppers = Array.from({ length: 160 }, (_, i) => `shopper-${i}`);
    const waves = [
      { users: shoppers.slice(0, 30), admitted: '30' },
      // Ten shoppers of the first wave try again: one coupon per user, so limit_reached.
      { users: [...shoppers.slice(30, 70), ...shoppers.slice(0, 10)], admitted: '70' },
      { users: shoppers.slice(70, 160), admitted: '100' },
    ];
    for (const wave of waves) {
      const statuses = await Promise.all(wave.users.map((userId) => claim(eventId, userId)));
      expect(statuses.every((status) => status === 202 || status === 409)).toBe(true);
      await waitForText(page, '[data-figure="admitted"]', wave.admitted);
      const points = await chartPoints(page);
      await waitFor('two more points on the chart', async () => (await chartPoints(page)) >= points + 2);
    }
    await waitForText(page, '[data-figure="remaining"]', '0');
    await waitForText(page, '#event-state', 'sold out');
    await waitForText(page, '[data-reason="sold_out"]', /^sold out: 60 \(/);
    await waitForText(page, '[data-reason="limit_reached"]', /^limit reached: 10 \(/);
    await waitForText(page, '[data-figure="issued"]', '100');
    await waitForText(page, '[data-figure="pending"]', '0');
    await waitForText(page, '[data-figure="outboxBacklog"]', '0');
    await waitForText(page, '[data-figure="kafkaLag"]', '0');
    expect(await figure(page, 'failed').textContent()).toBe('0');

    expect(await chartPoints(page)).toBeGreaterThanOrEqual(7);
    expect((await page.locator('#chart canvas').screenshot()).equals(chartBefore)).toBe(false);
    if (screenshotPath) await page.screenshot({ path: screenshotPath });

    await page.locator('#close-event').click();
    await waitForText(page, '#event-state', 'ended');
    expect(await claim(eventId, 'late-shopper')).toBe(409);

    // The token stays in this tab's sessionStorage and in headers: never in a URL, never in localStorage.
    expect(requested.filter((url) => url.includes(adminToken))).toEqual([]);
    expect(await page.evaluate(() => sessionStorage.getItem('firstcome.adminToken'))).toBe(adminToken);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await page.close();
  });
});
