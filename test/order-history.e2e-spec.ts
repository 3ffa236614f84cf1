import {
  anOrder,
  anOrderTotal,
  postJson,
} from '../apps/command-service/test/command-service.harness';
import type { HistoryEntry } from '../apps/query-service/test/query-service.harness';
import { waitFor } from '../tools/local-infra/wait-for';
import type { RunningApp } from '../tools/local-suite/suite-apps';
import { ThreeAppsUnderTest } from './infra/three-apps';
import { readTopicUntil } from './infra/topic-reader';

interface HistoryPage {
  items: HistoryEntry[];
  nextCursor: string | null;
}

/** An order's history through the three built apps: commands in, the projector's rows, the read. */
describe("an order's history end to end (command-service, projector, query-service)", () => {
  const apps = new ThreeAppsUnderTest();
  const { projector } = apps;
  let projectorApp: RunningApp;
  let queryApp: RunningApp;
  let commandApp: RunningApp;
  let orderId: string;

  beforeAll(async () => {
    await apps.setUp();
    ({ projectorApp, queryApp, commandApp } = apps);
  }, 300_000);

  afterAll(() => apps.tearDown(), 60_000);

  const readHistory = async () => {
    const response = await fetch(`${queryApp.url}/orders/${orderId}/history`);
    expect(response.status).toBe(200);
    return { etag: response.headers.get('etag'), page: (await response.json()) as HistoryPage };
  };

  it('place → pay: the history shows both events in version order, with the requests’ correlation ids', async () => {
    const placed = await postJson<{ orderId: string }>(`${commandApp.url}/orders`, anOrder, {
      'x-correlation-id': 'history-e2e-place',
    });
    expect(placed.status).toBe(201);
    orderId = placed.body.orderId;
    const paid = await postJson<{ version: number }>(
      `${commandApp.url}/orders/${orderId}/pay`,
      { amount: anOrderTotal, paymentReference: 'psp-history' },
      { 'x-correlation-id': 'history-e2e-pay' },
    );
    expect(paid.status).toBe(200);
    // Read-your-writes on the order; its history is written in the same transaction.
    const view = await fetch(`${queryApp.url}/orders/${orderId}?minVersion=2&waitMs=10000`);
    expect(view.status).toBe(200);
    const order = (await view.json()) as { placedAt: string; paidAt: string };

    const { page } = await readHistory();
    expect(page.nextCursor).toBeNull();
    expect(page.items).toEqual([
      {
        eventId: expect.any(String) as string,
        type: 'OrderPlaced',
        version: 1,
        occurredAt: order.placedAt,
        data: {
          customerId: anOrder.customerId,
          currency: anOrder.currency,
          items: anOrder.items,
          total: anOrderTotal,
        },
        correlationId: 'history-e2e-place',
      },
      {
        eventId: expect.any(String) as string,
        type: 'OrderPaid',
        version: 2,
        occurredAt: order.paidAt,
        data: { amount: anOrderTotal, paymentReference: 'psp-history' },
        correlationId: 'history-e2e-pay',
      },
    ]);
  });

  it('the same events delivered again (as after a crash between the database and Kafka commits) add nothing', async () => {
    const before = await readHistory();
    const records = await readTopicUntil(
      projector.kafka,
      projector.topic,
      (read) => read.filter((record) => record.key === orderId).length >= 2,
      `the events of ${orderId}`,
    );
    const mine = records.filter((record) => record.key === orderId);
    await projector.produceRecords(
      mine.map((record) => ({ key: orderId, value: record.value!, headers: record.headers })),
    );
    // Every record on the topic, the redelivered ones included, is behind the projector.
    await projector.waitUntilCommittedAtEnd(60_000);

    expect(await readHistory()).toEqual(before);
    const { rows } = await projector.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM order_history WHERE order_id = $1',
      [orderId],
    );
    expect(rows[0].n).toBe(2);
  });

  it('a replay rebuilds the same history into the new generation: same page, same ETag', async () => {
    const before = await readHistory();
    await projector.replayUntilGeneration(projectorApp, 2);

    expect(await readHistory()).toEqual(before);
    const cached = await fetch(`${queryApp.url}/orders/${orderId}/history`, {
      headers: { 'if-none-match': before.etag! },
    });
    expect(cached.status).toBe(304);
    // The retired generation's history goes with its view.
    await waitFor(
      async () => {
        const { rows } = await projector.db.query('SELECT DISTINCT generation FROM order_history');
        return rows.length === 1 && (rows[0] as { generation: number }).generation === 2;
      },
      { timeoutMs: 30_000, description: 'the retired generation’s history to be removed' },
    );
  });
});
