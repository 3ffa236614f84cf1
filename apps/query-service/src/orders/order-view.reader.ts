import type { OrderListFilter } from '@app/order-view';
import type { OrderCursor } from './order-cursor';
import type { OrderHistoryEntry, OrderView } from './order-view.responses';

export interface OrderViewRow {
  readonly version: number;
  readonly document: OrderView;
}

export type OrderFilter = OrderListFilter;

export interface OrderViewSlice {
  readonly documents: OrderView[];
  /** Where the slice ended, when there are more rows after it. */
  readonly next?: OrderCursor;
}

export interface OrderHistorySlice {
  readonly entries: OrderHistoryEntry[];
  /** Whether the order has entries after the slice. */
  readonly more: boolean;
}

/**
 * The read model as the query-service sees it: the orders of the generation serving reads and
 * their histories. A port (the Nest token is this class): PostgresOrderViewReader reads the
 * current_order_view and current_order_history views; the query handler's unit tests use an
 * in-memory one.
 */
export abstract class OrderViewReader {
  /** The order as the view has it; undefined when it is not in the view. */
  abstract find(orderId: string): Promise<OrderViewRow | undefined>;

  /** The version of each of `orderIds` that is in the view (read-your-writes' lookups). */
  abstract versions(orderIds: readonly string[]): Promise<ReadonlyMap<string, number>>;

  /**
   * Up to `limit` entries of the order's history after version `afterVersion`, in version order;
   * undefined when the order is not in the view. The order and its history come from one
   * snapshot, of one generation, even while a replay's switch commits.
   */
  abstract history(
    orderId: string,
    afterVersion: number,
    limit: number,
  ): Promise<OrderHistorySlice | undefined>;

  /** Up to `limit` orders after `after`, newest first (placed_at, then order_id, descending). */
  abstract list(
    filter: OrderFilter,
    after: OrderCursor | undefined,
    limit: number,
  ): Promise<OrderViewSlice>;
}
