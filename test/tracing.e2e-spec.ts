import { randomBytes } from 'node:crypto';
import { anOrder } from '../apps/command-service/test/command-service.harness';
import { waitFor } from '../tools/local-infra/wait-for';
import { OtlpReceiver, type ReceivedSpan } from './infra/otlp-receiver';
import { ThreeAppsUnderTest } from './infra/three-apps';
import { readTopicUntil } from './infra/topic-reader';

/**
 * One place-order followed across the three processes by its W3C trace context, with nothing
 * but the standard OTEL_* variables: the apps export over OTLP/HTTP to a collector of the test's.
 */
describe('tracing across the three apps (OpenTelemetry, OTLP)', () => {
  const receiver = new OtlpReceiver();
  let apps: ThreeAppsUnderTest;

  beforeAll(async () => {
    const endpoint = await receiver.start();
    apps = new ThreeAppsUnderTest({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    await apps.setUp();
  }, 300_000);

  afterAll(async () => {
    await apps.tearDown();
    await receiver.stop();
  }, 60_000);

  it('links one place-order from the HTTP request to the view and the read that waited for it', async () => {
    // The client's own trace: it places the order, then reads it back, as one piece of work.
    const traceId = randomBytes(16).toString('hex');
    const [placeSpan, readSpan] = [randomBytes(8).toString('hex'), randomBytes(8).toString('hex')];
    const placed = await fetch(`${apps.commandApp.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${placeSpan}-01` },
      body: JSON.stringify(anOrder),
    });
    expect(placed.status).toBe(201);
    const { orderId } = (await placed.json()) as { orderId: string };
    const read = await fetch(`${apps.queryApp.url}/orders/${orderId}?minVersion=1&waitMs=10000`, {
      headers: { traceparent: `00-${traceId}-${readSpan}-01` },
    });
    expect(read.status).toBe(200);

    // The command's spans: the request continues the client's trace; the command and the
    // append descend from it.
    const request = await span(
      'command-service',
      (s) => s.traceId === traceId && s.name === 'POST /orders',
    );
    expect(request.parentSpanId).toBe(placeSpan);
    const command = await span(
      'command-service',
      (s) => s.name === 'PlaceOrder' && s.traceId === traceId,
    );
    expect(command.parentSpanId).toBe(request.spanId);
    const append = await span(
      'command-service',
      (s) => s.name === 'order_events append' && s.traceId === traceId,
    );
    expect(append.parentSpanId).toBe(command.spanId);

    // The event carries the append's context on its Kafka record.
    const [record] = await readTopicUntil(
      apps.projector.kafka,
      apps.projector.topic,
      (records) => records.some((r) => r.key === orderId),
      'the order placed',
    ).then((records) => records.filter((r) => r.key === orderId));
    expect(record.headers.traceparent).toBe(`00-${traceId}-${append.spanId}-01`);

    // The relay's send and the projector's batch link to it (a trace of their own each), and the
    // view write descends from the batch.
    const linksToAppend = (s: ReceivedSpan) =>
      s.links.some((link) => link.traceId === traceId && link.spanId === append.spanId);
    const publish = await span(
      'command-service',
      (s) => s.name.endsWith(' publish') && linksToAppend(s),
    );
    expect(publish.traceId).not.toBe(traceId);
    const batch = await span('projector', (s) => s.name.endsWith(' process') && linksToAppend(s));
    expect(batch.traceId).not.toBe(traceId);
    expect(batch.parentSpanId).toBeUndefined();
    const write = await span(
      'projector',
      (s) => s.name === 'order_view write' && s.traceId === batch.traceId,
    );
    expect(write.parentSpanId).toBe(batch.spanId);

    // The read that waited for the view continues the client's trace in the query-service.
    const query = await span(
      'query-service',
      (s) => s.traceId === traceId && s.name === 'GET /orders/:id',
    );
    expect(query.parentSpanId).toBe(readSpan);
  });

  it('marks a refused command as answered, not failed, with the status it got', async () => {
    const traceId = randomBytes(16).toString('hex');
    const refused = await fetch(`${apps.commandApp.url}/orders/no-such-order/cancel`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
      body: JSON.stringify({ reason: 'changed my mind' }),
    });
    expect(refused.status).toBe(404);
    const request = await span('command-service', (s) => s.traceId === traceId && s.kind === 2);
    expect(request.attributes['http.response.status_code']).toBe(404);
    const command = await span(
      'command-service',
      (s) => s.traceId === traceId && s.name === 'CancelOrder',
    );
    expect([request.statusCode, command.statusCode]).toEqual([0, 0]);
  });

  /** Waits for the span `service` exported that matches. */
  function span(service: string, matches: (span: ReceivedSpan) => boolean): Promise<ReceivedSpan> {
    return waitFor(() => receiver.spans.find((s) => s.service === service && matches(s)), {
      timeoutMs: 30_000,
      description: `a span from ${service}`,
    }).catch((error: Error) => {
      const seen = new Set(receiver.spans.map((s) => `${s.service}: ${s.name}`));
      throw new Error(`${error.message}; received ${[...seen].join(', ')}`);
    });
  }
});
