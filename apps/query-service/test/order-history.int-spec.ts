import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import {
  QueryServiceUnderTest,
  get,
  historyEntry,
  type HistoryEntry,
  type RunningQueryService,
} from './query-service.harness';

interface HistoryPage {
  items: HistoryEntry[];
  nextCursor: string | null;
}

const entries = (orderId: string, count: number) =>
  Array.from({ length: count }, (_, index) => historyEntry(orderId, index + 1));

describe('GET /orders/:id/history against PostgreSQL', () => {
  const harness = new QueryServiceUnderTest();
  let service: RunningQueryService;
  const history = (path: string, headers: Record<string, string> = {}) =>
    get<HistoryPage>(`${service.url}${path}`, headers);

  beforeAll(async () => {
    await harness.setUp();
    service = await harness.start();
    await harness.putOrder({ orderId: 'h-3', status: 'CANCELLED', version: 3 });
    await harness.putHistory('h-3', entries('h-3', 3));
    await harness.putOrder({ orderId: 'h-120', version: 120 });
    await harness.putHistory('h-120', entries('h-120', 120));
    // An order projected before histories were kept: in the view, no entries yet.
    await harness.putOrder({ orderId: 'h-none', version: 2 });
  });

  afterAll(() => harness.tearDown());

  it('answers the events in version order with their type, version, time, data and correlation id', async () => {
    const { status, headers, body } = await history('/orders/h-3/history');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(body).toEqual({ items: entries('h-3', 3), nextCursor: null });
    expect(Object.keys(body.items[0])).toEqual([
      'eventId',
      'type',
      'version',
      'occurredAt',
      'data',
      'correlationId',
    ]);
  });

  it('pages with limit and cursor, each entry exactly once, the last page with nextCursor null', async () => {
    const seen: number[] = [];
    let path = '/orders/h-120/history?limit=50';
    const cursors: (string | null)[] = [];
    for (;;) {
      const { status, body } = await history(path);
      expect(status).toBe(200);
      seen.push(...body.items.map((item) => item.version));
      cursors.push(body.nextCursor);
      if (body.nextCursor === null) break;
      path = `/orders/h-120/history?limit=50&cursor=${body.nextCursor}`;
    }
    expect(seen).toEqual(Array.from({ length: 120 }, (_, index) => index + 1));
    expect(cursors).toEqual(['50', '100', null]);
  });

  it('defaults to 50 entries a page, at most 200', async () => {
    expect((await history('/orders/h-120/history')).body.items).toHaveLength(50);
    const all = await history('/orders/h-120/history?limit=200');
    expect(all.body).toMatchObject({ nextCursor: null });
    expect(all.body.items).toHaveLength(120);
  });

  it('ends with nextCursor null when the last page is exactly full', async () => {
    const { body } = await history('/orders/h-3/history?limit=3');
    expect(body.items).toHaveLength(3);
    expect(body.nextCursor).toBeNull();
    const first = await history('/orders/h-3/history?limit=2');
    expect(first.body.nextCursor).toBe('2');
  });

  it('answers an empty page past the last version, and for an order with no entries kept', async () => {
    expect((await history('/orders/h-3/history?cursor=3')).body).toEqual({
      items: [],
      nextCursor: null,
    });
    expect(await history('/orders/h-none/history')).toMatchObject({
      status: 200,
      body: { items: [], nextCursor: null },
    });
  });

  it('answers 404 ORDER_NOT_FOUND for an order not in the view, with or without a cursor', async () => {
    for (const path of ['/orders/h-unknown/history', '/orders/h-unknown/history?cursor=1']) {
      const { status, body } = await get(`${service.url}${path}`);
      expect({ path, status, body }).toMatchObject({
        path,
        status: 404,
        body: { statusCode: 404, error: 'ORDER_NOT_FOUND' },
      });
    }
  });

  it('has an ETag; If-None-Match with it answers 304 without a body until the history changes', async () => {
    await harness.putOrder({ orderId: 'h-tag', version: 1 });
    await harness.putHistory('h-tag', entries('h-tag', 1));
    const first = await history('/orders/h-tag/history');
    const tag = first.headers.get('etag')!;
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');

    for (const ifNoneMatch of [tag, `W/${tag}`, `"other", ${tag}`, '*']) {
      const again = await history('/orders/h-tag/history', { 'if-none-match': ifNoneMatch });
      expect({ ifNoneMatch, status: again.status, body: again.body }).toEqual({
        ifNoneMatch,
        status: 304,
        body: undefined,
      });
      expect(again.headers.get('etag')).toBe(tag);
    }

    await harness.putOrder({ orderId: 'h-tag', status: 'PAID', version: 2 });
    await harness.putHistory('h-tag', entries('h-tag', 2));
    const changed = await history('/orders/h-tag/history', { 'if-none-match': tag });
    expect(changed.status).toBe(200);
    expect(changed.body.items.map((item) => item.version)).toEqual([1, 2]);
    expect(changed.headers.get('etag')).not.toBe(tag);
    // Another page of the same history is another representation, with its own tag.
    const page = await history('/orders/h-tag/history?limit=1');
    expect(page.headers.get('etag')).not.toBe(changed.headers.get('etag'));
  });

  it('answers HEAD as GET: same status and headers, no body', async () => {
    const got = await history('/orders/h-3/history');
    const head = await fetch(`${service.url}/orders/h-3/history`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(got.headers.get('etag'));
    expect(await head.text()).toBe('');
    const missing = await fetch(`${service.url}/orders/h-unknown/history`, { method: 'HEAD' });
    expect(missing.status).toBe(404);
    const cached = await fetch(`${service.url}/orders/h-3/history`, {
      method: 'HEAD',
      headers: { 'if-none-match': got.headers.get('etag')! },
    });
    expect(cached.status).toBe(304);
  });

  it('reads the generation serving reads only, and the new one once a replay switched to it', async () => {
    await harness.putOrder({ orderId: 'h-gen', version: 1 });
    await harness.putHistory('h-gen', entries('h-gen', 1));
    await harness.putOrder({ orderId: 'h-gen', version: 2, generation: 2 });
    await harness.putHistory('h-gen', entries('h-gen', 2), 2);
    expect((await history('/orders/h-gen/history')).body.items).toHaveLength(1);
    try {
      await harness.db.query('UPDATE order_view_state SET current_generation = 2');
      expect((await history('/orders/h-gen/history')).body.items).toHaveLength(2);
      expect((await history('/orders/h-3/history')).status).toBe(404);
    } finally {
      await harness.db.query('UPDATE order_view_state SET current_generation = 1');
    }
  });

  it.each([
    ['/orders/a%20b/history', 'INVALID_ORDER_ID'],
    [`/orders/${'a'.repeat(65)}/history`, 'INVALID_ORDER_ID'],
    ['/orders/h-3/history?limit=0', 'VALIDATION_FAILED'],
    ['/orders/h-3/history?limit=201', 'VALIDATION_FAILED'],
    ['/orders/h-3/history?limit=ten', 'VALIDATION_FAILED'],
    ['/orders/h-3/history?limit=1&limit=2', 'VALIDATION_FAILED'],
    ['/orders/h-3/history?afterVersion=1', 'VALIDATION_FAILED'],
    ['/orders/h-3/history?minVersion=1', 'VALIDATION_FAILED'],
    ['/orders/h-3/history?constructor=x', 'VALIDATION_FAILED'],
    ['/orders/h-3/history?cursor=', 'INVALID_CURSOR'],
    ['/orders/h-3/history?cursor=-1', 'INVALID_CURSOR'],
    ['/orders/h-3/history?cursor=1.5', 'INVALID_CURSOR'],
    ['/orders/h-3/history?cursor=2147483648', 'INVALID_CURSOR'],
    ['/orders/h-3/history?cursor=abc', 'INVALID_CURSOR'],
    ['/orders/h-3/history?cursor=1&cursor=2', 'VALIDATION_FAILED'],
  ])('%s → 400 %s', async (path, code) => {
    const { status, body } = await get(`${service.url}${path}`);
    expect({ status, error: body.error }).toEqual({ status: 400, error: code });
  });

  it('documents the endpoint with its response schema (OpenAPI)', () => {
    const document = SwaggerModule.createDocument(service.app, new DocumentBuilder().build());
    const operation = document.paths['/orders/{id}/history']?.get;
    expect(Object.keys(operation?.responses ?? {}).sort()).toEqual([
      '200',
      '304',
      '400',
      '404',
      '503',
    ]);
    expect(JSON.stringify(operation?.responses['200'])).toContain('OrderHistoryPage');
    expect(
      operation?.parameters?.map((parameter) => ('name' in parameter ? parameter.name : '')),
    ).toEqual(expect.arrayContaining(['id', 'limit', 'cursor', 'If-None-Match']));
  });
});
