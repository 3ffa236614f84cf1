import type { OrderEvent } from '@app/order-domain';
import { StreamVersionConflictError } from '../src/orders/order-event-store';
import { InMemoryOrderEventStore } from './in-memory-order-event-store';

const metadata = { correlationId: 'correlation-1', causationId: 'causation-1' };
const placed: OrderEvent = {
  type: 'OrderPlaced',
  data: {
    customerId: 'c-1',
    currency: 'EUR',
    items: [{ sku: 's', quantity: 1, unitPrice: 5 }],
    total: 5,
  },
  occurredAt: '2026-01-02T03:04:05.000Z',
};

/** The in-memory adapter keeps the guarantees the handler's unit tests rely on. */
describe('InMemoryOrderEventStore', () => {
  it('lets the first of two racing appends commit and fails the other at its commit', async () => {
    const store = new InMemoryOrderEventStore();
    let appended!: () => void;
    const secondAppended = new Promise<void>((resolve) => (appended = resolve));
    let mayCommit!: () => void;
    const secondMayCommit = new Promise<void>((resolve) => (mayCommit = resolve));

    const second = store.transaction(async (tx) => {
      await tx.append('o-1', 0, [placed], metadata);
      appended();
      await secondMayCommit;
    });
    // Appends version 1 too while the other has not committed, and commits first.
    await store.transaction(async (tx) => {
      await secondAppended;
      await tx.append('o-1', 0, [placed], metadata);
    });
    mayCommit();

    await expect(second).rejects.toThrow(StreamVersionConflictError);
    expect(store.events('o-1')).toHaveLength(1);
    expect(store.outbox).toHaveLength(1);
  });

  it('fails an append at a version already committed, at the append', async () => {
    const store = new InMemoryOrderEventStore();
    await store.transaction((tx) => tx.append('o-1', 0, [placed], metadata));

    await expect(
      store.transaction((tx) => tx.append('o-1', 0, [placed], metadata)),
    ).rejects.toThrow(StreamVersionConflictError);
    expect(store.events('o-1')).toHaveLength(1);
  });

  it('rolls back everything a failed transaction wrote, and frees the keys it claimed', async () => {
    const store = new InMemoryOrderEventStore();
    const failed = store.transaction(async (tx) => {
      await tx.claimIdempotencyKey('k-1', 'request-1');
      await tx.append('o-1', 0, [placed], metadata);
      await tx.recordResponse('k-1', { version: 1 });
      // Its own writes are visible to itself only.
      expect(await tx.readStream('o-1')).toHaveLength(1);
      throw new Error('refused');
    });
    await expect(failed).rejects.toThrow('refused');

    expect(store.events('o-1')).toEqual([]);
    expect(store.outbox).toEqual([]);
    expect(store.idempotencyKeys().size).toBe(0);
    expect(
      await store.transaction((tx) => tx.claimIdempotencyKey('k-1', 'another-request')),
    ).toEqual({ kind: 'claimed' });
  });
});
