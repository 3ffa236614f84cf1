import type { OrderEventEnvelope } from '@app/order-events';
import { foldOrderView, projectOrderEvent, skipOrderEvent } from '@app/order-view';
import { orderHistory } from '../../../../test/fixtures/order-histories';
import { InMemoryOrderViewStore } from '../../test/in-memory-order-view-store';
import { storedOffsetsOf } from './checkpoint.store';
import { OrderNotParkedError, OrderViewWriter, type PartitionBatch } from './order-view-writer';
import { PARKED_BEHIND_REASON } from './project-batch';

const TOPIC = 'order-events';

/** `events` as one batch of `partition` read from offset `from`. */
function batchOf(events: OrderEventEnvelope[], from = 0, partition = 0): PartitionBatch {
  return {
    topic: TOPIC,
    partition,
    events: events.map((envelope, index) => ({
      topic: TOPIC,
      partition,
      offset: String(from + index),
      envelope,
    })),
    nextOffset: String(from + events.length),
  };
}

const eventIds = (events: OrderEventEnvelope[]) => events.map((event) => event.eventId);

describe('OrderViewWriter: a batch on the view writer (in memory)', () => {
  let store: InMemoryOrderViewStore;
  let writer: OrderViewWriter;

  beforeEach(() => {
    store = new InMemoryOrderViewStore();
    writer = new OrderViewWriter(store);
  });

  async function checkpointOf(partition: number, generation = 1) {
    return (await store.checkpoints.read(generation, TOPIC)).get(partition);
  }

  it('given a batch of two orders, applies each event once: rows, history and the next offset together', async () => {
    const shipped = orderHistory('order-1', 'shipped');
    const cancelled = orderHistory('order-2', 'cancelled');

    const outcome = await writer.applyBatch(
      'current',
      batchOf([shipped[0], cancelled[0], shipped[1], cancelled[1], shipped[2]], 10),
    );

    expect(outcome).toMatchObject({ generation: 1, applied: 5, duplicates: 0, parked: [] });
    expect(store.rows().get('order-1')).toEqual({
      view: foldOrderView(shipped),
      appliedEvents: 3,
      eventIds: eventIds(shipped),
    });
    expect(store.rows().get('order-2')?.view).toEqual(foldOrderView(cancelled));
    expect(store.history('order-1')).toEqual(eventIds(shipped));
    expect(store.history('order-2')).toEqual(eventIds(cancelled));
    expect(await checkpointOf(0)).toMatchObject({ partition: 0, nextOffset: '15' });
    expect(store.notifications).toBe(1);
  });

  it('given a batch delivered again (same offsets, same event ids), changes nothing', async () => {
    const events = orderHistory('order-1', 'paid');
    await writer.applyBatch('current', batchOf(events));
    const rows = structuredClone(store.rows());
    const notified = store.notifications;

    const again = await writer.applyBatch('current', batchOf(events));

    expect(again).toMatchObject({ applied: 0, duplicates: 2, parked: [] });
    expect(store.rows()).toEqual(rows);
    expect(store.history('order-1')).toEqual(eventIds(events));
    expect(store.parkedEvents()).toEqual([]);
    expect(await checkpointOf(0)).toMatchObject({ nextOffset: '2' });
    // Nothing changed, so nobody is woken.
    expect(store.notifications).toBe(notified);
  });

  it('never moves a checkpoint backwards: a batch read again from an earlier offset leaves it', async () => {
    const [placed, paid, shipped] = orderHistory('order-1', 'shipped');
    await writer.applyBatch('current', batchOf([placed, paid, shipped], 0));
    expect(await checkpointOf(0)).toMatchObject({ nextOffset: '3' });

    await writer.applyBatch('current', batchOf([paid], 1));

    expect(await checkpointOf(0)).toMatchObject({ nextOffset: '3' });
    expect(await storedOffsetsOf(store.checkpoints, 1, [{ topic: TOPIC, partition: 0 }])).toEqual([
      { topic: TOPIC, partition: 0, offset: '3' },
    ]);
  });

  it('resumes a partition without a checkpoint from offset 0, each partition from its own', async () => {
    await writer.applyBatch('current', batchOf(orderHistory('order-1', 'paid'), 40, 2));

    const offsets = await storedOffsetsOf(store.checkpoints, 1, [
      { topic: TOPIC, partition: 1 },
      { topic: TOPIC, partition: 2 },
    ]);

    expect(offsets).toEqual([
      { topic: TOPIC, partition: 1, offset: '0' },
      { topic: TOPIC, partition: 2, offset: '42' },
    ]);
  });

  it('given a version gap, parks the order, parks its later events behind it, and lets other orders go on', async () => {
    const [placed, paid, shipped] = orderHistory('gappy', 'shipped');
    const other = orderHistory('other', 'paid');

    const outcome = await writer.applyBatch('current', batchOf([placed, shipped, ...other], 0));

    expect(outcome).toMatchObject({ applied: 3 });
    expect(store.parkedEvents().map((event) => [event.orderId, event.version])).toEqual([
      ['gappy', 3],
    ]);
    expect(store.parkedEvents()[0].reason).toMatch(/version gap: expected 2, got 3/);
    expect(store.rows().get('other')?.view).toEqual(foldOrderView(other));

    // The missing event arrives later: it waits behind the parked one, in a batch of its own.
    const later = await writer.applyBatch('current', batchOf([paid], 4));

    expect(later).toMatchObject({ applied: 0 });
    expect(store.parkedEvents().map((event) => [event.version, event.reason])).toEqual([
      [3, expect.stringMatching(/version gap/)],
      [2, PARKED_BEHIND_REASON],
    ]);
    expect(store.rows().get('gappy')?.view).toEqual(foldOrderView([placed]));
    expect(store.history('gappy')).toEqual([placed.eventId]);
    expect(await checkpointOf(0)).toMatchObject({ nextOffset: '5' });
  });

  it('given a batch read again that parked events, keeps each parked offset once', async () => {
    const [placed, , shipped] = orderHistory('gappy', 'shipped');
    await writer.applyBatch('current', batchOf([placed, shipped]));
    await writer.applyBatch('current', batchOf([placed, shipped]));

    expect(store.parkedEvents()).toHaveLength(1);
  });

  it('given a retry once the gap is filled, applies the parked events in version order', async () => {
    const [placed, paid, shipped] = orderHistory('gappy', 'shipped');
    await writer.applyBatch('current', batchOf([placed, shipped, paid]));
    const notified = store.notifications;

    const resolution = await writer.resolveParked('gappy', 'retry');

    expect(resolution).toEqual({
      orderId: 'gappy',
      version: 3,
      applied: 2,
      skipped: 0,
      stillParked: 0,
    });
    expect(store.rows().get('gappy')?.view).toEqual(foldOrderView([placed, paid, shipped]));
    expect(store.history('gappy')).toEqual(eventIds([placed, paid, shipped]));
    expect(store.parkedEvents().map((event) => event.resolution)).toEqual(['applied', 'applied']);
    expect(store.notifications).toBe(notified + 1);
  });

  it('given a retry while the gap is still open, stops at it and keeps the reason up to date', async () => {
    const [placed, , shipped] = orderHistory('gappy', 'shipped');
    await writer.applyBatch('current', batchOf([placed, shipped]));

    const resolution = await writer.resolveParked('gappy', 'retry');

    expect(resolution).toMatchObject({ version: 1, applied: 0, skipped: 0, stillParked: 1 });
    expect(store.parkedEvents()).toMatchObject([
      { version: 3, resolution: null, reason: expect.stringMatching(/version gap/) },
    ]);
  });

  it('given a skip, sets the first parked event aside, applies the rest and keeps the decision', async () => {
    const [placed, paid] = orderHistory('odd', 'paid');
    const unknown = { ...paid, type: 'OrderGiftWrapped' } as unknown as OrderEventEnvelope;
    const paidLater = { ...paid, version: 3, eventId: 'odd-paid-later' };
    await writer.applyBatch('current', batchOf([placed, unknown, paidLater]));

    const resolution = await writer.resolveParked('odd', 'skip');

    expect(resolution).toEqual({
      orderId: 'odd',
      version: 3,
      applied: 1,
      skipped: 1,
      stillParked: 0,
    });
    const expected = projectOrderEvent(
      skipOrderEvent(foldOrderView([placed])!, unknown),
      paidLater,
    );
    expect(store.rows().get('odd')).toEqual({
      view: expected.kind === 'applied' ? expected.view : undefined,
      // The skipped event counts as seen, not as applied.
      appliedEvents: 2,
      eventIds: [placed.eventId, unknown.eventId, paidLater.eventId],
    });
    expect(store.history('odd')).toEqual([placed.eventId, paidLater.eventId]);
    expect([...store.decisions().values()]).toEqual(['skip', 'retry']);
  });

  it('refuses to resolve an order with nothing parked', async () => {
    await writer.applyBatch('current', batchOf(orderHistory('fine', 'paid')));

    await expect(writer.resolveParked('fine', 'retry')).rejects.toThrow(OrderNotParkedError);
    await expect(writer.resolveParked('unknown', 'skip')).rejects.toThrow(OrderNotParkedError);
  });

  it("writes a replay's batches into the generation it builds, not the current one", async () => {
    const events = orderHistory('order-1', 'paid');
    await writer.applyBatch('current', batchOf(events.slice(0, 1)));

    const outcome = await writer.applyBatch(2, batchOf(events));

    expect(outcome).toMatchObject({ generation: 2, applied: 2 });
    expect(store.rows(2).get('order-1')?.view).toEqual(foldOrderView(events));
    expect(store.rows(1).get('order-1')?.view).toEqual(foldOrderView(events.slice(0, 1)));
    expect(await checkpointOf(0, 2)).toMatchObject({ nextOffset: '2' });
    expect(await checkpointOf(0, 1)).toMatchObject({ nextOffset: '1' });

    // After the switch, 'current' is the replayed generation.
    store.makeCurrent(2);
    expect(await writer.applyBatch('current', batchOf(events))).toMatchObject({
      generation: 2,
      duplicates: 2,
    });
  });

  it('given decisions taken in generation 1, a replay resolves the same events the same way, whatever its batches', async () => {
    const [oddPlaced, oddPaid] = orderHistory('odd', 'paid');
    const unknown = { ...oddPaid, type: 'OrderGiftWrapped' } as unknown as OrderEventEnvelope;
    const oddPaidLater = { ...oddPaid, version: 3, eventId: 'odd-paid-later' };
    const [gappyPlaced, gappyPaid, gappyShipped] = orderHistory('gappy', 'shipped');
    const topic = [oddPlaced, unknown, oddPaidLater, gappyPlaced, gappyShipped, gappyPaid];
    await writer.applyBatch('current', batchOf(topic));
    await writer.resolveParked('odd', 'skip');
    await writer.resolveParked('gappy', 'retry');
    const resolved = store.rows(1);

    for (const [index, event] of topic.entries()) {
      await writer.applyBatch(2, batchOf([event], index));
    }

    expect(store.rows(2)).toEqual(resolved);
    expect(store.parkedEvents(2).filter((event) => event.resolution === null)).toEqual([]);
    expect(
      store.parkedEvents(2).map((event) => [event.orderId, event.version, event.resolution]),
    ).toEqual([
      // One event per batch: odd's later event came after its decision applied, so never parked;
      // gappy's gap opened first, and closed once its OrderPaid arrived.
      ['odd', 2, 'skipped'],
      ['gappy', 3, 'applied'],
      ['gappy', 2, 'applied'],
    ]);
  });

  it('given a resolution while a replay runs, resolves the order in the generation being built too', async () => {
    const [placed, paid] = orderHistory('late', 'paid');
    const bad = { ...paid, data: {} } as OrderEventEnvelope;
    const paidAgain = { ...paid, version: 3, eventId: 'late-paid-again' };
    await writer.applyBatch('current', batchOf([placed, bad, paidAgain]));
    store.setGenerationBeingBuilt(2);
    await writer.applyBatch(2, batchOf([placed, bad, paidAgain]));

    const resolution = await writer.resolveParked('late', 'skip');

    expect(resolution).toMatchObject({ version: 3, skipped: 1, applied: 1, stillParked: 0 });
    expect(store.parkedEvents(2).filter((event) => event.resolution === null)).toEqual([]);
    expect(store.rows(2).get('late')?.view).toMatchObject({ status: 'PAID', version: 3 });
  });

  it('given a batch whose write fails, stores none of it: rows, history, parked events and checkpoint', async () => {
    const [placed, , shipped] = orderHistory('gappy', 'shipped');
    const other = orderHistory('other', 'placed');
    store.failNextAt('parkEvents');

    await expect(
      writer.applyBatch('current', batchOf([placed, shipped, ...other])),
    ).rejects.toThrow('parkEvents failed');

    expect(store.rows().size).toBe(0);
    expect(store.history('gappy')).toEqual([]);
    expect(store.parkedEvents()).toEqual([]);
    expect(await checkpointOf(0)).toBeUndefined();
    expect(store.notifications).toBe(0);

    // Read again, as the consumer does after a failed batch: applied once.
    await writer.applyBatch('current', batchOf([placed, shipped, ...other]));
    expect(store.history('gappy')).toEqual([placed.eventId]);
    expect(store.parkedEvents()).toHaveLength(1);
  });
});
