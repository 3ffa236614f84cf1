import { UUID_V7, timeOfUuidV7 } from '../../../test/fixtures/uuid-v7';
import { buildApps } from '../../../test/infra/build';
import type { RunningApp } from '../../../tools/local-suite/suite-apps';
import {
  CommandServiceUnderTest,
  anOrder,
  anOrderTotal,
  postJson,
  type PublishedEvent,
} from './command-service.harness';

describe('command-service over HTTP (real PostgreSQL and Kafka)', () => {
  const service = new CommandServiceUnderTest();
  let app: RunningApp;
  const output: string[] = [];

  beforeAll(async () => {
    await buildApps();
    await service.setUp();
    app = await service.start(output);
  });

  afterAll(async () => {
    await service.tearDown();
  });

  const place = (headers: Record<string, string> = {}) =>
    postJson<{ orderId: string; version: number; status: string; total: number }>(
      `${app.url}/orders`,
      anOrder,
      headers,
    );
  const command = (
    orderId: string,
    action: string,
    body: unknown,
    headers: Record<string, string> = {},
  ) => postJson(`${app.url}/orders/${orderId}/${action}`, body, headers);

  const pay = { amount: anOrderTotal, paymentReference: 'pay-1' };
  const ship = { carrier: 'DHL', trackingNumber: 'TRACK-1' };
  const cancel = { reason: 'customer changed their mind' };

  it('places, pays and ships an order, publishing its events in version order with the envelope and headers', async () => {
    const placedFrom = Date.now();
    const placed = await place({ 'x-correlation-id': 'corr-lifecycle-1' });
    const placedBy = Date.now();
    expect(placed.status).toBe(201);
    expect(placed.body).toEqual({
      orderId: expect.stringMatching(UUID_V7),
      version: 1,
      status: 'PLACED',
      total: anOrderTotal,
    });
    const { orderId } = placed.body;
    expect(placed.headers.get('location')).toBe(`/orders/${orderId}`);
    expect(placed.headers.get('etag')).toBe('"1"');

    const paid = await command(orderId, 'pay', pay, { 'x-correlation-id': 'corr-lifecycle-2' });
    expect(paid).toMatchObject({ status: 200, body: { orderId, version: 2, status: 'PAID' } });
    expect(paid.headers.get('etag')).toBe('"2"');
    const shipped = await command(orderId, 'ship', ship);
    expect(shipped).toMatchObject({
      status: 200,
      body: { orderId, version: 3, status: 'SHIPPED' },
    });

    const published = (await service.readAllStoredEventsFromTopic()).filter(
      (event) => event.envelope.orderId === orderId,
    );
    expect(published.map((event) => [event.envelope.version, event.envelope.type])).toEqual([
      [1, 'OrderPlaced'],
      [2, 'OrderPaid'],
      [3, 'OrderShipped'],
    ]);
    const [placedEvent, paidEvent] = published as [PublishedEvent, PublishedEvent];
    expect(placedEvent.record.key).toBe(orderId);
    expect(placedEvent.envelope).toEqual({
      eventId: expect.stringMatching(UUID_V7),
      type: 'OrderPlaced',
      orderId,
      version: 1,
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      // OrderPlaced v2: writers write the newest version of each type.
      schemaVersion: 2,
      data: { ...anOrder, total: anOrderTotal },
      metadata: { correlationId: 'corr-lifecycle-1', causationId: expect.any(String) },
    });
    // Both ids begin with the millisecond they were made in, during the request, the order's
    // first.
    const [orderMadeAt, eventMadeAt] = [orderId, placedEvent.envelope.eventId].map(timeOfUuidV7);
    expect(orderMadeAt).toBeGreaterThanOrEqual(placedFrom);
    expect(eventMadeAt).toBeGreaterThanOrEqual(orderMadeAt);
    expect(eventMadeAt).toBeLessThanOrEqual(placedBy);
    expect(placedEvent.envelope.eventId).not.toBe(orderId);
    expect(placedEvent.record.headers).toEqual({
      'event-type': 'OrderPlaced',
      'schema-version': '2',
      'correlation-id': 'corr-lifecycle-1',
      'content-type': 'application/json',
    });
    expect(paidEvent.envelope.data).toEqual(pay);
    expect(paidEvent.record.headers['correlation-id']).toBe('corr-lifecycle-2');
    // One partition per order keeps its events in order.
    expect(new Set(published.map((event) => event.record.partition)).size).toBe(1);
  });

  it('places and cancels an order', async () => {
    const { orderId } = (await place()).body;
    const cancelled = await command(orderId, 'cancel', cancel);
    expect(cancelled).toMatchObject({
      status: 200,
      body: { orderId, version: 2, status: 'CANCELLED' },
    });
    expect((await service.storedEvents(orderId)).map((event) => event.type)).toEqual([
      'OrderPlaced',
      'OrderCancelled',
    ]);
  });

  it('refuses commands the order does not allow, appending nothing', async () => {
    const { orderId } = (await place()).body;
    const refusals = [
      [await command(orderId, 'ship', ship), 409, 'ORDER_NOT_SHIPPABLE'],
      [
        await command(orderId, 'pay', { ...pay, amount: anOrderTotal + 1 }),
        422,
        'PAYMENT_AMOUNT_MISMATCH',
      ],
      [await command('no-such-order', 'pay', pay), 404, 'ORDER_NOT_FOUND'],
    ] as const;
    for (const [response, status, code] of refusals) {
      expect({ status: response.status, body: response.body }).toEqual({
        status,
        body: { statusCode: status, error: code, message: expect.any(String) },
      });
    }
    expect(await service.storedEvents(orderId)).toHaveLength(1);
    expect(await service.storedEvents('no-such-order')).toHaveLength(0);

    await command(orderId, 'cancel', cancel);
    const again = await command(orderId, 'cancel', cancel);
    expect(again).toMatchObject({ status: 409, body: { error: 'ORDER_NOT_CANCELLABLE' } });
    expect(await service.storedEvents(orderId)).toHaveLength(2);
  });

  it('answers If-Match with a stale version with 412 and appends nothing', async () => {
    const { orderId } = (await place()).body;
    const stale = await command(orderId, 'pay', pay, { 'if-match': '"2"' });
    expect(stale).toMatchObject({ status: 412, body: { error: 'ORDER_VERSION_MISMATCH' } });
    const current = await command(orderId, 'pay', pay, { 'if-match': '"1"' });
    expect(current).toMatchObject({ status: 200, body: { version: 2 } });
    const replayedTag = await command(orderId, 'ship', ship, { 'if-match': '"1"' });
    expect(replayedTag.status).toBe(412);
    expect(await service.storedEvents(orderId)).toHaveLength(2);
  });

  it('lets exactly one of 50 concurrent payments win', async () => {
    const { orderId } = (await place()).body;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        command(
          orderId,
          'pay',
          { ...pay, paymentReference: `pay-${index}` },
          // Half of the callers state the version they saw, as a careful client would.
          index % 2 === 0 ? { 'if-match': '"1"' } : {},
        ),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status !== 200 && status !== 409 && status !== 412)).toEqual(
      [],
    );

    const paid = (await service.storedEvents(orderId)).filter(
      (event) => event.type === 'OrderPaid',
    );
    expect(paid).toHaveLength(1);
    const onTopic = (await service.readAllStoredEventsFromTopic()).filter(
      (event) => event.envelope.orderId === orderId && event.envelope.type === 'OrderPaid',
    );
    expect(onTopic.map((event) => event.envelope.eventId)).toEqual([paid[0]?.event_id]);
  });

  it('runs 20 concurrent requests with one Idempotency-Key once and answers each the same', async () => {
    const key = `key-${Date.now()}`;
    const placedBefore = (await service.storedEvents()).length;
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => place({ 'idempotency-key': key })),
    );
    const [first] = responses;
    for (const response of responses) {
      expect({
        status: response.status,
        body: response.body,
        etag: response.headers.get('etag'),
      }).toEqual({ status: 201, body: first?.body, etag: '"1"' });
    }
    const orderId = first?.body.orderId ?? '';
    expect(await service.storedEvents(orderId)).toHaveLength(1);
    const before = (await service.storedEvents()).length;
    expect(before).toBe(placedBefore + 1);

    const otherBody = await postJson(
      `${app.url}/orders`,
      { ...anOrder, customerId: 'someone-else' },
      { 'idempotency-key': key },
    );
    expect(otherBody).toMatchObject({ status: 422, body: { error: 'IDEMPOTENCY_KEY_REUSED' } });
    const later = await place({ 'idempotency-key': key });
    expect(later.body).toEqual(first?.body);
    expect((await service.storedEvents()).length).toBe(before);
  });

  it('replays an idempotent pay and refuses the key on another order', async () => {
    const { orderId } = (await place()).body;
    const key = `pay-key-${Date.now()}`;
    const first = await command(orderId, 'pay', pay, { 'idempotency-key': key });
    const retry = await command(orderId, 'pay', pay, { 'idempotency-key': key });
    expect(retry).toMatchObject({ status: 200, body: first.body });
    const { orderId: otherOrder } = (await place()).body;
    const elsewhere = await command(otherOrder, 'pay', pay, { 'idempotency-key': key });
    expect(elsewhere).toMatchObject({ status: 422, body: { error: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(await service.storedEvents(orderId)).toHaveLength(2);
    expect(await service.storedEvents(otherOrder)).toHaveLength(1);
  });

  it('serves its OpenAPI document', async () => {
    const response = await fetch(`${app.url}/docs-json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/orders',
        '/orders/{id}/pay',
        '/orders/{id}/ship',
        '/orders/{id}/cancel',
      ]),
    );
    expect((await fetch(`${app.url}/docs`)).status).toBe(200);
  });

  it('logged no error', () => {
    expect(output.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
  });
});
