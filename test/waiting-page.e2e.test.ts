import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, randomId, repoRoot, waitFor } from './fixtures/basics.ts';
import { usePipeline } from './fixtures/pipeline.ts';

/** Debian's Chromium; scripts/test installs it (ensure_chromium in scripts/lib/services.sh). */
const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
];

/** The shop's users sign in with the shop; it links them to the page with their token (AUTH_MODE=jwt). */
const jwtSecret = 'waiting-page-test-secret-0123456789abcdef';
const shopperToken = (userId: string) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(jwtSecret));

/** What the page says when the drop is sold out (waiting-page/src/words.ts). */
const soldOutText = 'Sold out: every coupon of this drop is taken.';

function ensureWaitingPageBuilt(): void {
  if (existsSync(join(repoRoot, 'waiting-page/dist/index.html'))) return;
  const build = spawnSync('npm', ['run', '--silent', 'build:dashboard'], { cwd: repoRoot, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build:dashboard failed:\n${build.stdout}${build.stderr}`);
}

/** Waits until the page shows `expected` in the element: the page polls by itself. */
const waitForText = (page: Page, selector: string, expected: string | RegExp) =>
  waitFor(
    `${selector} to show ${String(expected)}`,
    async () => {
      const text = (await page.locator(selector).first().textContent()) ?? '';
      return (typeof expected === 'string' ? text.trim() === expected : expected.test(text)) && text;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );

describe('the waiting page in a real browser', () => {
  // The page and its assets exist before the API starts: it looks for them once, when it starts.
  const admissionKeys: JWK[] = [];
  beforeAll(async () => {
    ensureWaitingPageBuilt();
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    admissionKeys.push({ ...(await exportJWK(privateKey)), kid: randomId('admission') });
  });
  const p = usePipeline(() => ({
    AUTH_MODE: 'jwt',
    JWT_SECRET: jwtSecret,
    ADMISSION_KEYS: JSON.stringify(admissionKeys),
  }));
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `${chromiumPath} is missing: run npm test (it installs Debian's chromium) or apt-get install chromium`,
      );
    }
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  });
  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
  });

  async function createQueuedEvent(event: {
    stock: number;
    startsAtMs: number;
    admitPerSecond: number;
    maxActive?: number;
  }): Promise<string> {
    const id = randomId('queued');
    const response = await fetch(`${p.api.baseUrl}/admin/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id,
        name: 'Midnight sneaker drop',
        stock: event.stock,
        startsAt: new Date(event.startsAtMs).toISOString(),
        queue: {
          prequeueAt: new Date().toISOString(),
          admitPerSecond: event.admitPerSecond,
          ...(event.maxActive === undefined ? {} : { maxActive: event.maxActive }),
          tokenTtlSeconds: 300,
        },
      }),
    });
    if (response.status !== 201) throw new Error(`creating event ${id}: ${response.status} ${await response.text()}`);
    return id;
  }

  /** A shopper's own browser, opening the link the shop gives them; every URL it asks for is kept. */
  async function openAs(userId: string, eventId: string) {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    const token = await shopperToken(userId);
    await page.goto(`${p.api.baseUrl}/wait/${eventId}#token=${token}`);
    return { page, token, requested };
  }

  const claimsOf = async (eventId: string, token: string) => {
    const response = await fetch(`${p.api.baseUrl}/events/${eventId}/claims/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return ((await response.json()) as { claims: Array<{ status: string }> }).claims;
  };

  it('counts down to the opening on the server clock, joins the pre-queue, and keeps the token out of every URL', async () => {
    p.processes.dumpOnFailure();
    const startsAtMs = Math.ceil(Date.now() / 1000) * 1000 + 3_600_000;
    const eventId = await createQueuedEvent({ stock: 10, startsAtMs, admitPerSecond: 10 });
    const { page, token, requested } = await openAs('early-bird', eventId);

    await waitForText(page, '#event-name', 'Midnight sneaker drop');
    const first = await waitForText(page, '#countdown', /^The sale opens in (00:59:[0-5]\d|01:00:00)$/);
    await waitFor(
      'the countdown to tick',
      async () => ((await page.locator('#countdown').textContent()) ?? first) !== first,
    );
    await waitForText(page, '#status', 'Join the queue to get your place.');

    await page.locator('#join').click();
    await waitForText(page, '#status', 'You are in the queue.');
    expect(await page.locator('#wait').getAttribute('data-state')).toBe('prequeue');
    expect(await page.locator('#join').isHidden()).toBe(true);

    // A reload keeps the place: the server knows the shopper, the tab keeps the token.
    await page.reload();
    await waitForText(page, '#status', 'You are in the queue.');
    expect(await page.locator('#countdown').isVisible()).toBe(true);

    // The token left the address bar at once, stays in this tab, and never went into a URL.
    expect(new URL(page.url()).hash).toBe('');
    expect(await page.evaluate(() => sessionStorage.getItem('firstcome.shopperToken'))).toBe(token);
    expect(requested.filter((url) => url.includes(token))).toEqual([]);
  });

  it('shows each place while waiting, a claim button when the turn comes that claims once however often clicked, and sold out to the rest', async () => {
    p.processes.dumpOnFailure();
    // Two coupons; one unused turn at a time (maxActive 1), so the line moves only as turns are used.
    const eventId = await createQueuedEvent({
      stock: 2,
      startsAtMs: Date.now() + 3000,
      admitPerSecond: 50,
      maxActive: 1,
    });

    // Alice joins first (before or after the opening): hers is the first turn.
    const alice = await openAs('alice', eventId);
    await waitForText(alice.page, '#status', 'Join the queue to get your place.');
    await alice.page.locator('#join').click();
    await alice.page.locator('#claim').waitFor({ state: 'visible', timeout: 60_000 });
    await waitForText(alice.page, '#status', 'It is your turn!');
    await waitForText(alice.page, '#turn-left', /^Claim within 00:0[45]:[0-5]\d$/);

    // Bob and Carol join after the opening, in that order, while Alice's turn holds the line.
    const bob = await openAs('bob', eventId);
    await bob.page.locator('#join').click();
    await waitForText(bob.page, '#status', 'You are number 2 in line.');
    await waitForText(bob.page, '#detail', /^Nobody is ahead of you\./);
    const carol = await openAs('carol', eventId);
    await carol.page.locator('#join').click();
    await waitForText(carol.page, '#status', 'You are number 3 in line.');
    await waitForText(carol.page, '#detail', /^1 person ahead of you\./);
    expect(await bob.page.locator('#claim').isHidden()).toBe(true);

    // A double click is one claim: the button waits for the answer, and the Idempotency-Key is the page's.
    await alice.page.locator('#claim').dblclick();
    await waitForText(alice.page, '#status', 'Claimed! Your coupon is being issued.');
    expect(await alice.page.locator('#wait').getAttribute('data-state')).toBe('claimed');
    expect(await claimsOf(eventId, alice.token)).toEqual([expect.objectContaining({ status: 'pending' })]);

    // Alice used her turn: the line moves on to Bob.
    await bob.page.locator('#claim').waitFor({ state: 'visible', timeout: 60_000 });
    await bob.page.locator('#claim').click();
    await waitForText(bob.page, '#status', 'Claimed! Your coupon is being issued.');
    expect(await claimsOf(eventId, bob.token)).toEqual([expect.objectContaining({ status: 'pending' })]);

    // Both coupons are taken: Carol, still waiting, learns it without doing anything.
    await waitForText(carol.page, '#status', soldOutText);
    expect(await carol.page.locator('#wait').getAttribute('data-state')).toBe('sold_out');
    expect(await carol.page.locator('#claim').isHidden()).toBe(true);
    expect(await claimsOf(eventId, carol.token)).toEqual([]);
  });
});
