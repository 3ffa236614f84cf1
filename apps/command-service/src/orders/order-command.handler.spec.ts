import {
  OrderNotFoundError,
  OrderNotPayableError,
  OrderNotShippableError,
  PaymentAmountMismatchError,
  type CancelOrder,
  type PayOrder,
  type PlaceOrder,
  type ShipOrder,
} from '@app/order-domain';
import { InMemoryOrderEventStore } from '../../test/in-memory-order-event-store';
import { IdempotencyKeyReusedError } from './idempotency-keys';
import {
  MAX_ATTEMPTS,
  OrderCommandHandler,
  OrderVersionMismatchError,
  type CommandContext,
} from './order-command.handler';
import { StreamVersionConflictError } from './order-event-store';

const now = new Date('2026-01-02T03:04:05.000Z');
const TOTAL = 3_000;

const place = (orderId: string): PlaceOrder => ({
  type: 'PlaceOrder',
  orderId,
  customerId: 'customer-1',
  currency: 'EUR',
  items: [
    { sku: 'SKU-1', quantity: 2, unitPrice: 1_250 },
    { sku: 'SKU-2', quantity: 1, unitPrice: 500 },
  ],
  now,
});
const pay = (orderId: string, amount = TOTAL): PayOrder => ({
  type: 'PayOrder',
  orderId,
  amount,
  paymentReference: 'pay-1',
  now,
});
const ship = (orderId: string): ShipOrder => ({
  type: 'ShipOrder',
  orderId,
  carrier: 'DHL',
  trackingNumber: 'TRACK-1',
  now,
});
const cancel = (orderId: string): CancelOrder => ({
  type: 'CancelOrder',
  orderId,
  reason: 'changed my mind',
  now,
});

const plain: CommandContext = { correlationId: 'correlation-1' };
const ifMatch = (expectedVersion: number): CommandContext => ({ ...plain, expectedVersion });
const withKey = (key: string, fingerprint = `fingerprint-of-${key}`): CommandContext => ({
  ...plain,
  idempotency: { key, fingerprint },
});

