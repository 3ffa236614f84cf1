import { randomInt } from 'node:crypto';
import { Pool } from 'pg';
import { OrderViewRepository } from '../../apps/projector/src/persistence/order-view.repository';
import { foldOrderView } from '@app/order-view';
import { timeOrderedUuid } from '@app/order-events';
import { ORDER_PATHS, orderHistory } from '../../test/fixtures/order-histories';

const CHUNK = 5_000;
/** The generation a fresh read database serves (libs/order-view/migrations). */
const FIRST_GENERATION = 1;

/**
 * Stores `count` orders in the read database's current generation as the projector would
 * have: each the fold of a valid history along a random path, with its history rows, written
 * with the projector's own OrderViewRepository.saveOrders. Returns their ids.
 */
export async function fillView(
  databaseUrl: string,
  count: number,
  log: (message: string) => void,
): Promise<string[]> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  const view = new OrderViewRepository(pool);
  const orderIds: string[] = [];
  try {
    for (let start = 0; start < count; start += CHUNK) {
      const histories = Array.from({ length: Math.min(CHUNK, count - start) }, () =>
        orderHistory(timeOrderedUuid(), ORDER_PATHS[randomInt(ORDER_PATHS.length)]),
      );
      const orders = histories.map((events) => {
        const view = foldOrderView(events)!;
        return { view, appliedEvents: view.version, eventIds: events.map((e) => e.eventId) };
      });
      const client = await pool.connect();
      try {
        await view.saveOrders(FIRST_GENERATION, { orders, history: histories.flat() }, client);
      } finally {
        client.release();
      }
      orderIds.push(...orders.map(({ view }) => view.orderId));
      if (orderIds.length % 50_000 === 0) log(`stored ${orderIds.length} orders`);
    }
    // Statistics and the visibility map as autovacuum would have them by the time of reads.
    await pool.query('VACUUM ANALYZE order_view');
  } finally {
    await pool.end();
  }
  return orderIds;
}
