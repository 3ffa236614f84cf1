import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import {
  ORDER_BY_ID_SQL,
  ORDER_HISTORY_PAGE_SQL,
  ORDER_VERSIONS_SQL,
  orderListQuery,
} from '@app/order-view';
import type { OrderCursor } from './order-cursor';
import {
  OrderViewReader,
  type OrderFilter,
  type OrderHistorySlice,
  type OrderViewRow,
  type OrderViewSlice,
} from './order-view.reader';
import type { OrderHistoryEntry, OrderView } from './order-view.responses';

/** OrderViewReader on PostgreSQL: the read model's own statements (libs/order-view). */
@Injectable()
export class PostgresOrderViewReader extends OrderViewReader {
  constructor(@Inject(Pool) private readonly pool: Pool) {
    super();
  }

  async find(orderId: string): Promise<OrderViewRow | undefined> {
    const { rows } = await this.pool.query<OrderViewRow>(ORDER_BY_ID_SQL, [orderId]);
    return rows[0];
  }

  async versions(orderIds: readonly string[]): Promise<ReadonlyMap<string, number>> {
    const { rows } = await this.pool.query<{ order_id: string; version: number }>(
      ORDER_VERSIONS_SQL,
      [orderIds],
    );
    return new Map(rows.map((row) => [row.order_id, row.version]));
  }

  async history(
    orderId: string,
    afterVersion: number,
    limit: number,
  ): Promise<OrderHistorySlice | undefined> {
    // One row more than the page shows whether another page follows.
    const { rows } = await this.pool.query<{ entry: OrderHistoryEntry | null }>(
      ORDER_HISTORY_PAGE_SQL,
      [orderId, afterVersion, limit + 1],
    );
    if (rows.length === 0) return undefined;
    const entries = rows.flatMap(({ entry }) => (entry ? [inContractOrder(entry)] : []));
    return { entries: entries.slice(0, limit), more: entries.length > limit };
  }

  async list(
    filter: OrderFilter,
    after: OrderCursor | undefined,
    limit: number,
  ): Promise<OrderViewSlice> {
    // One row more than the page shows whether another page follows.
    const { text, values } = orderListQuery(filter, after, limit + 1);
    const { rows } = await this.pool.query<{
      order_id: string;
      placed_at_key: string;
      document: OrderView;
    }>(text, values);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      documents: page.map((row) => row.document),
      next:
        rows.length > limit && last
          ? { placedAt: last.placed_at_key, orderId: last.order_id }
          : undefined,
    };
  }
}

/**
 * The stored entry's keys may be in any order (jsonb's own, in entries written before migration
 * 0007); the response shows them in the contract's.
 */
function inContractOrder(entry: OrderHistoryEntry): OrderHistoryEntry {
  const { eventId, type, version, occurredAt, data, correlationId } = entry;
  return { eventId, type, version, occurredAt, data, correlationId };
}
