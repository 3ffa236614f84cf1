import { waitFor } from '../../../tools/local-infra/wait-for';
import { buildApps } from '../../../test/infra/build';
import {
  CommandServiceUnderTest,
  anOrder,
  postJson,
  type HttpResult,
} from './command-service.harness';

const POOL_MAX = 2;
const POOL_MAX_WAITING = 2;
const MAX_IN_FLIGHT = 6;
const REQUESTS = 20;

/**
 * Offered more than it can take, the service refuses the excess with 503 OVERLOADED and
 * Retry-After (at once past the pool's queue, after at most HTTP_MAX_QUEUE_MS in line past the
 * in-flight bound), and still completes what it accepted: no connection reset, no request left
 * waiting for a timeout, every accepted order stored and published.
 */
describe('command-service past its capacity (real PostgreSQL and Kafka)', () => {
  const service = new CommandServiceUnderTest({
    DATABASE_POOL_MAX: String(POOL_MAX),
    DATABASE_POOL_MAX_WAITING: String(POOL_MAX_WAITING),
    HTTP_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
    // The accepted requests wait on the test's table lock rather than giving up on it.
    DATABASE_LOCK_TIMEOUT_MS: '120000',
  });

  beforeAll(async () => {
    await buildApps();
    await service.setUp();
  });
  afterAll(() => service.tearDown());

  it('answers the excess 503 OVERLOADED with Retry-After, and stores and publishes every accepted order', async () => {
    const app = await service.start();
    // Every request that reaches the event store blocks on this lock until the test lets go,
    // so the service is held at capacity for as long as the test needs.
    const blocker = await service.db.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE order_events IN ACCESS EXCLUSIVE MODE');

    const answers: (HttpResult | Error)[] = [];
    const requests = Array.from({ length: REQUESTS }, () =>
      postJson(`${app.url}/orders`, anOrder).then(
        (answer) => answers.push(answer),
        (error: Error) => answers.push(error),
      ),
    );
    let answeredWhileHeld: (HttpResult | Error)[];
    try {
      // Beyond the pool and its queue nobody waits; beyond the in-flight bound, HTTP_MAX_QUEUE_MS.
      const refusable = REQUESTS - POOL_MAX - POOL_MAX_WAITING;
      await waitFor(() => answers.length >= refusable, {
        timeoutMs: 30_000,
        description: `${refusable} answers while the event store is locked`,
      });
      answeredWhileHeld = [...answers];
      // Probes are never refused: overload must not read as a dead process.
      expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
    } finally {
      await blocker.query('COMMIT');
      blocker.release();
    }
    await Promise.all(requests);

    expect(answers.filter((answer) => answer instanceof Error)).toEqual([]);
    const results = answers as HttpResult[];
    for (const refused of answeredWhileHeld) {
      expect(refused).toMatchObject({ status: 503, body: { error: 'OVERLOADED' } });
      expect((refused as HttpResult).headers.get('retry-after')).toBe('1');
    }
    const accepted = results.filter((result) => result.status === 201);
    expect(accepted).toHaveLength(POOL_MAX + POOL_MAX_WAITING);
    expect(results.filter((result) => result.status !== 201)).toHaveLength(
      REQUESTS - accepted.length,
    );

    const acceptedIds = accepted.map((result) => String(result.body.orderId)).sort();
    const stored = [...new Set((await service.storedEvents()).map((event) => event.order_id))];
    expect(stored.sort()).toEqual(acceptedIds);
    await waitFor(async () => (await service.outboxDepth()) === 0, {
      timeoutMs: 60_000,
      description: 'the accepted orders published',
    });
    const published = await service.readAllStoredEventsFromTopic();
    expect([...new Set(published.map((event) => event.envelope.orderId))].sort()).toEqual(
      acceptedIds,
    );
  }, 240_000);
});
