import type { OrderEventEnvelope } from '@app/order-events';
import { foldOrderView, orderHistoryEntry } from '@app/order-view';
import type { OrderCursor } from '../src/orders/order-cursor';
import {
  OrderViewReader,
  type OrderFilter,
  type OrderHistorySlice,
  type OrderViewRow,
  type OrderViewSlice,
} from '../src/orders/order-view.reader';
import type { OrderView } from '../src/orders/order-view.responses';

/** placedAt as the Postgres reader's cursor has it: UTC, six fractional digits. */
const placedAtKey = (view: OrderView) => new Date(view.placedAt).toISOString().replace('Z', '000Z');

/**
 * OrderViewReader over orders kept in memory, for unit tests of the query handler: each order is
 * its events folded as the projector folds them, with one history entry per event.
 * PostgresOrderViewReader is tested against the real views (query-service int-specs).
 */
export class InMemoryOrderViewReader extends OrderViewReader {
  private readonly events = new Map<string, OrderEventEnvelope[]>();

  /** Projects `events` onto the orders they belong to, as a projector batch would. */
  project(events: readonly OrderEventEnvelope[]): void {
    for (const event of events) {
      this.events.set(event.orderId, [...(this.events.get(event.orderId) ?? []), event]);
    }
  }

  find(orderId: string): Promise<OrderViewRow | undefined> {
    const view = this.view(orderId);
    return Promise.resolve(view && { version: view.version, document: view });
  }

  versions(orderIds: readonly string[]): Promise<ReadonlyMap<string, number>> {
    const versions = new Map<string, number>();
    for (const orderId of orderIds) {
      const view = this.view(orderId);
      if (view) versions.set(orderId, view.version);
    }
    return Promise.resolve(versions);
  }

  history(
    orderId: string,
    afterVersion: number,
    limit: number,
  ): Promise<OrderHistorySlice | undefined> {
    if (!this.view(orderId)) return Promise.resolve(undefined);
    const entries = (this.events.get(orderId) ?? [])
      .filter((event) => event.version > afterVersion)
      .sort((a, b) => a.version - b.version)
      .map(orderHistoryEntry);
    return Promise.resolve({ entries: entries.slice(0, limit), more: entries.length > limit });
  }

  list(
    filter: OrderFilter,
    after: OrderCursor | undefined,
    limit: number,
  ): Promise<OrderViewSlice> {
    const newestFirst = [...this.events.keys()]
      .map((orderId) => this.view(orderId))
      .filter((view): view is OrderView => view !== undefined)
      .filter((view) => filter.status === undefined || view.status === filter.status)
      .filter((view) => filter.customerId === undefined || view.customerId === filter.customerId)
      .map((view) => ({ view, key: { placedAt: placedAtKey(view), orderId: view.orderId } }))
      .sort((a, b) => compareKeys(b.key, a.key))
      .filter(({ key }) => after === undefined || compareKeys(key, after) < 0);
    const page = newestFirst.slice(0, limit);
    return Promise.resolve({
      documents: page.map(({ view }) => view),
      next: newestFirst.length > limit ? page.at(-1)?.key : undefined,
    });
  }

  /** The document as the projector stores it (json), typed as the API answers it. */
  private view(orderId: string): OrderView | undefined {
    const events = this.events.get(orderId);
    const folded = events && events.length > 0 ? foldOrderView(events) : undefined;
    return folded as OrderView | undefined;
  }
}

/** (placed_at, order_id) order; the keys' fixed formats make it their string order. */
function compareKeys(a: OrderCursor, b: OrderCursor): number {
  if (a.placedAt !== b.placedAt) return a.placedAt < b.placedAt ? -1 : 1;
  return a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0;
}
