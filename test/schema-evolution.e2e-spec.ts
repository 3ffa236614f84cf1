import { randomUUID } from 'node:crypto';
import { toOrderEventRecord, type OrderEventEnvelope } from '@app/order-events';
import { readEventFixtures } from '../tools/schemas/event-fixtures';
import { postJson } from '../apps/command-service/test/command-service.harness';
import type { RunningApp } from '../tools/local-suite/suite-apps';
import { ThreeAppsUnderTest } from './infra/three-apps';
import { StopWaiting, waitFor } from '../tools/local-infra/wait-for';
import { readTopicUntil } from './infra/topic-reader';

const fixtures = readEventFixtures();
const fixture = (type: string, schemaVersion: number) => {
  const found = fixtures.find((f) => f.type === type && f.schemaVersion === schemaVersion);
  if (!found) throw new Error(`no fixture of ${type} v${schemaVersion}`);
  return found.event;
};

const address = {
  recipient: 'Ada Lovelace',
  line1: 'Unter den Linden 1',
  postalCode: '10117',
  city: 'Berlin',
  country: 'DE',
};

/**
 * Events written by v1 code (the fixtures, as that code stored and published them) and by the
 * current command-service, interleaved on the same orders of one topic: the command-service
 * decides on the mixed histories, the projector projects them live and in a replay, and the
 * query-service serves the result.
 */
