/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import type { OrderEventEnvelope } from '@app/order-events';
import { ORDER_PATHS, orderHistory } from '../../../test/fixtures/order-histories';
import { launchChromium, saveScreenshot } from '../../../test/infra/browser';
import { buildApps } from '../../../test/infra/build';
import { waitFor } from '../../../tools/local-infra/wait-for';
import type { RunningApp } from '../../../tools/local-suite/suite-apps';
import { ADMIN_TOKEN, ProjectorUnderTest } from './projector.harness';

const SUITE = 'admin-console';

/**
 * The admin console in a real browser (Debian's Chromium through playwright-core) against the
 * built projector on the real cluster and database: what an operator does, click by click.
 */
describe('admin console (Chromium, built projector)', () => {
  const projector = new ProjectorUnderTest();
  let instance: RunningApp;
  let browser: Browser;
  let page: Page;
  const produced: OrderEventEnvelope[] = [];

  beforeAll(async () => {
    await buildApps();
    await projector.setUp();
    instance = await projector.start();
    browser = await launchChromium();
    page = await browser.newPage();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await projector.tearDown();
  }, 60_000);

  it('serves its files under a policy that allows only them, and nothing outside its folder', async () => {
    const redirect = await fetch(`${instance.url}/admin/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/admin/console/');
    for (const [file, type] of [
      ['', /^text\/html/],
      ['console.js', /javascript/],
      ['console.css', /^text\/css/],
    ] as const) {
      const response = await fetch(`${instance.url}/admin/console/${file}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(type);
      expect(response.headers.get('content-security-policy')).toMatch(
        /default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'/,
      );
      expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    // Beside the console's folder in dist/ lies the compiled app: out of reach.
    for (const escape of ['..%2fsrc%2fmain.js', '..%5csrc%5cmain.js', '.%2e/src/main.js']) {
      const response = await fetch(`${instance.url}/admin/console/${escape}`);
      expect([escape, [403, 404].includes(response.status)]).toEqual([escape, true]);
    }
  });

  it('shows a readable error for a wrong token, and keeps nothing of it', async () => {
    await page.goto(`${instance.url}/admin/console`);
    await signIn('not-the-token');
    await waitForText('#error', /The admin token is not valid \(ADMIN_TOKEN_INVALID\)/);
    expect(await page.isVisible('#dashboard')).toBe(false);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await saveScreenshot(page, SUITE, '01-wrong-token');
  });

  it('signs in, and shows the lag going to 0 while events flow', async () => {
    await signIn(ADMIN_TOKEN);
    await page.waitForSelector('#dashboard', { state: 'visible' });
    expect(page.url()).toBe(`${instance.url}/admin/console/`);
    expect(await page.isVisible('#error')).toBe(false);
    await waitForText('#state', /^live$/);
    await saveScreenshot(page, SUITE, '02-signed-in');

    // Events keep coming until the page has seen them flow (its chart's rate above 0).
    let batch = 0;
    await waitFor(
      async () => {
        const events = someOrders(`flow-${batch++}`, 50);
        produced.push(...events);
        await projector.produce(events);
        return Number(await page.textContent('#rate-peak')) > 0;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'the page to show events flowing' },
    );
    await saveScreenshot(page, SUITE, '03-events-flowing');
    await waitForText('#total-lag', /^0$/);
    await projector.waitUntilViewIsFoldOf(produced);
    const endOffsets = [...(await projector.endOffsets())]
      .sort(([a], [b]) => a - b)
      .map(([partition, end]) => [String(partition), String(end), String(end), '0']);
    let shown: (string | null)[][] = [];
    await waitFor(
      async () => {
        // Partition, next offset, end offset, lag: every partition read to its end.
        shown = await page.$$eval('#partitions tr', (rows) =>
          rows.map((row) => Array.from(row.children, (cell) => cell.textContent).slice(0, 4)),
        );
        return JSON.stringify(shown) === JSON.stringify(endOffsets) || undefined;
      },
      { timeoutMs: 30_000, description: 'every partition row at its end offset' },
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify({ shown, endOffsets })}`);
    });
    await saveScreenshot(page, SUITE, '04-caught-up');
  });

  it('stays signed in while the status cannot be read, showing why, and recovers by itself', async () => {
    // What the projector answers with Kafka away: the status needs Kafka, the parked list not.
    await page.route('**/admin/projections/order-view', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'KAFKA_UNAVAILABLE', message: 'Kafka does not answer' }),
      }),
    );
    await page.reload();
    await waitForText('#error', /Kafka does not answer \(KAFKA_UNAVAILABLE\)/);
    expect(await page.isVisible('#dashboard')).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
    await saveScreenshot(page, SUITE, '05-status-unavailable');

    await page.unroute('**/admin/projections/order-view');
    await page.waitForSelector('#error', { state: 'hidden' });
    await waitForText('#state', /^live$/);
  });

  it('starts a replay after confirming, and follows it to 100 % and the new generation', async () => {
    await waitForText('#generation', /^1$/);
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.click('#start-replay');
    await nextRefresh();
    expect(await projector.admin(instance, 'GET', '/admin/projections/order-view')).toMatchObject({
      body: { replay: null },
    });

    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#start-replay');
    await waitForText('#notice', /Replay \S+ started, building generation 2/);
    await saveScreenshot(page, SUITE, '06-replay-started');
    await waitForText('#generation', /^2$/, 120_000);
    await waitFor(async () => (await page.$eval('#replay-progress', progressValue)) === 100, {
      timeoutMs: 30_000,
      description: 'the progress bar at 100 %',
    });
    await waitForText('#replay-summary', /: completed, (\d+) of \1 events\./);
    await waitForText('#state', /^live$/);
    await saveScreenshot(page, SUITE, '07-replay-done');
  });

  it('retries and skips parked orders from the page, showing hostile event types as text', async () => {
    const [gappyPlaced, gappyPaid, gappyShipped] = orderHistory('gappy', 'shipped');
    const [oddPlaced, oddPaid] = orderHistory('odd', 'paid');
    const [hostilePlaced, hostilePaid] = orderHistory('hostile', 'paid');
    // Anyone allowed to produce writes these strings, and the page shows them.
    const hostileType = '<img src=x onerror="document.title=\'pwned\'">';
    await projector.produce([
      gappyPlaced,
      gappyShipped,
      oddPlaced,
      unknownType(oddPaid, 'OrderGiftWrapped'),
      { ...oddPaid, version: 3 },
      hostilePlaced,
      unknownType(hostilePaid, hostileType),
    ]);
    await waitFor(
      async () => {
        const ids = await parkedOrderIds();
        return ['gappy', 'odd', 'hostile'].every((id) => ids.includes(id)) || undefined;
      },
      { timeoutMs: 30_000, description: 'three parked orders on the page' },
    );
    // Text in a cell, not markup: no element was made of it, and its handler never ran.
    expect(await page.textContent(parkedRow('hostile'))).toContain(`v2 ${hostileType}`);
    expect(await page.$$('#parked img')).toHaveLength(0);
    expect(await page.title()).not.toBe('pwned');
    // The operator opens the unknown event: its envelope, as read, stays open across refreshes.
    await page.click(`${parkedRow('odd')} summary >> text=OrderGiftWrapped`);
    await nextRefresh();
    expect(await page.textContent(`${parkedRow('odd')} details[open] pre`)).toContain(
      '"paper": "red"',
    );
    await saveScreenshot(page, SUITE, '08-parked');

    // gappy's missing event arrives; the operator retries, and first changes their mind once.
    await projector.produce([gappyPaid]);
    await waitFor(
      async () =>
        ((await page.textContent(parkedRow('gappy'))) ?? '').includes('v2 OrderPaid') || undefined,
      { timeoutMs: 30_000, description: 'the late event to be parked behind the gap' },
    );
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.click(`${parkedRow('gappy')} >> text=Retry`);
    await nextRefresh();
    expect(await parkedOrderIds()).toContain('gappy');
    expect((await projector.admin(instance, 'GET', '/admin/parked')).body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ orderId: 'gappy', resolution: null })]),
    );

    page.once('dialog', (dialog) => void dialog.accept());
    await page.click(`${parkedRow('gappy')} >> text=Retry`);
    await waitForText('#notice', /Order gappy: 2 applied, 0 skipped, 0 still parked/);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.click(`${parkedRow('odd')} >> text=Skip first`);
    await waitForText('#notice', /Order odd: 1 applied, 1 skipped, 0 still parked/);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.click(`${parkedRow('hostile')} >> text=Skip first`);
    await waitForText('#notice', /Order hostile: 0 applied, 1 skipped, 0 still parked/);
    await page.waitForSelector('#parked-empty', { state: 'visible' });
    await saveScreenshot(page, SUITE, '09-decided');

    const versions = new Map(
      (await projector.viewRows()).map((row) => [row.order_id, row.version]),
    );
    // A skipped event still takes its version: the order moves past it.
    expect([versions.get('gappy'), versions.get('odd'), versions.get('hostile')]).toEqual([
      3, 3, 2,
    ]);
  });

  it('says when the parked list is cut short, since a skip acts on the lowest version', async () => {
    // 501 orders, each missing its first event: more than the 500 the list shows.
    const gaps = Array.from({ length: 501 }, (_, index) => orderHistory(`gap-${index}`, 'paid')[1]);
    await projector.produce(gaps);
    await page.waitForSelector('#parked-truncated', { state: 'visible', timeout: 60_000 });
    expect((await projector.admin(instance, 'GET', '/admin/parked')).body.truncated).toBe(true);
    await saveScreenshot(page, SUITE, '10-parked-truncated');
  });

  it('signs out, forgetting the token', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in', { state: 'visible' });
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await saveScreenshot(page, SUITE, '11-signed-out');
  });

  /** Waits until the page has refreshed once more (its "Updated" time changes). */
  async function nextRefresh(): Promise<void> {
    const before = await page.textContent('#updated');
    await waitFor(async () => (await page.textContent('#updated')) !== before || undefined, {
      timeoutMs: 10_000,
      description: 'the next refresh',
    });
  }

  async function signIn(token: string): Promise<void> {
    await page.fill('#token', token);
    await page.click('#sign-in button[type=submit]');
  }

  async function waitForText(selector: string, pattern: RegExp, timeoutMs = 30_000) {
    let last: string | null = null;
    await waitFor(
      async () => {
        last = await page.textContent(selector);
        return pattern.test(last ?? '') || undefined;
      },
      { timeoutMs, description: `${selector} to show ${pattern}` },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; it shows ${JSON.stringify(last)}`);
    });
  }

  function parkedOrderIds(): Promise<string[]> {
    return page.$$eval('#parked tr', (rows) =>
      rows.map((row) => (row as HTMLElement).dataset.orderId ?? ''),
    );
  }
});

function parkedRow(orderId: string): string {
  return `#parked tr[data-order-id="${orderId}"]`;
}

function progressValue(element: Element): number {
  return (element as HTMLProgressElement).value;
}

function unknownType(event: OrderEventEnvelope, type: string): OrderEventEnvelope {
  return { ...event, type, data: { paper: 'red' } } as unknown as OrderEventEnvelope;
}

/** `count` orders along every path in turn. */
function someOrders(prefix: string, count: number): OrderEventEnvelope[] {
  return Array.from({ length: count }, (_, index) =>
    orderHistory(`${prefix}-${index}`, ORDER_PATHS[index % ORDER_PATHS.length]),
  ).flat();
}
