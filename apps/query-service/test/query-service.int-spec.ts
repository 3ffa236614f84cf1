import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Pool } from 'pg';
import { freePort } from '../../../test/infra/free-port';
import { waitFor } from '../../../tools/local-infra/wait-for';
import {
  QueryServiceUnderTest,
  get,
  viewDocument,
  type RunningQueryService,
} from './query-service.harness';

const WAIT_DEADLINE = { timeoutMs: 15_000, intervalMs: 20 };

interface Page {
  items: { orderId: string; status: string; customerId: string }[];
  nextCursor: string | null;
}

const base64url = (text: string) => Buffer.from(text).toString('base64url');

describe('query-service against PostgreSQL', () => {
  const harness = new QueryServiceUnderTest();
  /**
   * Its poll interval (60 s) is longer than any waitMs (≤ 10 s): a wait it ends with 200 was
   * ended by a notification, not by the fallback poll.
   */
  let service: RunningQueryService;

  const waitUntilWaiting = (target: RunningQueryService, count: number) =>
    waitFor(() => target.waiters.size === count, {
      ...WAIT_DEADLINE,
      description: `${count} waiting request(s)`,
    });

  beforeAll(async () => {
    await harness.setUp();
    service = await harness.start({ QUERY_WAIT_POLL_INTERVAL_MS: '60000' });
    await waitFor(() => service.listener.listening, {
      ...WAIT_DEADLINE,
      description: 'the view change listener',
    });
  });

  afterAll(() => harness.tearDown());

  describe('GET /orders/:id', () => {
    beforeAll(() =>
      harness.putOrder({
        orderId: 'o-etag',
        status: 'PAID',
        version: 2,
        placedAt: '2024-05-01T10:00:00.123456Z',
      }),
    );

    it('answers the view document with the version as ETag', async () => {
      const { status, headers, body } = await get(`${service.url}/orders/o-etag`);
      expect(status).toBe(200);
      expect(headers.get('etag')).toBe('"2"');
      expect(body).toEqual(
        viewDocument({
          orderId: 'o-etag',
          customerId: 'customer-1',
          status: 'PAID',
          placedAt: '2024-05-01T10:00:00.123456Z',
          version: 2,
        }),
      );
    });

    it.each(['"2"', 'W/"2"', '"1", "2"', '*'])(
      'answers 304 without a body for If-None-Match %s',
      async (ifNoneMatch) => {
        const { status, headers, body } = await get(`${service.url}/orders/o-etag`, {
          'if-none-match': ifNoneMatch,
        });
        expect(status).toBe(304);
        expect(headers.get('etag')).toBe('"2"');
        expect(body).toBeUndefined();
      },
    );

    it('answers 200 when If-None-Match names an older version', async () => {
      const { status, body } = await get(`${service.url}/orders/o-etag`, {
        'if-none-match': '"1"',
      });
      expect(status).toBe(200);
      expect(body.version).toBe(2);
    });

    it('answers 404 ORDER_NOT_FOUND for an order not in the view', async () => {
      const { status, body } = await get(`${service.url}/orders/o-unknown`);
      expect(status).toBe(404);
      expect(body).toMatchObject({ statusCode: 404, error: 'ORDER_NOT_FOUND' });
    });
  });

  describe('refuses bad parameters with 400 and a stable code', () => {
    const cursorOf = (value: unknown) => base64url(JSON.stringify(value));
    it.each([
      ['/orders/a%20b', 'INVALID_ORDER_ID'],
      [`/orders/${'a'.repeat(65)}`, 'INVALID_ORDER_ID'],
      ['/orders/%27%20OR%201=1--', 'INVALID_ORDER_ID'],
      ['/orders/%ZZ', 'MALFORMED_URL'],
      ['/orders/o-1?minVersion=0', 'VALIDATION_FAILED'],
      ['/orders/o-1?minVersion=-1', 'VALIDATION_FAILED'],
      ['/orders/o-1?minVersion=two', 'VALIDATION_FAILED'],
      ['/orders/o-1?minVersion=1.5', 'VALIDATION_FAILED'],
      ['/orders/o-1?minVersion=99999999999', 'VALIDATION_FAILED'],
      ['/orders/o-1?minVersion=1&minVersion=2', 'VALIDATION_FAILED'],
      ['/orders/o-1?minVersion=1&waitMs=10001', 'VALIDATION_FAILED'],
      ['/orders/o-1?minVersion=1&waitMs=-1', 'VALIDATION_FAILED'],
      ['/orders/o-1?minVersion=1&waitMs=', 'VALIDATION_FAILED'],
      ['/orders/o-1?waitMs=100', 'VALIDATION_FAILED'],
      ['/orders/o-1?verbose=true', 'VALIDATION_FAILED'],
      ['/orders/o-1?constructor=x', 'VALIDATION_FAILED'],
      ['/orders/o-1?__proto__=x', 'VALIDATION_FAILED'],
      ['/orders?limit=0', 'VALIDATION_FAILED'],
      ['/orders?limit=201', 'VALIDATION_FAILED'],
      ['/orders?limit=ten', 'VALIDATION_FAILED'],
      ['/orders?status=NEW', 'VALIDATION_FAILED'],
      ['/orders?status=paid', 'VALIDATION_FAILED'],
      ['/orders?customerId=', 'VALIDATION_FAILED'],
      [`/orders?customerId=${'c'.repeat(65)}`, 'VALIDATION_FAILED'],
      ['/orders?customerId=a%00b', 'VALIDATION_FAILED'],
      ['/orders?page=2', 'VALIDATION_FAILED'],
      ['/orders?toString=1', 'VALIDATION_FAILED'],
      ['/orders?cursor=', 'INVALID_CURSOR'],
      ['/orders?cursor=not*base64', 'INVALID_CURSOR'],
      [`/orders?cursor=${base64url('not json')}`, 'INVALID_CURSOR'],
      [`/orders?cursor=${cursorOf(['2024-13-01T00:00:00.000000Z', 'o-1'])}`, 'INVALID_CURSOR'],
      [`/orders?cursor=${cursorOf(['2024-01-01T00:00:00.000000Z', 'a\u0000b'])}`, 'INVALID_CURSOR'],
      [`/orders?cursor=${cursorOf({ placedAt: 1, orderId: 'o-1' })}`, 'INVALID_CURSOR'],
    ])('%s → %s', async (path, code) => {
      const { status, body } = await get(`${service.url}${path}`);
      expect({ status, error: body.error }).toEqual({ status: 400, error: code });
    });
  });

  describe('GET /orders/:id?minVersion (read-your-writes)', () => {
    it('answers at once when the view has reached the version', async () => {
      await harness.putOrder({ orderId: 'ryw-reached', version: 3 });
      for (const minVersion of [1, 3]) {
        const { status, headers, body } = await get(
          `${service.url}/orders/ryw-reached?minVersion=${minVersion}&waitMs=0`,
        );
        expect({ status, etag: headers.get('etag'), version: body.version }).toEqual({
          status: 200,
          etag: '"3"',
          version: 3,
        });
      }
    });

    it('answers 200 as soon as the projector notifies that the order reached it', async () => {
      const answer = get(`${service.url}/orders/ryw-later?minVersion=2&waitMs=10000`);
      await waitUntilWaiting(service, 1);
      await harness.putOrder({ orderId: 'ryw-later', version: 1 });
      await harness.notifyViewChanged();
      await harness.putOrder({ orderId: 'ryw-later', version: 2, status: 'PAID' });
      await harness.notifyViewChanged();

      // A wait that ran out would be a 503; with no poll before 60 s, only NOTIFY can end it.
      const { status, headers, body } = await answer;
      expect({ status, etag: headers.get('etag') }).toEqual({ status: 200, etag: '"2"' });
      expect(body).toMatchObject({ orderId: 'ryw-later', version: 2, status: 'PAID' });
      expect(service.waiters.size).toBe(0);
    });

    it('answers 503 VIEW_BEHIND with Retry-After and the current version when time runs out', async () => {
      await harness.putOrder({ orderId: 'ryw-behind', version: 2 });
      const { status, headers, body } = await get(
        `${service.url}/orders/ryw-behind?minVersion=5&waitMs=200`,
      );
      expect(status).toBe(503);
      expect(headers.get('retry-after')).toBe('1');
      expect(body).toEqual({
        statusCode: 503,
        error: 'VIEW_BEHIND',
        message: expect.any(String),
        orderId: 'ryw-behind',
        currentVersion: 2,
      });
    });

    it('waits for an order not in the view yet and answers 503 with version 0, not 404', async () => {
      const { status, body } = await get(`${service.url}/orders/ryw-never?minVersion=1&waitMs=100`);
      expect(status).toBe(503);
      expect(body).toMatchObject({ error: 'VIEW_BEHIND', orderId: 'ryw-never', currentVersion: 0 });
    });

    it('serves 200 concurrent waiters with a handful of version queries, not one per request', async () => {
      const ids = Array.from({ length: 200 }, (_, i) => `ryw-many-${i}`);
      await harness.db.query(
        `INSERT INTO order_view
           (generation, order_id, customer_id, status, placed_at, version, applied_events, document)
         SELECT s.current_generation, id, 'many', 'PLACED', now(), 1, 1,
                jsonb_build_object('orderId', id, 'version', 1)
           FROM unnest($1::text[]) AS id, order_view_state s`,
        [ids],
      );
      const queriesBefore = service.waiters.versionQueries;
      const answers = ids.map((id) => get(`${service.url}/orders/${id}?minVersion=2&waitMs=10000`));
      await waitUntilWaiting(service, 200);
      await harness.db.query(
        `UPDATE order_view
            SET version = 2, document = jsonb_set(document::jsonb, '{version}', '2')
          WHERE order_id = ANY($1)`,
        [ids],
      );
      await harness.notifyViewChanged();

      const results = await Promise.all(answers);
      expect(results.map(({ status, body }) => [status, body.version])).toEqual(
        ids.map(() => [200, 2]),
      );
      // One lookup per notification (plus one should a request have raced a change); a poll per
      // request would be 200 or more.
      expect(service.waiters.versionQueries - queriesBefore).toBeLessThanOrEqual(5);
    });

    it('drops the waiter of a client that disconnects', async () => {
      const abort = new AbortController();
      const answer = get(
        `${service.url}/orders/ryw-abandoned?minVersion=1&waitMs=10000`,
        {},
        abort.signal,
      );
      await waitUntilWaiting(service, 1);
      abort.abort();
      await expect(answer).rejects.toThrow();
      await waitUntilWaiting(service, 0);
    });

    it('keeps listening after its connection is killed (as when PostgreSQL restarts)', async () => {
      const listenerPids = async () => {
        const { rows } = await harness.db.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE application_name = 'query-service view listener' AND datname = current_database()`,
        );
        return rows.map((row) => row.pid);
      };
      const [before] = await listenerPids();
      expect(before).toBeDefined();
      await harness.db.query('SELECT pg_terminate_backend($1)', [before]);
      await waitFor(
        async () => {
          const pids = await listenerPids();
          return service.listener.listening && pids.length === 1 && pids[0] !== before;
        },
        { ...WAIT_DEADLINE, description: 'the listener on a new connection' },
      );

      const answer = get(`${service.url}/orders/ryw-reconnected?minVersion=1&waitMs=10000`);
      await waitUntilWaiting(service, 1);
      await harness.putOrder({ orderId: 'ryw-reconnected', version: 1 });
      await harness.notifyViewChanged();
      expect((await answer).status).toBe(200);
    });

    it('finds a change whose notification was missed by polling', async () => {
      const polling = await harness.start({ QUERY_WAIT_POLL_INTERVAL_MS: '200' });
      try {
        const answer = get(`${polling.url}/orders/ryw-unannounced?minVersion=1&waitMs=10000`);
        await waitUntilWaiting(polling, 1);
        await harness.putOrder({ orderId: 'ryw-unannounced', version: 1 });
        expect((await answer).status).toBe(200);
      } finally {
        await harness.stop(polling);
      }
    });

    it('releases waiting requests with 503 when the service shuts down', async () => {
      const closing = await harness.start();
      const answer = get(`${closing.url}/orders/ryw-shutdown?minVersion=1&waitMs=10000`);
      await waitUntilWaiting(closing, 1);
      await harness.stop(closing);
      const { status, headers, body } = await answer;
      expect({ status, retryAfter: headers.get('retry-after') }).toEqual({
        status: 503,
        retryAfter: '1',
      });
      expect(body.message).toMatch(/shutting down/);
    });
  });

  describe('GET /orders', () => {
    const ORDERS = 1_000;

    /** What the superuser sees, in the contract's order. */
    async function expectedIds(where = 'true', values: unknown[] = []): Promise<string[]> {
      const { rows } = await harness.db.query<{ order_id: string }>(
        `SELECT order_id FROM current_order_view WHERE ${where}
          ORDER BY placed_at DESC, order_id DESC`,
        values,
      );
      return rows.map((row) => row.order_id);
    }

    async function pageThrough(query: string): Promise<{ ids: string[]; pages: Page[] }> {
      const pages: Page[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `${service.url}/orders?${query}${cursor ? `&cursor=${cursor}` : ''}`;
        const { status, body }: { status: number; body: Page } = await get<Page>(url);
        expect(status).toBe(200);
        pages.push(body);
        cursor = body.nextCursor;
        expect(pages.length).toBeLessThanOrEqual(ORDERS);
      } while (cursor !== null);
      return { ids: pages.flatMap((page) => page.items.map((item) => item.orderId)), pages };
    }

    beforeAll(async () => {
      // Groups of four share placed_at and neighbouring groups are 1 µs apart: the cursor must
      // keep microseconds and break ties by order id, or rows are skipped or repeated.
      await harness.db.query(
        `INSERT INTO order_view
           (generation, order_id, customer_id, status, placed_at, version, applied_events, document)
         SELECT s.current_generation, o.order_id, o.customer_id, o.status, o.placed_at, 1, 1,
                jsonb_build_object('orderId', o.order_id, 'customerId', o.customer_id,
                                   'status', o.status, 'version', 1)
           FROM order_view_state s,
                LATERAL (
                  SELECT 'page-' || lpad(i::text, 4, '0') AS order_id,
                         'pager-' || (i % 3) AS customer_id,
                         (ARRAY['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'])[i % 4 + 1] AS status,
                         timestamptz '2030-01-01 00:00:00Z' + (i / 4) * interval '1 microsecond'
                           AS placed_at
                    FROM generate_series(0, $1 - 1) AS i
                ) o`,
        [ORDERS],
      );
    });

    it('pages through every order exactly once, newest first', async () => {
      const expected = await expectedIds();
      const { ids } = await pageThrough('limit=37');
      expect(ids).toEqual(expected);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.filter((id) => id.startsWith('page-'))).toHaveLength(ORDERS);
      // The newest of the generated orders: the last group, highest id first.
      expect(ids[0]).toBe('page-0999');
    });

    it('ends with nextCursor null, also when the last page is full', async () => {
      const { ids, pages } = await pageThrough('customerId=pager-0&limit=167');
      expect(ids).toHaveLength(334);
      expect(pages.map((page) => page.items.length)).toEqual([167, 167]);
      expect(pages.at(-1)?.nextCursor).toBeNull();
    });

    it('defaults to 50 orders a page', async () => {
      const { body } = await get<Page>(`${service.url}/orders`);
      expect(body.items).toHaveLength(50);
      expect(body.nextCursor).toEqual(expect.any(String));
    });

    it.each([
      ['status=SHIPPED', 'status = $1', ['SHIPPED'], { status: 'SHIPPED' }],
      ['customerId=pager-1', 'customer_id = $1', ['pager-1'], { customerId: 'pager-1' }],
      [
        'status=PAID&customerId=pager-2',
        'status = $1 AND customer_id = $2',
        ['PAID', 'pager-2'],
        { status: 'PAID', customerId: 'pager-2' },
      ],
    ])('filters by %s', async (query, where, values, fields) => {
      const expected = await expectedIds(where, values);
      expect(expected.length).toBeGreaterThan(50);
      const { ids, pages } = await pageThrough(`${query}&limit=50`);
      expect(ids).toEqual(expected);
      for (const item of pages.flatMap((page) => page.items)) {
        expect(item).toMatchObject(fields);
      }
    });

    it('answers an empty page for a customer without orders', async () => {
      const { status, body } = await get<Page>(`${service.url}/orders?customerId=nobody`);
      expect({ status, body }).toEqual({ status: 200, body: { items: [], nextCursor: null } });
    });
  });

  describe('database access', () => {
    it.each([
      `INSERT INTO order_view (generation, order_id, customer_id, status, placed_at, version,
         applied_events, document) VALUES (1, 'forged', 'c', 'PLACED', now(), 1, 1, '{}')`,
      `UPDATE order_view SET version = version + 1`,
      `DELETE FROM order_view`,
      `UPDATE order_view_state SET current_generation = 2`,
      `TRUNCATE order_view`,
      `CREATE TABLE intruder (id int)`,
      // The projector's: they create, index and drop generations' partitions.
      `SELECT order_view_add_generation(99)`,
      `SELECT order_view_index_generation(1)`,
      `SELECT order_view_drop_retired_generations()`,
    ])('refuses a write through the service’s own connection: %s', async (statement) => {
      // The pool the app itself queries with, logged in as order_query.
      const pool = service.app.get(Pool);
      await expect(pool.query(statement)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('switches to a new generation of the view when a replay completes', async () => {
    await harness.putOrder({ orderId: 'replayed', version: 4, generation: 2 });
    expect((await get(`${service.url}/orders/replayed`)).status).toBe(404);
    const answer = get(`${service.url}/orders/replayed?minVersion=4&waitMs=10000`);
    await waitUntilWaiting(service, 1);
    try {
      await harness.db.query('UPDATE order_view_state SET current_generation = 2');
      await harness.notifyViewChanged();
      const { status, body } = await answer;
      expect({ status, version: body.version }).toEqual({ status: 200, version: 4 });
    } finally {
      await harness.db.query('UPDATE order_view_state SET current_generation = 1');
    }
  });

  it('documents its endpoints with response schemas (OpenAPI)', () => {
    const document = SwaggerModule.createDocument(service.app, new DocumentBuilder().build());
    const getOrder = document.paths['/orders/{id}']?.get;
    expect(Object.keys(getOrder?.responses ?? {}).sort()).toEqual([
      '200',
      '304',
      '400',
      '404',
      '503',
    ]);
    expect(JSON.stringify(getOrder?.responses['200'])).toContain('#/components/schemas/OrderView');
    expect(JSON.stringify(getOrder?.responses['503'])).toContain('ViewBehindResponse');
    expect(
      getOrder?.parameters?.map((parameter) => ('name' in parameter ? parameter.name : '')),
    ).toEqual(expect.arrayContaining(['id', 'minVersion', 'waitMs', 'If-None-Match']));
    const listOrders = document.paths['/orders']?.get;
    expect(JSON.stringify(listOrders?.responses['200'])).toContain('OrderPage');
    expect(document.components?.schemas?.OrderView).toMatchObject({
      required: expect.arrayContaining(['orderId', 'status', 'version', 'items', 'updatedAt']),
    });
  });
});

describe('query-service without its database', () => {
  const harness = new QueryServiceUnderTest();
  let service: RunningQueryService;

  beforeAll(async () => {
    // Nothing listens on a port just handed out and released.
    harness.serviceUrl = `postgres://order_query:x@127.0.0.1:${await freePort()}/orders_read`;
    service = await harness.start();
  });

  afterAll(() => harness.tearDown());

  it.each([
    '/orders/o-1',
    '/orders/o-1?minVersion=1&waitMs=100',
    '/orders',
    '/orders?status=PAID',
    '/orders/o-1/history',
  ])('answers %s with 503 DATABASE_UNAVAILABLE', async (path) => {
    const { status, body } = await get(`${service.url}${path}`);
    expect({ status, error: body.error }).toEqual({ status: 503, error: 'DATABASE_UNAVAILABLE' });
  });
});
