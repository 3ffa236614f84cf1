import { CURRENT_ORDER_HISTORY, CURRENT_ORDER_VIEW } from './read-model';
import type { OrderViewStatus } from './order-view';

/**
 * How the read side reads the read model: the statements are part of its contract with the
 * projector (the views, their columns, and the indexes the projector's migrations keep for them),
 * so they live beside the migrations rather than in the query-service.
 */

/** One order's `version` and `document`; no row when it is not in the view. */
export const ORDER_BY_ID_SQL = `SELECT version, document FROM ${CURRENT_ORDER_VIEW} WHERE order_id = $1`;

/** `order_id` and `version` of each of the orders `$1` (text[]) that is in the view. */
export const ORDER_VERSIONS_SQL = `SELECT order_id, version FROM ${CURRENT_ORDER_VIEW} WHERE order_id = ANY($1::text[])`;

/**
 * Up to `$3` entries of order `$1`'s history after version `$2`, in version order: no row when
 * the order is not in the view, one row whose entry is null when it has no entry in range. One
 * statement, so the order and its history are read from one snapshot, of one generation, even
 * while a replay's switch commits.
 */
export const ORDER_HISTORY_PAGE_SQL = `SELECT h.entry
   FROM ${CURRENT_ORDER_VIEW} v
   LEFT JOIN LATERAL (
     SELECT entry, version FROM ${CURRENT_ORDER_HISTORY}
      WHERE order_id = v.order_id AND version > $2
      ORDER BY version LIMIT $3) h ON true
  WHERE v.order_id = $1
  ORDER BY h.version`;

/**
 * placed_at as a list cursor keeps it: UTC, microseconds, in a form PostgreSQL reads back
 * whatever the session's DateStyle or TimeZone.
 */
const PLACED_AT_KEY = `to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export interface OrderListFilter {
  readonly status?: OrderViewStatus;
  readonly customerId?: string;
}

/** The sort key of the last order of a page: `placedAt` as PLACED_AT_KEY renders it. */
export interface OrderListPosition {
  readonly placedAt: string;
  readonly orderId: string;
}

/**
 * Up to `rows` orders after `after`, newest first, each with `order_id`, `placed_at_key` and
 * `document`. Keyset pagination on (placed_at, order_id): rows added meanwhile neither shift nor
 * repeat the pages that follow, and the order_view indexes (generation, …, placed_at DESC,
 * order_id DESC) can serve each page as one range scan when the planner sees the current
 * generation as a single value.
 */
export function orderListQuery(
  filter: OrderListFilter,
  after: OrderListPosition | undefined,
  rows: number,
): { text: string; values: unknown[] } {
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
  const text = `SELECT order_id, ${PLACED_AT_KEY} AS placed_at_key, document
     FROM ${CURRENT_ORDER_VIEW}
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY placed_at DESC, order_id DESC
    LIMIT ${param(rows)}`;
  return { text, values };
}
