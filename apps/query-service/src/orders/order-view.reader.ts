import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import type { OrderCursor } from './order-cursor';
import type { OrderViewStatus } from '@app/order-view';
import type { OrderHistoryEntry, OrderView } from './order-view.responses';

export interface OrderViewRow {
  readonly version: number;
  readonly document: OrderView;
}

export interface OrderFilter {
  readonly status?: OrderViewStatus;
  readonly customerId?: string;
}

export interface OrderViewSlice {
  readonly documents: OrderView[];
  /** Where the slice ended, when there are more rows after it. */
  readonly next?: OrderCursor;
}

/**
 * placed_at as the cursor keeps it: UTC, microseconds, in a form PostgreSQL reads back whatever
 * the session's DateStyle or TimeZone.
 */
const PLACED_AT_KEY = `to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export interface OrderHistorySlice {
  readonly entries: OrderHistoryEntry[];
  /** Whether the order has entries after the slice. */
  readonly more: boolean;
}

/**
 * The read model as the query-service sees it: the current_order_view and current_order_history
 * views, nothing else.
 */
@Injectable()
export class OrderViewReader {
  constructor(@Inject(Pool) private readonly pool: Pool) {}

  async find(orderId: string): Promise<OrderViewRow | undefined> {
    const { rows } = await this.pool.query<OrderViewRow>(
      'SELECT version, document FROM current_order_view WHERE order_id = $1',
      [orderId],
    );
    return rows[0];
  }

  /**
   * Up to `limit` entries of the order's history after version `afterVersion`, in version order;
   * undefined when the order is not in the view. One statement, so the order and its history are
   * read from one snapshot, of one generation, even while a replay's switch commits.
   */
  async history(
    orderId: string,
    afterVersion: number,
    limit: number,
  ): Promise<OrderHistorySlice | undefined> {
    // One row more than the page shows whether another page follows; an order without entries
    // in range is one row whose entry is null.
    const { rows } = await this.pool.query<{ entry: OrderHistoryEntry | null }>(
      `SELECT h.entry
         FROM current_order_view v
         LEFT JOIN LATERAL (
           SELECT entry, version FROM current_order_history
            WHERE order_id = v.order_id AND version > $2
            ORDER BY version LIMIT $3) h ON true
        WHERE v.order_id = $1
        ORDER BY h.version`,
      [orderId, afterVersion, limit + 1],
    );
    if (rows.length === 0) return undefined;
    const entries = rows.flatMap(({ entry }) => (entry ? [inContractOrder(entry)] : []));
    return { entries: entries.slice(0, limit), more: entries.length > limit };
  }

  /**
   * Up to `limit` orders after `after`, newest first. Keyset pagination on (placed_at, order_id):
   * rows added meanwhile neither shift nor repeat the pages that follow, and the order_view
   * indexes (generation, …, placed_at DESC, order_id DESC) can serve each page as one range scan
   * when the planner sees the current generation as a single value.
   */
  async list(
    filter: OrderFilter,
    after: OrderCursor | undefined,
    limit: number,
  ): Promise<OrderViewSlice> {
    const values: unknown[] = [];
    const where: string[] = [];
    const param = (value: unknown) => `$${values.push(value)}`;
    if (filter.status !== undefined) where.push(`status = ${param(filter.status)}`);
    if (filter.customerId !== undefined) where.push(`customer_id = ${param(filter.customerId)}`);
    if (after) {
      where.push(
        `(placed_at, order_id) < (${param(after.placedAt)}::timestamptz, ${param(after.orderId)}::text)`,
      );
    }
    // One row more than the page shows whether another page follows.
    const { rows } = await this.pool.query<{
      order_id: string;
      placed_at_key: string;
      document: OrderView;
    }>(
      `SELECT order_id, ${PLACED_AT_KEY} AS placed_at_key, document
         FROM current_order_view
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY placed_at DESC, order_id DESC
        LIMIT ${param(limit + 1)}`,
      values,
    );
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

/** jsonb keeps keys in its own order; the response shows them in the contract's. */
function inContractOrder(entry: OrderHistoryEntry): OrderHistoryEntry {
  const { eventId, type, version, occurredAt, data, correlationId } = entry;
  return { eventId, type, version, occurredAt, data, correlationId };
}