describe('schema evolution end to end (v1 and v2 events on one topic)', () => {
  const apps = new ThreeAppsUnderTest();
  const { projector, commands } = apps;
  let projectorApp: RunningApp;
  let queryApp: RunningApp;
  let commandApp: RunningApp;

  beforeAll(async () => {
    await apps.setUp();
    ({ projectorApp, queryApp, commandApp } = apps);
  }, 300_000);

  afterAll(() => apps.tearDown(), 60_000);

  /** As v1 code did it: the row in the event store (schema_version 1), the record on the topic. */
  async function writeAsV1(event: OrderEventEnvelope): Promise<void> {
    await commands.db.query(
      `INSERT INTO order_events
         (order_id, version, event_id, type, schema_version, data, metadata, occurred_at)
       VALUES ($1, $2, $3, $4, 1, $5, $6, $7)`,
      [
        event.orderId,
        event.version,
        event.eventId,
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata),
        event.occurredAt,
      ],
    );
    await projector.produceRecords([toOrderEventRecord(event)]);
  }

  const command = (orderId: string, action: string, body: unknown) =>
    postJson<{ version: number; status: string }>(
      `${commandApp.url}/orders/${orderId}/${action}`,
      body,
    );

  /**
   * The order as the query-service serves it once the view has reached `version`. A 503
   * VIEW_BEHIND (its 10 s wait ran out) is asked again, as its Retry-After invites, up to a
   * deadline: on a loaded machine the projector started for this test may still be joining its
   * group. Any other answer fails at once.
   */
  async function readOrder(orderId: string, version: number): Promise<Record<string, unknown>> {
    return waitFor(
      async () => {
        const response = await fetch(
          `${queryApp.url}/orders/${orderId}?minVersion=${version}&waitMs=10000`,
        );
        const body = (await response.json()) as Record<string, unknown>;
        if (response.status === 503 && body.error === 'VIEW_BEHIND') return undefined;
        if (response.status !== 200) {
          throw new StopWaiting(`order ${orderId}: ${response.status} ${JSON.stringify(body)}`);
        }
        return body;
      },
      { timeoutMs: 60_000, description: `order ${orderId} at version ${version} to be readable` },
    );
  }

  async function storedSchemaVersions(orderId: string): Promise<[string, number][]> {
    const { rows } = await commands.db.query<{ type: string; schema_version: number }>(
      'SELECT type, schema_version FROM order_events WHERE order_id = $1 ORDER BY version',
      [orderId],
    );
    return rows.map((row) => [row.type, row.schema_version]);
  }

  it('decides on, projects and replays orders whose events were written by v1 code and by the current service', async () => {
    // Order A: placed by v1 code, paid and shipped through the current service.
    const a = randomUUID();
    const placedV1 = {
      ...fixture('OrderPlaced', 1),
      eventId: randomUUID(),
      orderId: a,
    } as OrderEventEnvelope;
    await writeAsV1(placedV1);
    const total = (placedV1.data as { total: number }).total;

    const wrongAmount = await command(a, 'pay', { amount: total + 1, paymentReference: 'psp-a' });
    expect(wrongAmount).toMatchObject({ status: 422, body: { error: 'PAYMENT_AMOUNT_MISMATCH' } });
    expect(await command(a, 'pay', { amount: total, paymentReference: 'psp-a' })).toMatchObject({
      status: 200,
      body: { version: 2, status: 'PAID' },
    });
    expect(await command(a, 'ship', { carrier: 'DHL', trackingNumber: 'T-A' })).toMatchObject({
      status: 200,
      body: { version: 3, status: 'SHIPPED' },
    });

    // Order B: placed by the current service with a shipping address (v2), paid by v1 code,
    // cancelled through the current service.
    const placedB = await postJson<{ orderId: string; total: number }>(`${commandApp.url}/orders`, {
      customerId: 'customer-b',
      currency: 'EUR',
      items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1_000 }],
      shippingAddress: address,
    });
    expect(placedB.status).toBe(201);
    const b = placedB.body.orderId;
    // v1 code's event goes after the service's: the projector must have seen version 1.
    await readOrder(b, 1);
    await writeAsV1({
      ...fixture('OrderPaid', 1),
      eventId: randomUUID(),
      orderId: b,
      version: 2,
      data: { amount: placedB.body.total, paymentReference: 'psp-b' },
    } as OrderEventEnvelope);
    const paidAgain = await command(b, 'pay', {
      amount: placedB.body.total,
      paymentReference: 'x',
    });
    expect(paidAgain).toMatchObject({ status: 409, body: { error: 'ORDER_NOT_PAYABLE' } });
    expect(await command(b, 'cancel', { reason: 'moved house' })).toMatchObject({
      status: 200,
      body: { version: 3, status: 'CANCELLED' },
    });

    expect(await storedSchemaVersions(a)).toEqual([
      ['OrderPlaced', 1],
      ['OrderPaid', 1],
      ['OrderShipped', 1],
    ]);
    expect(await storedSchemaVersions(b)).toEqual([
      ['OrderPlaced', 2],
      ['OrderPaid', 1],
      ['OrderCancelled', 1],
    ]);

    // The query-service serves both, B with its address, A (placed in v1) without one.
    const viewA = await readOrder(a, 3);
    expect(viewA).toMatchObject({ status: 'SHIPPED', total, version: 3 });
    expect(viewA).not.toHaveProperty('shippingAddress');
    const viewB = await readOrder(b, 3);
    expect(viewB).toMatchObject({
      status: 'CANCELLED',
      version: 3,
      shippingAddress: address,
      payment: { amount: placedB.body.total, paymentReference: 'psp-b' },
    });

    // The topic holds both versions of OrderPlaced; the view is their fold, live...
    const records = await readTopicUntil(
      projector.kafka,
      projector.topic,
      (read) => read.length >= 6,
      'the six events of both orders',
    );
    const events = records.map((r) => JSON.parse(r.value ?? 'null') as OrderEventEnvelope);
    expect(
      events.filter((e) => e.type === 'OrderPlaced').map((e) => [e.orderId, e.schemaVersion]),
    ).toEqual(
      expect.arrayContaining([
        [a, 1],
        [b, 2],
      ]),
    );
    const live = await projector.waitUntilViewIsFoldOf(events);

    // ... and after a replay from offset 0 into a new generation, the same documents.
    await projector.replayUntilGeneration(projectorApp, 2);
    const replayed = await projector.waitUntilViewIsFoldOf(events);
    expect(replayed.map((row) => row.document)).toEqual(live.map((row) => row.document));
    const { rows: parked } = await projector.db.query('SELECT order_id, reason FROM parked_events');
    expect(parked).toEqual([]);
  }, 300_000);
});
