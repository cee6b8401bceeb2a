import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, randomId, repoRoot, waitFor } from './fixtures/basics.ts';
import { usePipeline } from './fixtures/pipeline.ts';
import { createEventVia } from './fixtures/promises.ts';

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
  // The API, a relay and a worker on stores of their own, so the figures move only with this test's claims.
  const p = usePipeline();
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    ensureDashboardBuilt();
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `${chromiumPath} is missing: run npm test (it installs Debian's chromium) or apt-get install chromium`,
      );
    }
    baseUrl = p.api.baseUrl;
    p.spawn('relay');
    p.spawn('worker');
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  });
  afterAll(async () => {
    await browser?.close();
  });

  const claimAnswer = async (eventId: string, userId: string) => {
    const response = await fetch(`${baseUrl}/events/${eventId}/claims`, {
      method: 'POST',
      headers: { 'x-user-id': userId },
    });
    return { status: response.status, body: (await response.json()) as { error?: string } };
  };
  const claim = async (eventId: string, userId: string) => (await claimAnswer(eventId, userId)).status;

  it('signs in, creates an event, shows claims selling it out and the coupons landing, live, and closes an event with stock left', async () => {
    p.processes.dumpOnFailure();
    // An event made before the page opens: the list shows it once the admin token is accepted.
    const earlier = randomId('earlier');
    await createEventVia(p.api, { id: earlier, name: 'Winter drop', stock: 10 });
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
    await waitForText(page, '#event-list', /Winter drop/);

    const eventId = randomId('browser');
    await page.locator('#create-form input[name=name]').fill('Spring coupon drop');
    await page.locator('#create-form input[name=stock]').fill('100');
    await page.locator('#create-form input[name=id]').fill(eventId);
    await page.locator('#create-form button').click();
    await waitForText(page, '#event-id', eventId);
    await waitForText(page, '[data-figure="remaining"]', '100');
    expect(await figure(page, 'stock').textContent()).toBe('100');
    await waitForText(page, '#event-state', 'open');
    // First come, first served: no queue, no queue panel.
    expect(await page.locator('#queue-panel').isHidden()).toBe(true);
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

    // A second event with stock left, closed from the page: claims end at once, the stock stays unissued.
    const closing = randomId('closing');
    await page.locator('#create-form input[name=name]').fill('Flash sale');
    await page.locator('#create-form input[name=stock]').fill('50');
    await page.locator('#create-form input[name=id]').fill(closing);
    await page.locator('#create-form button').click();
    await waitForText(page, '#event-id', closing);
    const early = await Promise.all(['early-1', 'early-2', 'early-3'].map((userId) => claim(closing, userId)));
    expect(early).toEqual([202, 202, 202]);
    await waitForText(page, '[data-figure="admitted"]', '3');
    await waitForText(page, '[data-figure="remaining"]', '47');
    await waitForText(page, '#event-state', 'open');
    await page.locator('#close-event').click();
    await waitForText(page, '#event-state', 'ended');
    const ended = { status: 409, body: { error: 'ended', message: expect.any(String) } };
    expect(await claimAnswer(closing, 'late-shopper')).toEqual(ended);
    // Also through an API process started after the close: no memory of it, so the gate itself says ended.
    const later = await p.spawnApi();
    const response = await fetch(`${later.baseUrl}/events/${closing}/claims`, {
      method: 'POST',
      headers: { 'x-user-id': 'later-shopper' },
    });
    expect({ status: response.status, body: await response.json() }).toEqual(ended);
    await waitForText(page, '[data-figure="issued"]', '3');
    expect(await figure(page, 'remaining').textContent()).toBe('47');
    expect(await figure(page, 'admitted').textContent()).toBe('3');

    // The token stays in this tab's sessionStorage and in headers: never in a URL, never in localStorage.
    expect(requested.filter((url) => url.includes(adminToken))).toEqual([]);
    expect(await page.evaluate(() => sessionStorage.getItem('firstcome.adminToken'))).toBe(adminToken);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await page.close();
  });

  it('schedules a drop from the form with a countdown to its start, retries its failed claims from the panel, and keeps its figures across a reload', async () => {
    p.processes.dumpOnFailure();
    const page = await browser.newPage({ viewport: { width: 1360, height: 1200 } });
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${baseUrl}/dashboard`);
    await page.locator('#token').fill(adminToken);
    await page.locator('#sign-in-form button').click();
    await page.locator('#dashboard-screen').waitFor({ state: 'visible' });

    // Whole seconds, two and three hours ahead, typed as the browser's local time like a person would.
    const startsAtMs = Math.ceil(Date.now() / 1000) * 1000 + 2 * 3_600_000;
    const endsAtMs = startsAtMs + 3_600_000;
    const localField = (ms: number) =>
      page.evaluate((at) => {
        const d = new Date(at);
        const pad = (n: number) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
      }, ms);
    const eventId = randomId('scheduled');
    await page.locator('#create-form input[name=name]').fill('Scheduled drop');
    await page.locator('#create-form input[name=stock]').fill('20');
    await page.locator('#create-form input[name=id]').fill(eventId);
    await page.locator('#create-form input[name=startsAt]').fill(await localField(startsAtMs));
    await page.locator('#create-form input[name=endsAt]').fill(await localField(endsAtMs));
    await page.locator('#create-form button').click();
    await waitForText(page, '#event-id', eventId);
    await waitForText(page, '#event-state', 'upcoming');

    const stored = await fetch(`${baseUrl}/admin/events/${eventId}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(await stored.json()).toMatchObject({
      startsAt: new Date(startsAtMs).toISOString(),
      endsAt: new Date(endsAtMs).toISOString(),
    });
    const first = await waitForText(page, '#countdown', /^Starts in (01:59:[0-5]\d|02:00:00)$/);
    await waitFor(
      'the countdown to tick',
      async () => ((await page.locator('#countdown').textContent()) ?? first) !== first,
    );
    expect(await claim(eventId, 'too-early')).toBe(409);

    // A claim the worker could not issue, waiting an hour for its next attempt: the panel lists it, and
    // its button makes it due now.
    const failed = {
      claimId: randomId('failed'),
      eventId,
      userId: 'unlucky',
      seq: 1,
      slot: 1,
      admittedAtMs: Date.now(),
    };
    await p.t.store.recordFailedClaims([{ claim: failed, reason: 'refused: database down' }]);
    await p.t.store.recordRetryOutcomes([
      { claimId: failed.claimId, state: 'retrying', attempts: 1, reason: 'refused: database down', delayMs: 3_600_000 },
    ]);
    await waitForText(page, `#failed-rows tr[data-claim-id="${failed.claimId}"]`, /unlucky\s*retrying\s*1/);
    await waitForText(page, '#failed-note', /^1 waiting for the retry job, 0 dead/);
    await page.locator('#retry-failed').click();
    await waitForText(page, '#failed-note', /^1 waiting claims made due now/);

    // The API samples the event every few seconds whoever watches; once it has, a reload starts from
    // those points rather than an empty chart (the live stream keeps nothing once its last watcher leaves).
    await waitFor('the API to hold two samples of the event', async () => {
      const history = await fetch(`${baseUrl}/admin/events/${eventId}/history`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      return ((await history.json()) as { points: unknown[] }).points.length >= 2;
    });
    const reloadedAtMs = Date.now();
    await page.reload();
    await waitForText(page, '#event-id', eventId);
    await waitForText(page, '[data-figure="stock"]', '20');
    await waitForText(page, '#event-state', 'upcoming');
    await waitForText(page, '#countdown', /^Starts in 01:5\d:[0-5]\d$/);
    const firstPointAtMs = await waitFor('the chart to hold points', async () =>
      Number((await page.locator('#chart').getAttribute('data-first-at-ms')) || 0),
    );
    expect(firstPointAtMs).toBeLessThan(reloadedAtMs);
    await page.close();
  });

  it("shows a queued event's queue settings in the queue panel, the seed kept secret until the opening", async () => {
    p.processes.dumpOnFailure();
    const eventId = randomId('queued');
    const startsAtMs = Date.now() + 3_600_000;
    const created = await fetch(`${baseUrl}/admin/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: eventId,
        name: 'Queued drop',
        stock: 50,
        startsAt: new Date(startsAtMs).toISOString(),
        queue: { prequeueAt: new Date(startsAtMs - 600_000).toISOString(), admitPerSecond: 25, maxActive: 100 },
      }),
    });
    expect(created.status).toBe(201);
    const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
    await page.goto(`${baseUrl}/dashboard#event=${eventId}`);
    await page.locator('#token').fill(adminToken);
    await page.locator('#sign-in-form button').click();
    await waitForText(page, '#event-id', eventId);
    await page.locator('#queue-panel').waitFor({ state: 'visible' });
    await waitForText(page, '[data-queue="settings"]', /· 25\/s · holds at 100 unused turns · a turn lasts 300 s$/);
    await waitForText(page, '[data-queue="seed"]', 'revealed at the opening');
    expect(await page.locator('[data-queue="paceSetting"]').textContent()).toBe('setting 25/s');
    await page.close();
  });
});