describe('OrderCommandHandler (in-memory event store)', () => {
  let store: InMemoryOrderEventStore;
  let handler: OrderCommandHandler;
  const types = (orderId: string) => store.events(orderId).map((event) => event.type);

  beforeEach(() => {
    store = new InMemoryOrderEventStore();
    handler = new OrderCommandHandler(store);
  });

  it('appends each decided event at the next version and answers the new version', async () => {
    expect(await handler.execute(place('o-1'), plain)).toEqual({
      orderId: 'o-1',
      version: 1,
      status: 'PLACED',
      total: TOTAL,
    });
    expect(await handler.execute(pay('o-1'), plain)).toEqual({
      orderId: 'o-1',
      version: 2,
      status: 'PAID',
    });
    expect(store.events('o-1').map((event) => [event.type, event.version])).toEqual([
      ['OrderPlaced', 1],
      ['OrderPaid', 2],
    ]);
    expect(store.events('o-1')[1].metadata.correlationId).toBe('correlation-1');
    expect(store.outbox.map((event) => event.version)).toEqual([1, 2]);
  });

  describe('a lost race', () => {
    it('is decided again on the fresh history, and succeeds when the command still applies', async () => {
      await handler.execute(place('o-1'), plain);
      // The order is paid while the cancellation is decided on PLACED.
      store.beforeNextAppend(() => handler.execute(pay('o-1'), plain));
      const begun = store.transactionsBegun;

      expect(await handler.execute(cancel('o-1'), plain)).toEqual({
        orderId: 'o-1',
        version: 3,
        status: 'CANCELLED',
      });
      expect(types('o-1')).toEqual(['OrderPlaced', 'OrderPaid', 'OrderCancelled']);
      // The cancellation's two attempts and the payment.
      expect(store.transactionsBegun - begun).toBe(3);
    });

    it('answers the refusal the fresh history gives', async () => {
      await handler.execute(place('o-1'), plain);
      store.beforeNextAppend(() => handler.execute(cancel('o-1'), plain));

      await expect(handler.execute(pay('o-1'), plain)).rejects.toThrow(OrderNotPayableError);
      expect(types('o-1')).toEqual(['OrderPlaced', 'OrderCancelled']);
    });

    it(`gives up with a conflict after ${MAX_ATTEMPTS} attempts, storing nothing`, async () => {
      await handler.execute(place('o-1'), plain);
      // A place command never reads (its id is new), so on a taken id every attempt conflicts.
      const begun = store.transactionsBegun;

      await expect(
        handler.execute({ ...place('o-1'), customerId: 'someone-else' }, plain),
      ).rejects.toThrow(StreamVersionConflictError);
      expect(store.transactionsBegun - begun).toBe(MAX_ATTEMPTS);
      expect(store.events('o-1').map((event) => event.data)).toEqual([
        expect.objectContaining({ customerId: 'customer-1' }),
      ]);
      expect(store.outbox).toHaveLength(1);
    }, 5_000);
  });

  describe('If-Match', () => {
    it('runs the command when the order is at the version named', async () => {
      await handler.execute(place('o-1'), plain);

      expect(await handler.execute(pay('o-1'), ifMatch(1))).toMatchObject({ version: 2 });
      expect(types('o-1')).toEqual(['OrderPlaced', 'OrderPaid']);
    });

    it('refuses the command, storing nothing, when the order has moved on', async () => {
      await handler.execute(place('o-1'), plain);
      await handler.execute(pay('o-1'), plain);

      const refusal = handler.execute(cancel('o-1'), ifMatch(1));
      await expect(refusal).rejects.toThrow(OrderVersionMismatchError);
      await expect(refusal).rejects.toMatchObject({ expectedVersion: 1, currentVersion: 2 });
      expect(types('o-1')).toEqual(['OrderPlaced', 'OrderPaid']);
    });

    it('refuses without deciding again when another writer commits during the attempt', async () => {
      await handler.execute(place('o-1'), plain);
      store.beforeNextAppend(() => handler.execute(pay('o-1'), plain));
      const begun = store.transactionsBegun;

      // Cancelling a PAID order is allowed: only If-Match can refuse it.
      const refusal = handler.execute(cancel('o-1'), ifMatch(1));
      await expect(refusal).rejects.toThrow(OrderVersionMismatchError);
      await expect(refusal).rejects.toMatchObject({
        expectedVersion: 1,
        currentVersion: undefined,
      });
      expect(types('o-1')).toEqual(['OrderPlaced', 'OrderPaid']);
      // One attempt for the cancellation, one for the payment: no retry.
      expect(store.transactionsBegun - begun).toBe(2);
    });

    it('leaves an unknown order to the domain: not found rather than a mismatch', async () => {
      await expect(handler.execute(pay('o-unknown'), ifMatch(1))).rejects.toThrow(
        OrderNotFoundError,
      );
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response byte for byte and appends nothing', async () => {
      // The controller gives every place command a fresh id: the retry must get the first one.
      const first = await handler.execute(place('o-1'), withKey('k-1'));
      const retry = await handler.execute(place('o-2'), withKey('k-1'));

      expect(JSON.stringify(retry)).toBe(JSON.stringify(first));
      expect(store.events('o-2')).toEqual([]);
      expect(store.outbox).toHaveLength(1);
    });

    it('replays before deciding: a retried payment is not refused as already paid', async () => {
      await handler.execute(place('o-1'), plain);
      const first = await handler.execute(pay('o-1'), withKey('k-1'));

      expect(await handler.execute(pay('o-1'), withKey('k-1'))).toEqual(first);
      expect(types('o-1')).toEqual(['OrderPlaced', 'OrderPaid']);
    });

    it('refuses the key with a different request, storing nothing', async () => {
      await handler.execute(place('o-1'), plain);
      await handler.execute(pay('o-1'), withKey('k-1', 'the-payment'));

      await expect(handler.execute(ship('o-1'), withKey('k-1', 'a-shipment'))).rejects.toThrow(
        IdempotencyKeyReusedError,
      );
      expect(types('o-1')).toEqual(['OrderPlaced', 'OrderPaid']);
    });

    it('answers a concurrent request with the same key with the first one’s response', async () => {
      await handler.execute(place('o-1'), plain);
      let concurrent: Promise<unknown> | undefined;
      store.beforeNextAppend(() => {
        // Arrives while the first holds the key: waits for its commit, then replays it.
        concurrent = handler.execute(pay('o-1'), withKey('k-1'));
        return Promise.resolve();
      });

      const first = await handler.execute(pay('o-1'), withKey('k-1'));
      expect(await concurrent).toEqual(first);
      expect(types('o-1')).toEqual(['OrderPlaced', 'OrderPaid']);
    });
  });

  describe('a refused command', () => {
    it('stores no event, no outbox record and no key, so the key stays free', async () => {
      await handler.execute(place('o-1'), plain);
      const outbox = [...store.outbox];

      await expect(handler.execute(ship('o-1'), withKey('k-1'))).rejects.toThrow(
        OrderNotShippableError,
      );
      await expect(handler.execute(pay('o-1', TOTAL + 1), withKey('k-2'))).rejects.toThrow(
        PaymentAmountMismatchError,
      );
      expect(types('o-1')).toEqual(['OrderPlaced']);
      expect(store.outbox).toEqual(outbox);
      expect([...store.idempotencyKeys().keys()]).toEqual([]);

      // The refused request's key runs the corrected request rather than replaying a refusal.
      expect(await handler.execute(pay('o-1'), withKey('k-2', 'corrected'))).toMatchObject({
        version: 2,
        status: 'PAID',
      });
    });
  });
});
