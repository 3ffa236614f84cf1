import { ApiError } from '@app/http-platform';
import { orderHistory } from '../../../../test/fixtures/order-histories';
import { InMemoryOrderViewReader } from '../../test/in-memory-order-view-reader';
import { VersionWaiters } from '../read-your-writes/version-waiters';
import { OrderQueryHandler } from './order-query.handler';
import type { OrderViewReader } from './order-view.reader';

/** Long enough that no test's outcome comes from the fallback poll rather than a change. */
const POLL_MS = 60_000;

function setUp(fetchVersions?: OrderViewReader['versions']) {
  const reader = new InMemoryOrderViewReader();
  const waiters = new VersionWaiters({
    fetchVersions: fetchVersions ?? ((orderIds) => reader.versions(orderIds)),
    maxWaiters: 10,
    pollIntervalMs: POLL_MS,
  });
  return { reader, waiters, handler: new OrderQueryHandler(reader, waiters) };
}

describe('OrderQueryHandler (in-memory read model)', () => {
  let waiters: VersionWaiters | undefined;
  afterEach(() => waiters?.close());

  describe('get', () => {
    it('answers an order as the view has it, or not_found, without waiting when no minVersion is asked', async () => {
      const setup = setUp();
      waiters = setup.waiters;
      setup.reader.project(orderHistory('order-1', 'paid'));

      const found = await setup.handler.get('order-1', {});
      expect(found).toMatchObject({ kind: 'found', row: { version: 2 } });
      expect(await setup.handler.get('order-2', {})).toEqual({ kind: 'not_found' });
      expect(setup.waiters.size).toBe(0);
    });

    it('refuses waitMs without minVersion with 400 VALIDATION_FAILED', async () => {
      const setup = setUp();
      waiters = setup.waiters;
      const refusal = setup.handler.get('order-1', { waitMs: 100 });
      await expect(refusal).rejects.toBeInstanceOf(ApiError);
      await expect(refusal).rejects.toMatchObject({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
      });
    });

    it('answers at once when the view already has minVersion', async () => {
      const setup = setUp();
      waiters = setup.waiters;
      setup.reader.project(orderHistory('order-1', 'shipped'));

      const found = await setup.handler.get('order-1', { minVersion: 2 });
      expect(found).toMatchObject({ kind: 'found', row: { version: 3 } });
      expect(setup.waiters.size).toBe(0);
    });

    it('waits for the version a command returned, and answers the document once the view has it', async () => {
      const setup = setUp();
      waiters = setup.waiters;
      const [placed, paid] = orderHistory('order-1', 'paid');
      setup.reader.project([placed]);

      const lookup = setup.handler.get('order-1', { minVersion: 2, waitMs: 10_000 });
      await waitUntil(() => setup.waiters.size === 1);
      setup.reader.project([paid]);
      setup.waiters.viewChanged();

      expect(await lookup).toMatchObject({
        kind: 'found',
        row: { version: 2, document: { status: 'PAID' } },
      });
    });

    it('waits for an order the view does not have yet', async () => {
      const setup = setUp();
      waiters = setup.waiters;
      const lookup = setup.handler.get('order-1', { minVersion: 1, waitMs: 10_000 });
      await waitUntil(() => setup.waiters.size === 1);
      setup.reader.project(orderHistory('order-1', 'placed'));
      setup.waiters.viewChanged();

      expect(await lookup).toMatchObject({ kind: 'found', row: { version: 1 } });
    });

    it('answers behind, with the version the view has, when minVersion is not reached in time', async () => {
      const setup = setUp();
      waiters = setup.waiters;
      setup.reader.project(orderHistory('order-1', 'placed'));

      const lookup = await setup.handler.get('order-1', { minVersion: 3, waitMs: 20 });
      expect(lookup).toEqual({ kind: 'behind', currentVersion: 1, reason: 'timeout' });
    });

    it('answers behind as regressed when the version was reached but the view went back before the document was read', async () => {
      // The waiters' lookup saw version 2; the document is read from a generation that a
      // replay's switch made current meanwhile, which has only version 1.
      const setup = setUp(() => Promise.resolve(new Map([['order-1', 2]])));
      waiters = setup.waiters;
      setup.reader.project(orderHistory('order-1', 'placed'));

      const lookup = setup.handler.get('order-1', { minVersion: 2, waitMs: 10_000 });
      await waitUntil(() => setup.waiters.size === 1);
      setup.waiters.viewChanged();

      expect(await lookup).toEqual({ kind: 'behind', currentVersion: 1, reason: 'regressed' });
    });
  });

  describe('history', () => {
    it("pages an order's history in version order, and is undefined for an order not in the view", async () => {
      const setup = setUp();
      waiters = setup.waiters;
      const events = orderHistory('order-1', 'shipped');
      setup.reader.project(events);

      const first = await setup.handler.history('order-1', { limit: 2 });
      expect(first!.items.map((entry) => entry.version)).toEqual([1, 2]);
      expect(first!.items.map((entry) => entry.eventId)).toEqual(
        events.slice(0, 2).map((event) => event.eventId),
      );
      expect(first!.nextCursor).toEqual(expect.any(String));

      const rest = await setup.handler.history('order-1', { limit: 2, cursor: first!.nextCursor! });
      expect(rest!.items.map((entry) => entry.version)).toEqual([3]);
      expect(rest!.nextCursor).toBeNull();

      expect(await setup.handler.history('order-2', {})).toBeUndefined();
    });
  });

  describe('list', () => {
    it('lists newest first, filtered, and follows its cursor without repeating or skipping an order', async () => {
      const setup = setUp();
      waiters = setup.waiters;
      const start = Date.parse('2026-01-01T00:00:00Z');
      for (let index = 0; index < 5; index++) {
        const path = index % 2 === 0 ? 'paid' : 'placed';
        setup.reader.project(
          orderHistory(`order-${index}`, path, { startAt: new Date(start + index * 1_000) }),
        );
      }

      const first = await setup.handler.list({ limit: 2 });
      expect(first.items.map((order) => order.orderId)).toEqual(['order-4', 'order-3']);
      const second = await setup.handler.list({ limit: 2, cursor: first.nextCursor! });
      expect(second.items.map((order) => order.orderId)).toEqual(['order-2', 'order-1']);
      const last = await setup.handler.list({ limit: 2, cursor: second.nextCursor! });
      expect(last.items.map((order) => order.orderId)).toEqual(['order-0']);
      expect(last.nextCursor).toBeNull();

      const paid = await setup.handler.list({ status: 'PAID' });
      expect(paid.items.map((order) => order.orderId)).toEqual(['order-4', 'order-2', 'order-0']);
      expect(paid.nextCursor).toBeNull();
    });
  });
});

/** Lets the handler reach its wait (a few promise hops) before the test changes the view. */
async function waitUntil(condition: () => boolean): Promise<void> {
  for (let hop = 0; hop < 100 && !condition(); hop++) await Promise.resolve();
  if (!condition()) throw new Error('the condition was not met');
}
