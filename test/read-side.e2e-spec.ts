import { randomInt } from 'node:crypto';
import type { OrderEventEnvelope } from '@app/order-events';
import {
  anOrder,
  anOrderTotal,
  postJson,
} from '../apps/command-service/test/command-service.harness';
import { ORDER_PATHS, orderHistory } from './fixtures/order-histories';
import { waitFor } from '../tools/local-infra/wait-for';
import type { RunningApp } from '../tools/local-suite/suite-apps';
import { ThreeAppsUnderTest } from './infra/three-apps';
import { readTopicUntil } from './infra/topic-reader';

/** The three built apps on one topic: commands in, the view out, read-your-writes between. */
describe('read side end to end (command-service, projector, query-service)', () => {
  const apps = new ThreeAppsUnderTest();
  const { projector } = apps;
  let projectorApp: RunningApp;
  let queryApp: RunningApp;
  let commandApp: RunningApp;

  beforeAll(async () => {
    await apps.setUp();
    ({ projectorApp, queryApp, commandApp } = apps);
  }, 300_000);

  afterAll(() => apps.tearDown(), 60_000);

  const read = (path: string) => fetch(`${queryApp.url}${path}`);

  it('place → pay → ship: each read with the returned minVersion shows the new state, no retry', async () => {
    const placed = await postJson<{ orderId: string; version: number }>(
      `${commandApp.url}/orders`,
      anOrder,
    );
    expect(placed.status).toBe(201);
    const { orderId } = placed.body;
    const steps: [string, unknown, string][] = [
      ['pay', { amount: anOrderTotal, paymentReference: 'psp-1' }, 'PAID'],
      ['ship', { carrier: 'DHL', trackingNumber: 'T-1' }, 'SHIPPED'],
    ];
    let version = placed.body.version;
    let response = await read(`/orders/${orderId}?minVersion=${version}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      orderId,
      status: 'PLACED',
      version: 1,
      total: anOrderTotal,
    });
    for (const [command, body, status] of steps) {
      const result = await postJson<{ version: number }>(
        `${commandApp.url}/orders/${orderId}/${command}`,
        body,
      );
      expect(result.status).toBe(200);
      version = result.body.version;
      response = await read(`/orders/${orderId}?minVersion=${version}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).toBe(`"${version}"`);
      expect(await response.json()).toMatchObject({ orderId, status, version });
    }
  });

  it('with the projector stopped a minVersion read gets 503 + Retry-After; after a restart, 200', async () => {
    await projector.stopAll();
    const placed = await postJson<{ orderId: string }>(`${commandApp.url}/orders`, anOrder);
    const path = `/orders/${placed.body.orderId}?minVersion=1&waitMs=1000`;
    const behind = await read(path);
    expect(behind.status).toBe(503);
    expect(behind.headers.get('retry-after')).toBe('1');
    expect(await behind.json()).toMatchObject({
      error: 'VIEW_BEHIND',
      orderId: placed.body.orderId,
      currentVersion: 0,
    });

    projectorApp = await projector.start();
    const caughtUp = await read(`/orders/${placed.body.orderId}?minVersion=1&waitMs=10000`);
    expect(caughtUp.status).toBe(200);
  });

  it('replays 100k events while commands flow: reads never fail, no version goes backwards, the view ends as the fold of the topic', async () => {
    const histories = Array.from({ length: 45_455 }, (_, index) =>
      orderHistory(`bulk-${index}`, ORDER_PATHS[index % ORDER_PATHS.length]),
    );
    const bulk: OrderEventEnvelope[] = [];
    for (let step = 0; step < 3; step += 1) {
      for (const history of histories) if (history[step]) bulk.push(history[step]);
    }
    expect(bulk.length).toBeGreaterThanOrEqual(100_000);
    await projector.produce(bulk);
    const end = [...(await projector.endOffsets()).values()].reduce((sum, n) => sum + n, 0);
    await waitFor(async () => (await projector.eventsRead()) >= end, {
      timeoutMs: 180_000,
      description: 'the projector to catch up with the bulk events',
    });

    // Readers: known orders, each read must succeed and never show an older version than before.
    const known: string[] = histories.slice(0, 2_000).map((history) => history[0].orderId);
    const highest = new Map<string, number>();
    const failures: string[] = [];
    let reads = 0;
    let running = true;
    const reader = async () => {
      while (running) {
        const orderId = known[randomInt(known.length)];
        const response = await read(`/orders/${orderId}`).catch((error: Error) => error);
        reads += 1;
        if (response instanceof Error || response.status !== 200) {
          failures.push(
            `${orderId}: ${response instanceof Error ? response.message : response.status}`,
          );
          continue;
        }
        const { version } = (await response.json()) as { version: number };
        if (version < (highest.get(orderId) ?? 0))
          failures.push(`${orderId}: ${version} after ${highest.get(orderId)}`);
        highest.set(orderId, Math.max(version, highest.get(orderId) ?? 0));
      }
    };
    // Commands: new orders placed and paid; each becomes readable once its own read says so.
    let commandsDone = 0;
    const commander = async () => {
      while (running) {
        const placed = await postJson<{ orderId: string }>(`${commandApp.url}/orders`, anOrder);
        expect(placed.status).toBe(201);
        const paid = await postJson(`${commandApp.url}/orders/${placed.body.orderId}/pay`, {
          amount: anOrderTotal,
          paymentReference: 'psp-replay',
        });
        expect(paid.status).toBe(200);
        const seen = await read(`/orders/${placed.body.orderId}?minVersion=2&waitMs=10000`);
        if (seen.status === 200) known.push(placed.body.orderId);
        commandsDone += 1;
      }
    };
    const loops = [reader(), reader(), commander(), commander()];

    const started = await projector.admin(
      projectorApp,
      'POST',
      '/admin/projections/order-view/replay',
    );
    expect(started.status).toBe(202);
    let sawProgress = false;
    await waitFor(
      async () => {
        const { body } = await projector.admin(
          projectorApp,
          'GET',
          '/admin/projections/order-view',
        );
        const replay = body.replay as { processed: number; total: number } | null;
        if (
          body.status === 'rebuilding' &&
          replay &&
          replay.processed > 0 &&
          replay.processed < replay.total
        ) {
          sawProgress = true;
        }
        return body.currentGeneration === 2;
      },
      {
        timeoutMs: 300_000,
        intervalMs: 500,
        description: 'the replayed generation to serve reads',
      },
    );
    // Keep going across and after the switch.
    const readsAtSwitch = reads;
    await waitFor(() => reads > readsAtSwitch + 500, {
      timeoutMs: 60_000,
      description: 'reads after the switch',
    });
    running = false;
    await Promise.all(loops);

    expect(failures).toEqual([]);
    expect(sawProgress).toBe(true);
    expect(commandsDone).toBeGreaterThan(0);

    // Every event on the topic, folded, is what the view holds.
    const endOffsets = await projector.endOffsets();
    const total = [...endOffsets.values()].reduce((sum, n) => sum + n, 0);
    const records = await readTopicUntil(
      projector.kafka,
      projector.topic,
      (r) => r.length >= total,
      `${total} records`,
      180_000,
    );
    const events = records.map(
      (record) => JSON.parse(record.value ?? 'null') as OrderEventEnvelope,
    );
    const rows = await projector.waitUntilViewIsFoldOf(events, 120_000);
    expect(rows.filter((row) => row.applied_events !== row.version)).toEqual([]);
  }, 900_000);
});
